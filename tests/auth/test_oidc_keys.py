"""Identity keys published by an OpenID Connect provider: discovery, rotation without a restart, outages.

The end-to-end test runs a real, certified provider (panva/oidc-provider on Node.js, tests/auth/oidc_provider/)
that issues real JWT access tokens; it is installed with `npm ci` into a cache directory on first use. Without
node and npm these tests are skipped, except in CI (CI=1), where that is a failure.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from pydantic import ValidationError

from app.auth.jwks import RemoteKeys, cache_seconds
from app.auth.tokens import TokenVerifier
from app.config import Settings, UnsafeConfiguration
from app.errors import Unauthorized

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
AUD = "bdhvs-course-service"
JWKS_MAX_AGE = 300


def _rsa_jwk(kid: str, *, private: bool) -> tuple[dict, str]:
    """(JWK, private key PEM) of a new RSA key: the JWK private for the provider, public for a JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    source = jwk.construct(pem, "RS256") if private else jwk.construct(pem, "RS256").public_key()
    as_dict = {name: value.decode() if isinstance(value, bytes) else value for name, value in source.to_dict().items()}
    return {**as_dict, "kid": kid, "use": "sig"}, pem


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def _wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 30.0) -> None:
    """Poll a condition until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Clock:
    """An injectable monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the key cache alone (httpx mock transport, injectable clock) -----------------------------------------------


@pytest.fixture(scope="module")
def signing_key() -> tuple[dict, str]:
    return _rsa_jwk("k1", private=False)


def _jwks_transport(jwks: dict, requests: list, *, fail: Callable[[], bool] = lambda: False) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if fail():
            raise httpx.ConnectError("provider unreachable", request=request)
        return httpx.Response(200, json=jwks, headers={"Cache-Control": "public, max-age=600"})

    return httpx.MockTransport(handle)


def test_cache_lifetime_follows_max_age_within_bounds():
    bounds = {"minimum": 60, "maximum": 86400}
    assert cache_seconds("public, max-age=600", **bounds) == 600
    assert cache_seconds("max-age=5", **bounds) == 60
    assert cache_seconds("max-age=99999999", **bounds) == 86400
    assert cache_seconds("no-cache", **bounds) == 60
    assert cache_seconds(None, **bounds) == 3600  # no max-age: an hour


def test_unknown_kid_refreshes_at_most_once_a_minute(signing_key):
    clock, requests = Clock(), []
    remote = RemoteKeys(
        jwks_url="https://id.example.vn/jwks",
        clock=clock,
        transport=_jwks_transport({"keys": [signing_key[0]]}, requests),
    )

    def refresh() -> bool:
        return asyncio.run(remote.refresh_for_unknown_kid())

    assert refresh() is True and len(requests) == 1
    assert [key.kid for key in remote.keys] == ["k1"]
    assert remote.seconds_until_stale() == 600  # the provider's max-age
    for _ in range(100):
        clock.now += 0.5
        assert refresh() is False  # within the minute: refused without a request
    assert len(requests) == 1
    clock.now = 1000.0 + 60
    assert refresh() is True and len(requests) == 2


def test_a_flood_of_unknown_kids_costs_one_fetch_and_known_kids_none(settings, signing_key):
    public_jwk, pem = signing_key
    requests: list = []
    verifier = TokenVerifier(
        settings.model_copy(update={"jwt_jwks_url": "https://id.example.vn/jwks", "token_cache_size": 0})
    )
    verifier.remote.transport = _jwks_transport({"keys": [public_jwk]}, requests)
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": "s", "exp": int(time.time()) + 300}

    signed = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "k1"})

    def token(kid: str) -> str:  # the signed token under another kid (its signature no longer matters)
        header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": kid}).encode()).rstrip(b"=").decode()
        return ".".join([header, *signed.split(".")[1:]])

    async def flood() -> list:
        return await asyncio.gather(
            *(verifier.verify_async(token(f"junk-{i}")) for i in range(50)), return_exceptions=True
        )

    outcomes = asyncio.run(flood())
    assert all(isinstance(outcome, Unauthorized) for outcome in outcomes)
    assert len(requests) == 1  # one refresh shared by all, and then none for a minute
    assert asyncio.run(verifier.verify_async(signed)).subject == "s"  # that refresh brought k1
    assert asyncio.run(verifier.verify_async(signed)).subject == "s"
    assert len(requests) == 1  # a known kid costs no request


