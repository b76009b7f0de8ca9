"""Every rejection of the token contract, and the pseudonymous learner key."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jose import jwt

from app.auth.tokens import learner_key
from app.config import Settings, UnsafeConfiguration
from app.main import create_app

ISS, AUD = "https://id.example.vn", "bdhvs-course-service"


def _pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _private(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def idp_client(settings, engine, tmp_path, rsa_key, ec_key):
    """An app configured with the identity provider's RSA key (PEM) and EC key (JWKS, kid 'ec-1')."""
    pem_file = tmp_path / "idp.pem"
    pem_file.write_text(_pem(rsa_key))
    numbers = ec_key.public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(
        json.dumps(
            {
                "keys": [
                    {"kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "x": b64(numbers.x), "y": b64(numbers.y)}
                ]
            }
        )
    )
    configured = settings.model_copy(
        update={"jwt_issuer": ISS, "jwt_audience": AUD, "jwt_public_keys_file": pem_file, "jwt_jwks_file": jwks_file}
    )
    with TestClient(create_app(configured, engine=engine), raise_server_exceptions=False) as client:
        yield client


def claims(**overrides):
    now = int(time.time())
    base = {
        "iss": ISS,
        "aud": AUD,
        "sub": "pairwise-abc",
        "scope": "learner",
        "locality": "00070",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def call(client, token):
    return client.get("/api/v1/me/progress", headers={"Authorization": f"Bearer {token}"})


def test_rs256_and_es256_tokens_are_accepted(idp_client, rsa_key, ec_key):
    assert call(idp_client, jwt.encode(claims(), _private(rsa_key), algorithm="RS256")).status_code == 200
    token = jwt.encode(claims(), _private(ec_key), algorithm="ES256", headers={"kid": "ec-1"})
    assert call(idp_client, token).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exp": lambda now: now - 120}, "token_expired"),
        ({"nbf": lambda now: now + 120}, "invalid_token"),
        ({"iat": lambda now: now + 600}, "invalid_token"),
        ({"iss": "https://evil.example"}, "invalid_token"),
        ({"aud": "another-service"}, "invalid_token"),
        ({"exp": None}, "invalid_token"),
        ({"sub": None}, "invalid_token"),
        ({"locality": None}, "invalid_token"),
        ({"locality": "99999"}, "invalid_token"),
        ({"locality": "70"}, "invalid_token"),
        ({"aud": ["another-service", "a-third"]}, "invalid_token"),
        ({"aud": [AUD, 7]}, "invalid_token"),
        ({"aud": {"x": AUD}}, "invalid_token"),
        ({"iss": [ISS]}, "invalid_token"),
        ({"exp": lambda now: now - 31}, "token_expired"),  # just past the 30 s leeway
        ({"nbf": lambda now: now + 60}, "invalid_token"),
    ],
)
def test_claims_are_checked(idp_client, rsa_key, overrides, code):
    now = int(time.time())  # times relative to when the test runs, not to when the parameters were collected
    overrides = {name: value(now) if callable(value) else value for name, value in overrides.items()}
    response = call(idp_client, jwt.encode(claims(**overrides), _private(rsa_key), algorithm="RS256"))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code


def test_expiry_within_leeway_is_accepted(idp_client, rsa_key):
    token = jwt.encode(claims(exp=int(time.time()) - 10), _private(rsa_key), algorithm="RS256")
    assert call(idp_client, token).status_code == 200


def test_not_before_within_leeway_and_an_audience_list_naming_us_are_accepted(idp_client, rsa_key):
    soon = claims(nbf=int(time.time()) + 10)
    assert call(idp_client, jwt.encode(soon, _private(rsa_key), algorithm="RS256")).status_code == 200
    listed = claims(aud=["another-service", AUD])
    assert call(idp_client, jwt.encode(listed, _private(rsa_key), algorithm="RS256")).status_code == 200


