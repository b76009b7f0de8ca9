"""Certificate replies: the learner's own list and the public check (dates only, Vietnam time)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

CertificateStatus = TypeAliasType("CertificateStatus", Literal["valid", "revoked"])


class MyCertificate(BaseModel):
    code: str
    course: str
    course_title: str
    issued_at: datetime
    token: str = Field(description="the signed certificate (JWS, ES256), for the QR code and offline checks")
    verify_url: str
    valid: bool


class MyCertificates(BaseModel):
    certificates: list[MyCertificate]


class Verification(BaseModel):
    code: str
    course: str
    course_title: str
    issued_on: date = Field(description="the day of issue, Vietnam time")
    status: CertificateStatus
    valid: bool
    revoked_on: date | None = Field(description="the day it was revoked, Vietnam time (no time of day)")
