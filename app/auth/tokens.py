"""Verification of identity-provider JWTs (python-jose) with per-key algorithm allow-lists.

An algorithm is never taken from the token alone: each configured key carries the one algorithm it
may be used with (RS256 for RSA keys, ES256 for P-256 keys, HS256 only for the development secret),
which rules out `alg: none` and the HS256-with-a-public-key confusion (CVE-2024-33663). Keys come from files
and, when configured, from the provider's published JWKS (`app.auth.jwks`), which a token with an unknown key
id refreshes once (`TokenVerifier.verify_async`).

A token is read once: its header and claims are decoded here, their shapes checked before any cryptography,
the signature checked by python-jose (`jws.verify`) with a key object built when the key was loaded, and then
the claims of our contract (exp and nbf with the leeway, iss, aud, sub, iat, scope, locality). That is what
`jwt.decode` checks, without decoding the token three more times and building the key again (issue #24:
an HS256 check went from about 50 to 25 µs).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jws, jwt
from jose.exceptions import JOSEError
from jose.utils import base64url_decode

from app.auth.jwks import RemoteKeys, VerificationKey, keys_from_jwks
from app.config import Settings
from app.errors import Unauthorized
from app.localities.official import is_commune

SCOPES = ("learner", "author", "stats", "admin")
MAX_SUB_LENGTH = 255
PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class UnknownKeyId(Unauthorized):
    """The token names a key id none of our keys has: the provider may have rotated its keys."""


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    scopes: frozenset[str]
    locality: str | None
    learner_key: str


def learner_key(pepper: bytes, issuer: str, subject: str) -> str:
    """The only stored identity: HMAC-SHA256(pepper, iss + "\\n" + sub), hex."""
    return hmac.new(pepper, f"{issuer}\n{subject}".encode(), hashlib.sha256).hexdigest()


def _algorithm_for_pem(pem: str) -> str:
    public = serialization.load_pem_public_key(pem.encode())
    if isinstance(public, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return "ES256"
    raise ValueError("only RSA and EC P-256 public keys are supported")


def load_public_keys(settings: Settings) -> list[VerificationKey]:
    """Keys from JWT_PUBLIC_KEYS_FILE (PEM blocks) and JWT_JWKS_FILE (a JWKS document)."""
    keys: list[VerificationKey] = []
    if settings.jwt_public_keys_file:
        for pem in PEM_BLOCK.findall(Path(settings.jwt_public_keys_file).read_text()):
            keys.append(VerificationKey(kid=None, algorithm=_algorithm_for_pem(pem), key=pem))
        if not keys:
            raise ValueError(f"no PEM public key in {settings.jwt_public_keys_file}")
    if settings.jwt_jwks_file:
        keys.extend(keys_from_jwks(json.loads(Path(settings.jwt_jwks_file).read_text())))
    return keys


def remote_keys(settings: Settings) -> RemoteKeys | None:
    """The provider's published keys (JWT_OIDC_ISSUER_URL or JWT_JWKS_URL), not fetched yet; None if neither is set."""
    if not (settings.jwt_oidc_issuer_url or settings.jwt_jwks_url):
        return None
    return RemoteKeys(
        issuer_url=settings.jwt_oidc_issuer_url,
        jwks_url=settings.jwt_jwks_url,
        require_https=settings.is_production,
        min_cache_seconds=settings.jwt_jwks_min_cache_seconds,
        max_cache_seconds=settings.jwt_jwks_max_cache_seconds,
        timeout_seconds=settings.jwt_jwks_timeout_seconds,
    )


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.file_keys = load_public_keys(settings)
        self.remote = remote_keys(settings)
        secret = settings.hs256_secret()
        self.hs256 = VerificationKey(kid=None, algorithm="HS256", key=secret) if secret else None
        self.pepper = settings.pepper_bytes()
        # token -> (identity, exp): tokens that passed every check, so a learner's next request with the same
        # token costs a lookup, not a signature check (an ES256 check is ~0.1 ms). Only exact strings match;
        # expiry is checked on every use; the oldest is dropped first (popitem is atomic under the GIL).
        self.verified: OrderedDict[str, tuple[Identity, int]] = OrderedDict()

    @property
    def public_keys(self) -> list[VerificationKey]:
        """The keys from files and, as last fetched, the provider's published keys (the union of both)."""
        return [*self.file_keys, *self.remote.keys] if self.remote else self.file_keys

    def _candidates(self, header: dict) -> list[VerificationKey]:
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm == "HS256":
            if self.hs256 is None:
                raise Unauthorized("HS256 tokens are accepted only in development", code="invalid_token")
            return [self.hs256]
        if algorithm not in ("RS256", "ES256"):
            raise Unauthorized(f"token algorithm {algorithm!r} is not allowed", code="invalid_token")
        keys = [k for k in self.public_keys if k.algorithm == algorithm]
        if kid is not None:
            keys = [k for k in keys if k.kid == kid]
            if not keys:
                raise UnknownKeyId("token signed with an unknown key id (kid)", code="invalid_token")
        else:
            keys = [k for k in keys if k.kid is None] or keys
        if not keys:
            raise Unauthorized(f"no configured key for {algorithm}", code="invalid_token")
        return keys

    async def verify_async(self, token: str) -> Identity:
        """`verify`, and if the token names an unknown key id, one refresh of the provider's keys (in a thread, at
        most once a minute per worker) before deciding: a learner is not refused because the keys rotated."""
        try:
            return self.verify(token)
        except UnknownKeyId:
            if self.remote is None or not await self.remote.refresh_for_unknown_kid():
                raise
        return self.verify(token)

    def verify(self, token: str) -> Identity:
        """Verify signature, exp, nbf, iat, iss, aud and the claims of the token contract (once per token and
        worker while it is valid: see `verified`)."""
        remembered = self.verified.get(token)
        if remembered is not None:
            identity, expires = remembered
            if time.time() <= expires + self.settings.jwt_leeway_seconds:
                return identity
            self.verified.pop(token, None)
            raise Unauthorized("token has expired", code="token_expired")
        identity, expires = self._verify(token)
        if self.settings.token_cache_size:
            while len(self.verified) >= self.settings.token_cache_size:
                try:
                    self.verified.popitem(last=False)
                except KeyError:  # emptied meanwhile by another thread
                    break
            self.verified[token] = (identity, expires)
        return identity

    def _verify(self, token: str) -> tuple[Identity, int]:
        """The token read once (header and claims), its claims' shapes checked before any cryptography, the
        signature checked by python-jose with a key object built in advance, then the claims of our contract."""
        if len(token) > self.settings.jwt_max_bytes:
            raise Unauthorized(f"token is larger than {self.settings.jwt_max_bytes} bytes", code="invalid_token")
        header, claims = read_unverified(token)
        check_claim_shapes(claims)
        verified = False
        for key in self._candidates(header):
            try:
                jws.verify(token, key.prepared, algorithms=[key.algorithm])
            except JOSEError:
                continue
            verified = True
            break
        if not verified:
            raise Unauthorized("token signature is not valid", code="invalid_token")
        leeway = self.settings.jwt_leeway_seconds
        self._check_validity(claims, leeway)
        return self._identity(claims, leeway), claims["exp"]

    def _check_validity(self, claims: dict, leeway: int) -> None:
        """exp and nbf (with the leeway), iss and aud: the checks python-jose's `jwt.decode` makes, on claims
        whose shapes check_claim_shapes has already checked, without reading the token again."""
        now = time.time()
        if claims["exp"] < now - leeway:
            raise Unauthorized("token has expired", code="token_expired")
        nbf = claims.get("nbf")
        if nbf is not None and nbf > now + leeway:
            raise Unauthorized("token claims rejected: the token is not yet valid (nbf)", code="invalid_token")
        if claims["iss"] != self.settings.jwt_issuer:
            raise Unauthorized("token claims rejected: invalid issuer", code="invalid_token")
        audience = claims["aud"]
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
            raise Unauthorized("token claims rejected: 'aud' must be a string or strings", code="invalid_token")
        if self.settings.jwt_audience not in audiences:
            raise Unauthorized("token claims rejected: invalid audience", code="invalid_token")

    def _identity(self, claims: dict, leeway: int) -> Identity:
        iat = claims.get("iat")
        if iat is not None and (not isinstance(iat, int | float) or iat > time.time() + leeway):
            raise Unauthorized("token is issued in the future (iat)", code="invalid_token")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUB_LENGTH:
            raise Unauthorized("token has no valid 'sub'", code="invalid_token")
        scope = claims.get("scope", "")
        scopes = frozenset(scope.split()) & set(SCOPES) if isinstance(scope, str) else frozenset()
        locality = claims.get("locality")
        if "learner" in scopes and not is_commune(locality):
            raise Unauthorized("learner token needs 'locality': an official 5-digit commune code", code="invalid_token")
        issuer = claims["iss"]
        return Identity(
            issuer=issuer,
            subject=subject,
            scopes=scopes,
            locality=locality if is_commune(locality) else None,
            learner_key=learner_key(self.pepper, issuer, subject),
        )


