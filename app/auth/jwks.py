"""Identity-provider keys published at a URL (OpenID Connect discovery or a JWKS URL), kept fresh per worker.

The keys in memory are what verification reads; it never waits on the network for a key id it knows. The
network is used by the start-up fetch, by a background refresh when the keys pass the provider's
Cache-Control max-age (bounded), and by a token whose key id is unknown (the provider rotated its keys):
that refreshes at most once per minute per worker, so a flood of made-up key ids cannot hammer the
provider. A failed fetch keeps the last good keys and logs a warning.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from jose import jwk
from jose.backends.base import Key
from jose.exceptions import JOSEError

log = logging.getLogger(__name__)

UNKNOWN_KID_REFRESH_SECONDS = 60.0  # at most one refresh per worker per minute for tokens with an unknown kid
RETRY_SECONDS = 60.0  # after a failed fetch, the background refresh tries again this soon
DEFAULT_MAX_AGE = 3600.0  # when the provider sends no usable Cache-Control max-age
MAX_DOCUMENT_BYTES = 512 * 1024  # a discovery document or JWKS larger than this is refused
DISCOVERY_PATH = "/.well-known/openid-configuration"
MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)


@dataclass(frozen=True)
class VerificationKey:
    kid: str | None
    algorithm: str  # the only algorithm this key is accepted with
    key: str | dict[str, Any]  # PEM text or JWK dict, as python-jose takes it
    # python-jose's key object, built once here rather than from `key` at every token (reading a PEM or a JWK is
    # most of an ES256 check's cost); raises for malformed key material.
    prepared: Key = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prepared", jwk.construct(self.key, self.algorithm))


class KeyFetchError(Exception):
    """The provider's discovery document or JWKS could not be fetched or is not usable."""


def keys_from_jwks(document: object) -> list[VerificationKey]:
    """The signing keys of a JWKS document that we accept (RSA -> RS256, EC P-256 -> ES256); others are skipped."""
    keys = []
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict):
            continue
        kty = entry.get("kty")  # any JSON value: a list or object here must skip the key, not raise TypeError
        algorithm = {"RSA": "RS256", "EC": "ES256"}.get(kty) if isinstance(kty, str) else None
        if algorithm is None or entry.get("alg", algorithm) != algorithm or entry.get("use", "sig") != "sig":
            continue  # not a signing key we accept
        if algorithm == "ES256" and entry.get("crv") != "P-256":
            continue
        public = {name: value for name, value in entry.items() if name not in ("d", "p", "q", "dp", "dq", "qi")}
        kid = entry.get("kid") if isinstance(entry.get("kid"), str) else None
        try:  # the key object is built here: malformed key material is skipped, not met at every token
            keys.append(VerificationKey(kid=kid, algorithm=algorithm, key={**public, "alg": algorithm}))
        except (JOSEError, ValueError, TypeError):
            continue
    return keys


def cache_seconds(cache_control: str | None, *, minimum: float, maximum: float) -> float:
    """How long to keep a JWKS: the response's max-age (DEFAULT_MAX_AGE if none), bounded to [minimum, maximum]."""
    directives = (cache_control or "").lower()
    if "no-store" in directives or "no-cache" in directives:
        return minimum
    found = MAX_AGE.search(cache_control or "")
    seconds = float(found.group(1)) if found else DEFAULT_MAX_AGE
    return min(max(seconds, minimum), maximum)


