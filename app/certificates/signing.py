"""The service's own ES256 key: signs certificates (JWS via python-jose) and is published as a JWKS."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws

from app.config import Settings

ALGORITHM = "ES256"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CertificateSigner:
    def __init__(self, settings: Settings) -> None:
        self._private_pem = settings.certificate_private_pem()
        key = serialization.load_pem_private_key(self._private_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the certificate signing key must be an EC P-256 private key")
        numbers = key.public_key().public_numbers()
        self.public_jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
        }
        # RFC 7638 thumbprint: a stable key id derived from the public key itself.
        canonical = json.dumps(self.public_jwk, sort_keys=True, separators=(",", ":")).encode()
        self.kid = _b64(hashlib.sha256(canonical).digest())
        self.public_jwk |= {"use": "sig", "alg": ALGORITHM, "kid": self.kid}

    def jwks(self) -> dict:
        return {"keys": [self.public_jwk]}

    def sign(self, claims: dict) -> str:
        return jws.sign(
            claims, self._private_pem.decode(), algorithm=ALGORITHM, headers={"kid": self.kid, "typ": "JWT"}
        )


def verify_with_jwks(token: str, jwks: dict) -> dict:
    """Verify a certificate offline with a published JWKS; returns its claims (raises on failure)."""
    header = jws.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header.get("kid"))
    return json.loads(jws.verify(token, key, algorithms=[ALGORITHM]))