REQUIRED_CLAIMS = ("exp", "iss", "aud", "sub")
TIME_CLAIMS = ("exp", "nbf", "iat")
MAX_TIME = 10_000_000_000  # seconds since 1970: year 2286; anything later is not a real time


def read_unverified(token: str) -> tuple[dict, dict]:
    """The header and the claims of a compact JWS, not yet verified: each must be a JSON object."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthorized("token is not a well-formed JWT", code="invalid_token")
    try:
        header = json.loads(base64url_decode(parts[0].encode()))
    except (ValueError, TypeError, binascii.Error):
        raise Unauthorized("token is not a well-formed JWT", code="invalid_token") from None
    if not isinstance(header, dict):
        raise Unauthorized("token is not a well-formed JWT", code="invalid_token")
    try:
        claims = json.loads(base64url_decode(parts[1].encode()))
    except (ValueError, TypeError, binascii.Error):
        raise Unauthorized("token payload is not readable JSON", code="invalid_token") from None
    if not isinstance(claims, dict):
        raise Unauthorized("token payload is not a JSON object", code="invalid_token")
    return header, claims


def check_claim_shapes(claims: dict) -> None:
    """Before any cryptography: each required claim present, named when missing; times whole seconds in range."""
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise Unauthorized(f"token has no '{name}' claim", code="invalid_token")
    for name in TIME_CLAIMS:
        value = claims.get(name)
        if value is not None and (type(value) is not int or not 0 <= value < MAX_TIME):
            raise Unauthorized(f"token claim '{name}' must be whole seconds since 1970", code="invalid_token")
    if not isinstance(claims["iss"], str):
        raise Unauthorized("token claim 'iss' must be a string", code="invalid_token")


def mint_dev_token(
    settings: Settings, *, scopes: list[str], subject: str, locality: str | None, expires_in: int = 3600
) -> str:
    """A development HS256 token (refused in production; accepted by a server only with DEV_TOKENS on)."""
    if settings.is_production:
        raise RuntimeError("development tokens are refused in production mode")
    secret = settings.jwt_dev_secret or settings.dev_secrets()["jwt_hs256_secret"]
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "scope": " ".join(scopes),
        "iat": min(now, now + expires_in),
        "exp": now + expires_in,
    }
    if locality:
        claims["locality"] = locality
    return jwt.encode(claims, secret, algorithm="HS256")
