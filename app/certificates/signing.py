"""The service's own ES256 key: signs certificates (JWS via python-jose) and is published as a JWKS.

The key can be rotated: CERTIFICATE_KEY_FILE names the key that signs from now on, and
CERTIFICATE_RETIRED_KEYS_FILE the public halves of earlier keys, which stay in the JWKS under their
key ids so that every certificate they signed still verifies offline (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from jose import jws
from jose.exceptions import JWSError

from app.config import InvalidConfiguration, Settings

ALGORITHM = "ES256"
PUBLIC_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: PublicKeyTypes) -> dict:
    """The key as a JWK whose `kid` is its RFC 7638 thumbprint: a stable id derived from the key itself.
    Any public key is taken (a retired-keys file may hold anything) and all but EC P-256 refused."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise InvalidConfiguration("certificate keys must be EC P-256 keys")
    numbers = public_key.public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
    return jwk | {"use": "sig", "alg": ALGORITHM, "kid": _b64(hashlib.sha256(canonical).digest())}


def _jwk_public_key(jwk: dict) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
        raise InvalidConfiguration("a retired certificate key must be a public EC P-256 JWK")
    x, y = (int.from_bytes(base64.urlsafe_b64decode(jwk[c] + "=" * (-len(jwk[c]) % 4)), "big") for c in "xy")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def load_retired_keys(path: Path) -> list[dict]:
    """Public JWKs of earlier signing keys, from PEM public key blocks or a JWKS document (e.g. a saved
    copy of /.well-known/jwks.json); a private key in this file is refused: it only needs public halves."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidConfiguration(f"CERTIFICATE_RETIRED_KEYS_FILE {path}: {exc.strerror}") from None
    try:
        if b"PRIVATE KEY-----" in data:
            raise InvalidConfiguration("holds a private key; keep only public keys here (openssl ec -pubout)")
        if data.lstrip().startswith(b"{"):
            keys = [public_jwk(_jwk_public_key(jwk)) for jwk in json.loads(data)["keys"]]
        else:
            keys = [public_jwk(serialization.load_pem_public_key(pem)) for pem in PUBLIC_PEM_BLOCK.findall(data)]
    except (InvalidConfiguration, ValueError, KeyError, TypeError) as exc:
        raise InvalidConfiguration(f"CERTIFICATE_RETIRED_KEYS_FILE {path}: {exc}") from None
    if not keys:
        raise InvalidConfiguration(f"CERTIFICATE_RETIRED_KEYS_FILE {path}: no public key in it")
    return keys


class CertificateSigner:
    def __init__(self, settings: Settings) -> None:
        try:
            self._private_pem = settings.certificate_private_pem()
        except OSError as exc:
            raise InvalidConfiguration(f"CERTIFICATE_KEY_FILE {exc.filename}: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(self._private_pem, password=None)
        except (ValueError, TypeError):
            raise InvalidConfiguration("CERTIFICATE_KEY_FILE does not hold an unencrypted PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise InvalidConfiguration("the certificate signing key must be an EC P-256 private key")
        self.public_jwk = public_jwk(key.public_key())
        self.kid = self.public_jwk["kid"]
        retired = []
        if settings.certificate_retired_keys_file:
            retired = load_retired_keys(Path(settings.certificate_retired_keys_file))
        # The signing key first; a retired key listed twice (or the current key listed as retired) once.
        by_kid = {jwk["kid"]: jwk for jwk in [self.public_jwk, *retired]}
        self.public_jwks = list(by_kid.values())

    def jwks(self) -> dict:
        return {"keys": self.public_jwks}

    def sign(self, claims: dict) -> str:
        return jws.sign(
            claims, self._private_pem.decode(), algorithm=ALGORITHM, headers={"kid": self.kid, "typ": "JWT"}
        )


def verify_with_jwks(token: str, jwks: dict) -> dict:
    """Verify a certificate offline with a published JWKS; returns its claims (raises JWSError on failure)."""
    header = jws.get_unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise JWSError(f"certificates are signed with {ALGORITHM}, not {header.get('alg')!r}")
    key = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if key is None:
        raise JWSError(f"no key with kid {header.get('kid')!r} in the JWKS (fetch it again)")
    return json.loads(jws.verify(token, key, algorithms=[ALGORITHM]))