class RemoteKeys:
    """The keys a provider publishes, with the freshness its Cache-Control grants them."""

    def __init__(
        self,
        *,
        issuer_url: str | None = None,
        jwks_url: str | None = None,
        require_https: bool = True,
        min_cache_seconds: float = 300,
        max_cache_seconds: float = 86400,
        timeout_seconds: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not (issuer_url or jwks_url):
            raise ValueError("an issuer URL or a JWKS URL is needed")
        self.issuer_url = issuer_url
        self.jwks_url = jwks_url
        self.require_https = require_https
        self.min_cache_seconds = min_cache_seconds
        self.max_cache_seconds = max_cache_seconds
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        self.transport = transport
        self.keys: tuple[VerificationKey, ...] = ()  # replaced whole, never mutated: readers need no lock
        self.fresh_until = -math.inf
        self.fetches = 0  # fetch attempts (JWKS refreshes), for tests and diagnosis
        self._unknown_kid_refreshed_at = -math.inf
        self._lock = threading.Lock()  # one fetch at a time per worker
        self._inflight: asyncio.Future[bool] | None = None

    def refresh(self) -> bool:
        """Fetch the keys now (blocking: call it off the event loop); on failure keep the last good keys."""
        with self._lock:
            self.fetches += 1
            try:
                keys, max_age = self._fetch()
            except (httpx.HTTPError, httpx.InvalidURL, KeyFetchError, ValueError) as exc:
                self.fresh_until = self.clock() + min(RETRY_SECONDS, self.min_cache_seconds)
                log.warning(
                    "identity provider keys could not be refreshed (%s); keeping the %d keys fetched before",
                    exc,
                    len(self.keys),
                )
                return False
            if {key.kid for key in keys} != {key.kid for key in self.keys}:
                log.info("identity provider keys: %s", ", ".join(sorted(str(key.kid) for key in keys)))
            self.keys = tuple(keys)
            self.fresh_until = self.clock() + max_age
            return True

    def seconds_until_stale(self) -> float:
        return self.fresh_until - self.clock()

    def claim_unknown_kid_refresh(self) -> bool:
        """True (and the minute starts now) if a refresh for an unknown kid is allowed; False within the minute."""
        now = self.clock()
        if now - self._unknown_kid_refreshed_at < UNKNOWN_KID_REFRESH_SECONDS:
            return False
        self._unknown_kid_refreshed_at = now
        return True

    async def refresh_for_unknown_kid(self) -> bool:
        """One refresh in a thread for a token with an unknown kid; tokens arriving meanwhile share it.

        False, without any network call, when the last such refresh was less than a minute ago."""
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        if inflight is None or inflight.done() or inflight.get_loop() is not loop:
            if not self.claim_unknown_kid_refresh():
                return False
            inflight = self._inflight = asyncio.ensure_future(asyncio.to_thread(self.refresh))
        return await asyncio.shield(inflight)

    async def keep_fresh(self, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        """Background task of a worker: fetch when the keys pass their max-age (at once if never fetched)."""
        while True:
            if self.seconds_until_stale() <= 0:
                await asyncio.to_thread(self.refresh)
            await sleep(max(self.seconds_until_stale(), 1.0))

    def _fetch(self) -> tuple[list[VerificationKey], float]:
        timeout = httpx.Timeout(self.timeout_seconds)
        with httpx.Client(timeout=timeout, transport=self.transport, headers={"Accept": "application/json"}) as client:
            jwks_url = self.jwks_url or self._jwks_uri_from_discovery(client)
            document, cache_control = self._get_json(client, jwks_url)
        keys = keys_from_jwks(document)
        if not keys:
            raise KeyFetchError(f"{jwks_url} publishes no RS256 or ES256 signing key")
        return keys, cache_seconds(cache_control, minimum=self.min_cache_seconds, maximum=self.max_cache_seconds)

    def _jwks_uri_from_discovery(self, client: httpx.Client) -> str:
        if not self.issuer_url:  # only reached without a JWKS URL, when __init__ has required an issuer URL
            raise KeyFetchError("no JWKS URL, and no issuer URL to discover one from")
        discovery_url = self.issuer_url.rstrip("/") + DISCOVERY_PATH
        document, _ = self._get_json(client, discovery_url)
        if not isinstance(document, dict) or document.get("issuer") != self.issuer_url:
            # OpenID Connect Discovery 1.0, 4.3: the document must name exactly the issuer it was fetched for
            raise KeyFetchError(f"{discovery_url} does not name {self.issuer_url} as its issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise KeyFetchError(f"{discovery_url} has no jwks_uri")
        return jwks_uri

    def _get_json(self, client: httpx.Client, url: str) -> tuple[object, str | None]:
        if not url.startswith("https://") and not (url.startswith("http://") and not self.require_https):
            raise KeyFetchError(f"refusing {url}: keys are fetched over https only")
        deadline = time.monotonic() + self.timeout_seconds  # httpx's timeouts are per phase; this bounds the body
        with client.stream("GET", url) as response:  # redirects are not followed (a 3xx is an error)
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise KeyFetchError(f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise KeyFetchError(f"{url} took longer than {self.timeout_seconds} s")
            cache_control = response.headers.get("cache-control")
        try:
            return json.loads(body), cache_control
        except ValueError:
            raise KeyFetchError(f"{url} is not JSON") from None
