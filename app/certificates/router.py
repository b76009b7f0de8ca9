"""Certificates: the learner's list, public verification, QR code, and the public keys (JWKS)."""

from __future__ import annotations

import io

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from app.auth.dependencies import Learner
from app.certificates import page, service
from app.certificates.issuer import IssuerDep
from app.certificates.page import CSP, wants_html
from app.certificates.schemas import MyCertificate, MyCertificates, Verification
from app.clock import local_day
from app.config import API_PREFIX
from app.db import SessionDep
from app.errors import NotFound, error_responses
from app.http import BINARY

router = APIRouter(prefix=API_PREFIX, tags=["certificates"], responses=error_responses(401, 403, 404, 422, 429, 503))
well_known = APIRouter(tags=["certificates"], responses=error_responses(429))  # the per-address limit
SVG = {"image/svg+xml": {"schema": BINARY}}
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@router.get("/me/certificates", response_model=MyCertificates)
def my_certificates(identity: Learner, session: SessionDep, issuer: IssuerDep) -> MyCertificates:
    return MyCertificates(
        certificates=[
            MyCertificate(
                code=c.code,
                course=c.course_slug,
                course_title=c.course_title,
                issued_at=c.issued_at,
                token=c.token,
                verify_url=issuer.verification_url(c.code),
                valid=c.revoked_at is None,
            )
            for c in service.for_learner(session, learner_key=identity.learner_key)
        ]
    )


@router.get(
    "/certificates/{code}",
    response_model=Verification,
    responses={
        200: {
            "description": "JSON; a browser (Accept prefers text/html) gets a Vietnamese page for people instead",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
def verify_certificate(code: str, session: SessionDep, request: Request, response: Response) -> Verification | Response:
    headers = {"Cache-Control": "no-cache", "Vary": "Accept"}
    if wants_html(request.headers.get("accept")):  # the QR code and the link open in a person's browser
        try:
            found = _verification(service.find(session, code=code))
        except NotFound:
            return HTMLResponse(page.not_found_page(code), status_code=404, headers={**headers, **PAGE_HEADERS})
        return HTMLResponse(page.verification_page(found), headers={**headers, **PAGE_HEADERS})
    response.headers.update(headers)
    return _verification(service.find(session, code=code))


def _verification(certificate) -> Verification:
    return Verification(
        code=certificate.code,
        course=certificate.course_slug,
        course_title=certificate.course_title,
        issued_on=local_day(certificate.issued_at),
        valid=certificate.revoked_at is None,
        status="valid" if certificate.revoked_at is None else "revoked",
        revoked_on=local_day(certificate.revoked_at) if certificate.revoked_at else None,
    )


@router.get(
    "/certificates/{code}/qr.svg",
    response_class=Response,
    responses={200: {"description": "The QR code (SVG) of the verification URL", "content": SVG}},
)
def certificate_qr(code: str, session: SessionDep, issuer: IssuerDep) -> Response:
    certificate = service.find(session, code=code)
    buffer = io.BytesIO()
    segno.make(issuer.verification_url(certificate.code), error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@well_known.get("/.well-known/jwks.json")
def jwks(issuer: IssuerDep, response: Response) -> dict:
    response.headers["Cache-Control"] = "public, max-age=3600"
    return issuer.signer.jwks()
