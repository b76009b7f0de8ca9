"""Issuing (once per learner and course), listing, verifying and revoking certificates."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from app.catalogue.service import CourseView
from app.certificates.issuer import CertificateIssuer
from app.certificates.models import Certificate
from app.clock import local_day
from app.errors import NotFound

CODE_BYTES = 10  # 80 random bits -> 16 base32 characters


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def issue(
    session: Session,
    *,
    learner_key: str,
    course: CourseView,
    issued_at: datetime,
    issuer: CertificateIssuer,
) -> Certificate:
    """The learner's certificate for the course, issued now unless it already exists."""
    existing = session.exec(
        select(Certificate).where(Certificate.learner_key == learner_key, Certificate.course_slug == course.slug)
    ).first()
    if existing is not None:
        return existing
    code = new_code()
    claims = {
        "iss": issuer.base_url.rstrip("/"),
        "code": code,
        "course": course.slug,
        "course_title": course.title,
        "issued_at": local_day(issued_at).isoformat(),  # the day people see: Vietnam time
        "iat": int(issued_at.timestamp()),
        "verify_url": issuer.verification_url(code),
    }
    certificate = Certificate(
        code=code,
        learner_key=learner_key,
        course_slug=course.slug,
        course_title=course.title,
        issued_at=issued_at,
        token=issuer.sign(claims),
    )
    session.add(certificate)
    session.flush()
    return certificate


def for_learner(session: Session, *, learner_key: str) -> list[Certificate]:
    return list(
        session.exec(
            select(Certificate).where(Certificate.learner_key == learner_key).order_by(col(Certificate.issued_at))
        ).all()
    )


def find(session: Session, *, code: str) -> Certificate:
    normalised = code.strip().upper().replace("-", "")
    certificate = session.get(Certificate, normalised) if len(normalised) <= 32 else None
    if certificate is None:
        raise NotFound("no certificate with this code", code="certificate_not_found")
    return certificate


def revoke_and_unlink(session: Session, *, learner_key: str, now: datetime, reason: str) -> int:
    """Erasure: the learner's certificates stop being valid and no longer point at them."""
    certificates = for_learner(session, learner_key=learner_key)
    for certificate in certificates:
        certificate.learner_key = None
        certificate.revoked_at = certificate.revoked_at or now
        certificate.revoked_reason = reason
        session.add(certificate)
    session.flush()
    return len(certificates)