def test_alg_none_is_rejected(idp_client):
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    response = call(idp_client, f"{header}.{payload}.")
    assert response.status_code == 401


def test_hs256_signed_with_the_public_key_is_rejected(idp_client, rsa_key):
    """CVE-2024-33663: the RSA public key PEM used as an HMAC secret."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = hmac.new(_pem(rsa_key).encode(), header + b"." + payload, hashlib.sha256).digest()
    token = (header + b"." + payload + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
    assert call(idp_client, token).status_code == 401


def test_unknown_kid_and_wrong_key_are_rejected(idp_client, ec_key):
    other = ec.generate_private_key(ec.SECP256R1())
    assert (
        call(idp_client, jwt.encode(claims(), _private(ec_key), algorithm="ES256", headers={"kid": "nope"})).json()[
            "error"
        ]["code"]
        == "invalid_token"
    )
    assert (
        call(idp_client, jwt.encode(claims(), _private(other), algorithm="ES256", headers={"kid": "ec-1"})).status_code
        == 401
    )


def test_oversized_and_malformed_tokens_are_rejected(idp_client, rsa_key):
    big = jwt.encode(claims(pad="x" * 9000), _private(rsa_key), algorithm="RS256")
    assert call(idp_client, big).status_code == 401
    assert call(idp_client, "not-a-jwt").status_code == 401
    missing = idp_client.get("/api/v1/me/progress")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_token"
    assert missing.headers["www-authenticate"] == "Bearer"


def test_scope_is_required(client, auth):
    response = client.get("/api/v1/me/progress", headers=auth("stats"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"


def test_dev_tokens_work_in_development_and_expired_ones_do_not(client, auth):
    assert client.get("/api/v1/me/progress", headers=auth("learner")).status_code == 200
    expired = client.get("/api/v1/me/progress", headers=auth("learner", expires_in=-3600))
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_expired"


def test_learner_key_is_a_keyed_hash_of_issuer_and_subject():
    key = learner_key(b"pepper", "iss", "sub")
    assert len(key) == 64 and key != learner_key(b"other", "iss", "sub") != learner_key(b"pepper", "iss2", "sub")
    assert "sub" not in key


def test_production_refuses_development_secrets(tmp_path):
    with pytest.raises(UnsafeConfiguration):
        Settings(app_env="production")
    with pytest.raises(UnsafeConfiguration):
        Settings(
            app_env="production",
            jwt_dev_secret="x" * 40,
            pepper="p" * 40,
            jwt_issuer=ISS,
            jwt_public_keys_file=tmp_path / "k.pem",
            certificate_key_file=tmp_path / "c.pem",
        )
    ok = Settings(
        app_env="production",
        pepper="Zq8!pL2@xR7#vN4$kT9%mB1^cW6&hY3*",
        public_base_url="https://binhdanhocvuso.example.vn",
        jwt_issuer=ISS,
        jwt_public_keys_file=tmp_path / "k.pem",
        certificate_key_file=tmp_path / "c.pem",
        dev_secrets_file=tmp_path / "dev.json",
    )
    assert ok.hs256_secret() is None
    with pytest.raises(UnsafeConfiguration):
        ok.dev_secrets()
    assert not (tmp_path / "dev.json").exists()


def test_dev_tokens_need_dev_tokens_on_whatever_app_env_says(settings, make_token):
    from app.auth.tokens import TokenVerifier
    from app.errors import Unauthorized

    token = make_token("stats", "admin")
    for app_env in ("development", "test"):
        off = TokenVerifier(settings.model_copy(update={"dev_tokens": False, "app_env": app_env}))
        with pytest.raises(Unauthorized):
            off.verify(token)
    assert "stats" in TokenVerifier(settings).verify(token).scopes


def test_production_refuses_weak_pepper_http_base_url_and_dev_tokens(tmp_path):
    from app.config import Settings, UnsafeConfiguration

    base = {
        "app_env": "production",
        "jwt_issuer": "https://id.gov.vn",
        "jwt_jwks_file": tmp_path / "j.json",
        "certificate_key_file": tmp_path / "k.pem",
    }
    for bad, needle in (
        ({"pepper": "a" * 40, "public_base_url": "https://x.vn"}, "PEPPER"),
        ({"pepper": "Zq8!pL2@xR7#vN4$kT9%mB1^cW6&hY3*", "public_base_url": "http://x.vn"}, "https"),
        (
            {"pepper": "Zq8!pL2@xR7#vN4$kT9%mB1^cW6&hY3*", "public_base_url": "https://x.vn", "dev_tokens": True},
            "DEV_TOKENS",
        ),
    ):
        with pytest.raises(UnsafeConfiguration, match=needle):
            Settings(**base, **bad)
    Settings(**base, pepper="Zq8!pL2@xR7#vN4$kT9%mB1^cW6&hY3*", public_base_url="https://x.vn")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exp": "9999999999"}, "'exp' must be whole seconds"),
        ({"exp": 1e300}, "'exp' must be whole seconds"),
        ({"exp": True}, "'exp' must be whole seconds"),
        ({"nbf": -5}, "'nbf' must be whole seconds"),
        ({"exp": None}, "no 'exp' claim"),
        ({"iss": None}, "no 'iss' claim"),
        ({"aud": None}, "no 'aud' claim"),
        ({"sub": None}, "no 'sub' claim"),
    ],
)
def test_claims_are_strict_and_missing_ones_are_named(client, settings, change, message):
    import time as clock

    from jose import jwt as jose_jwt

    now = int(clock.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "s",
        "scope": "learner",
        "locality": "00070",
        "iat": now,
        "exp": now + 600,
    }
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    token = jose_jwt.encode(claims, settings.dev_secrets()["jwt_hs256_secret"], algorithm="HS256")
    response = client.get("/api/v1/me/progress", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and message in response.json()["error"]["message"]


def test_jose_runs_on_the_cryptography_backend_not_ecdsa_or_rsa():
    """python-jose installs `ecdsa` and `rsa` (pure-Python, with known timing advisories), but with the
    `cryptography` extra every key type it builds for us comes from the cryptography backend."""
    from jose import backends

    assert backends.ECKey.__module__ == "jose.backends.cryptography_backend"
    assert backends.RSAKey.__module__ == "jose.backends.cryptography_backend"


def test_a_verified_token_is_remembered_until_it_expires(idp_client, rsa_key, monkeypatch):
    """The second request with a token costs no signature check; past exp (+ leeway) it is refused all the same."""
    import app.auth.tokens as tokens

    decoded = []
    real_verify = tokens.jws.verify
    monkeypatch.setattr(tokens.jws, "verify", lambda *a, **k: decoded.append(1) or real_verify(*a, **k))
    now = int(time.time())
    token = jwt.encode(claims(exp=now + 60), _private(rsa_key), algorithm="RS256")
    assert [call(idp_client, token).status_code for _ in range(3)] == [200, 200, 200]
    assert len(decoded) == 1
    monkeypatch.setattr(tokens.time, "time", lambda: now + 60 + 31)  # past exp and the 30 s leeway
    expired = call(idp_client, token)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_expired"
    assert len(decoded) == 1  # refused from memory


def test_remembered_tokens_are_bounded_and_can_be_turned_off(settings):
    from app.auth.tokens import TokenVerifier, mint_dev_token

    def verifier(size: int) -> TokenVerifier:
        return TokenVerifier(settings.model_copy(update={"token_cache_size": size}))

    minted = [mint_dev_token(settings, scopes=["learner"], subject=f"s{i}", locality="00070") for i in range(3)]
    two = verifier(2)
    for token in minted:
        two.verify(token)
    assert list(two.verified) == minted[1:]  # the oldest was dropped
    off = verifier(0)
    off.verify(minted[0])
    assert not off.verified