def test_an_outage_keeps_the_last_good_keys_and_warns(signing_key, caplog):
    clock, requests, down = Clock(), [], [False]
    remote = RemoteKeys(
        jwks_url="https://id.example.vn/jwks",
        clock=clock,
        transport=_jwks_transport({"keys": [signing_key[0]]}, requests, fail=lambda: down[0]),
    )
    assert remote.refresh()
    down[0] = True
    with caplog.at_level(logging.WARNING, logger="app.auth.jwks"):
        assert remote.refresh() is False
    assert [key.kid for key in remote.keys] == ["k1"]
    assert "could not be refreshed" in caplog.text and "keeping the 1 keys" in caplog.text
    assert remote.seconds_until_stale() == 60  # retried in a minute, not after the full max-age


def test_keys_are_refetched_when_they_pass_their_max_age(signing_key):
    clock, requests, down, slept = Clock(), [], [False], []
    remote = RemoteKeys(
        jwks_url="https://id.example.vn/jwks",
        clock=clock,
        transport=_jwks_transport({"keys": [signing_key[0]]}, requests, fail=lambda: down[0]),
    )

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds
        down[0] = len(slept) >= 2  # the provider goes down after the second fetch
        if len(slept) == 4:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(remote.keep_fresh(sleep))
    assert slept == [600, 600, 60, 60]  # max-age while the provider answers; a minute while it is down
    assert len(requests) == 4 and [key.kid for key in remote.keys] == ["k1"]


def test_missing_node_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception):
        _provider_directory()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _provider_directory()


def test_discovery_must_name_its_issuer_and_https_is_required(signing_key):
    requests: list = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json={"issuer": "https://evil.example", "jwks_uri": "https://evil.example/jwks"})
        return httpx.Response(200, json={"keys": [signing_key[0]]})

    remote = RemoteKeys(issuer_url="https://id.example.vn", transport=httpx.MockTransport(handle))
    assert remote.refresh() is False and not remote.keys
    assert requests == ["https://id.example.vn/.well-known/openid-configuration"]
    plain = RemoteKeys(jwks_url="http://id.example.vn/jwks", transport=httpx.MockTransport(handle))
    assert plain.refresh() is False and len(requests) == 1  # http refused before any request (production)
    redirect = httpx.MockTransport(lambda request: httpx.Response(302, headers={"Location": "https://evil.example"}))
    assert RemoteKeys(jwks_url="https://id.example.vn/jwks", transport=redirect).refresh() is False


def test_production_accepts_https_key_urls_only(tmp_path):
    base = {
        "app_env": "production",
        "pepper": "Zq8!pL2@xR7#vN4$kT9%mB1^cW6&hY3*",
        "public_base_url": "https://x.vn",
        "certificate_key_file": tmp_path / "k.pem",
    }
    by_discovery = Settings(**base, jwt_oidc_issuer_url="https://id.gov.vn")
    assert by_discovery.jwt_issuer == "https://id.gov.vn"  # JWT_ISSUER defaults to the OpenID Connect issuer
    Settings(**base, jwt_issuer="https://id.gov.vn", jwt_jwks_url="https://id.gov.vn/jwks")
    with pytest.raises(UnsafeConfiguration, match="JWT_JWKS_URL must be https"):
        Settings(**base, jwt_issuer="https://id.gov.vn", jwt_jwks_url="http://id.gov.vn/jwks")
    with pytest.raises(UnsafeConfiguration, match="JWT_OIDC_ISSUER_URL must be https"):
        Settings(**base, jwt_oidc_issuer_url="http://id.gov.vn")
    assert Settings(app_env="test", jwt_oidc_issuer_url="http://127.0.0.1:9").jwt_issuer == "http://127.0.0.1:9"
    with pytest.raises(ValidationError):
        Settings(jwt_jwks_url="file:///etc/jwks.json")


# --- a real OpenID Connect provider ------------------------------------------------------------------------------


def _provider_directory() -> Path:
    """provider.js with its node_modules: in place if installed there, else `npm ci` once into a cache directory
    named after the lock file."""
    if not (shutil.which("node") and shutil.which("npm")):
        message = "node and npm are needed to run the OpenID Connect provider"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return PROVIDER_DIR
    manifest = (PROVIDER_DIR / "package.json").read_bytes() + (PROVIDER_DIR / "package-lock.json").read_bytes()
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bdhvs-oidc-provider"
    directory = cache_root / hashlib.sha256(manifest).hexdigest()[:16]
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".install-lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # concurrent test runs install once
        if not (directory / "node_modules" / "oidc-provider").is_dir():
            for name in ("package.json", "package-lock.json"):
                shutil.copy(PROVIDER_DIR / name, directory / name)
            installed = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if installed.returncode != 0:
                pytest.fail(f"npm ci failed in {directory}:\n{installed.stdout}\n{installed.stderr}")
        shutil.copy(PROVIDER_DIR / "provider.js", directory / "provider.js")
    return directory


