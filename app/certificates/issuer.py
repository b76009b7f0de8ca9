"""The certificate issuer: the signing key and the public address certificates point at, held together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.certificates.signing import CertificateSigner
from app.config import API_PREFIX


@dataclass(frozen=True)
class CertificateIssuer:
    signer: CertificateSigner
    base_url: str

    def verification_url(self, code: str) -> str:
        return f"{self.base_url.rstrip('/')}{API_PREFIX}/certificates/{code}"

    def sign(self, claims: dict) -> str:
        return self.signer.sign(claims)


async def get_issuer(request: Request) -> CertificateIssuer:
    return request.app.state.issuer


IssuerDep = Annotated[CertificateIssuer, Depends(get_issuer)]
