"""Certificates: the learner's list, public verification, QR code, and the public keys (JWKS)."""

from __future__ import annotations

import io
from datetime import datetime

import segno
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.auth.dependencies import Learner
from app.certificates import service
from app.config import API_PREFIX
from app.db import SessionDep

router = APIRouter(prefix=API_PREFIX, tags=["certificates"])
well_known = APIRouter(tags=["certificates"])


class MyCertificate(BaseModel):
    code: str
    course: str
    course_title: str
    issued_at: datetime
    token: str
    verify_url: str
    valid: bool


class MyCertificates(BaseModel):
    certificates: list[MyCertificate]


class Verification(BaseModel):
    code: str
    course: str
    course_title: str
    issued_at: datetime
    status: str  # "valid" or "revoked"
    valid: bool
    revoked_at: datetime | None


@router.get("/me/certificates", response_model=MyCertificates)
def my_certificates(identity: Learner, session: SessionDep, request: Request) -> MyCertificates:
    base = request.app.state.settings.public_base_url
    return MyCertificates(
        certificates=[
            MyCertificate(
                code=c.code,
                course=c.course_slug,
                course_title=c.course_title,
                issued_at=c.issued_at,
                token=c.token,
                verify_url=service.verification_url(base, c.code),
                valid=c.revoked_at is None,
            )
            for c in service.for_learner(session, learner_key=identity.learner_key)
        ]
    )


@router.get("/certificates/{code}", response_model=Verification)
def verify_certificate(code: str, session: SessionDep, response: Response) -> Verification:
    certificate = service.find(session, code=code)
    response.headers["Cache-Control"] = "no-cache"
    return Verification(
        code=certificate.code,
        course=certificate.course_slug,
        course_title=certificate.course_title,
        issued_at=certificate.issued_at,
        valid=certificate.revoked_at is None,
        status="valid" if certificate.revoked_at is None else "revoked",
        revoked_at=certificate.revoked_at,
    )


@router.get("/certificates/{code}/qr.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
def certificate_qr(code: str, session: SessionDep, request: Request) -> Response:
    certificate = service.find(session, code=code)
    url = service.verification_url(request.app.state.settings.public_base_url, certificate.code)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@well_known.get("/.well-known/jwks.json")
def jwks(request: Request, response: Response) -> dict:
    response.headers["Cache-Control"] = "public, max-age=3600"
    return request.app.state.signer.jwks()