class OidcProvider:
    """The provider as a process on a fixed port: started with a key set, stopped, started again (a rotation)."""

    def __init__(self, directory: Path, workdir: Path) -> None:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            self.port = free.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.directory, self.workdir = directory, workdir
        self.process: subprocess.Popen | None = None
        self.log = workdir / "provider.log"

    def start(self, signing_keys: list[dict]) -> None:
        keys_file = self.workdir / "signing-keys.json"
        keys_file.write_text(json.dumps({"keys": signing_keys}))
        env = {
            **os.environ,
            "PORT": str(self.port),
            "ISSUER": self.issuer,
            "SIGNING_KEYS_FILE": str(keys_file),
            "AUDIENCE": AUD,
            "JWKS_MAX_AGE": str(JWKS_MAX_AGE),
        }
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                ["node", "provider.js"], cwd=self.directory, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        _wait_for(lambda: _port_open(self.port) or self.process.poll() is not None, what="the provider's port")
        if self.process.poll() is not None:
            pytest.fail(f"the provider exited:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        _wait_for(lambda: not _port_open(self.port), what="the provider's port to close")

    def token(self) -> str:
        """A real JWT access token for the course service (client_credentials grant, scope learner)."""
        response = httpx.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "bdhvs-tests",
                "client_secret": "bdhvs-tests-secret",
                "scope": "learner",
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture(scope="module")
def provider_keys() -> dict[str, dict]:
    return {kid: _rsa_jwk(kid, private=True)[0] for kid in ("key-1", "key-2")}


@pytest.fixture
def oidc(tmp_path, provider_keys) -> Iterator[OidcProvider]:
    provider = OidcProvider(_provider_directory(), tmp_path)
    provider.start([provider_keys["key-1"]])
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def app_settings(settings, oidc) -> Settings:
    """The app finds the provider's keys through discovery only (no key files); every request verifies."""
    issuer = oidc.issuer
    return settings.model_copy(
        update={"jwt_issuer": issuer, "jwt_oidc_issuer_url": issuer, "jwt_audience": AUD, "token_cache_size": 0}
    )


def _call(client, token: str) -> int:
    return client.get("/api/v1/me/progress", headers={"Authorization": f"Bearer {token}"}).status_code


def test_rotated_provider_keys_are_accepted_without_a_restart(oidc, provider_keys, client, caplog):
    remote = client.app.state.verifier.remote
    assert [key.kid for key in remote.keys] == ["key-1"] and remote.fetches == 1  # discovery, before any request
    assert JWKS_MAX_AGE - 5 < remote.seconds_until_stale() <= JWKS_MAX_AGE  # the provider's Cache-Control
    first = oidc.token()
    assert _kid(first) == "key-1"
    assert _call(client, first) == 200
    assert _call(client, oidc.token()) == 200
    assert remote.fetches == 1  # a known kid never costs a request to the provider

    # Rotation: the provider restarts signing with key-2 and still publishes key-1.
    oidc.stop()
    oidc.start([provider_keys["key-2"], provider_keys["key-1"]])
    second = oidc.token()
    assert _kid(second) == "key-2"
    assert _call(client, second) == 200  # the unknown kid refreshed the keys: no learner refused
    assert remote.fetches == 2
    assert _call(client, first) == 200  # key-1 is still published, so still accepted

    # Outage: the refresh that the keys' max-age triggers fails; the last good keys still verify.
    oidc.stop()
    with caplog.at_level(logging.WARNING, logger="app.auth.jwks"):
        assert remote.refresh() is False
    assert "keeping the 2 keys" in caplog.text
    assert _call(client, first) == 200 and _call(client, second) == 200

    # Back, with key-1 retired: once refreshed, its tokens are refused (and a retry costs no request).
    oidc.start([provider_keys["key-2"]])
    assert remote.refresh()
    fetches = remote.fetches
    assert _call(client, first) == 401
    assert _call(client, second) == 200 and _call(client, oidc.token()) == 200
    assert remote.fetches == fetches
