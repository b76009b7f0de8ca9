"""`serve` start-up choices: certificate links follow the port served, and production refuses a per-worker
limiter when it would run several workers."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app import cli
from app.config import get_settings


@pytest.fixture
def served(monkeypatch):
    """uvicorn.run replaced by a recorder; the settings cache cleared before and after."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_certificate_links_follow_the_port_served(served, monkeypatch, tmp_path, fresh_database_url):
    monkeypatch.chdir(tmp_path)  # development secrets are made here
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "unset")  # recorded, so what serve writes is undone afterwards
    monkeypatch.delenv("PUBLIC_BASE_URL")
    monkeypatch.delenv("APP_ENV", raising=False)
    assert cli.main(["serve", "--port", "8123", "--no-import"]) == 0
    assert served[0]["port"] == 8123
    get_settings.cache_clear()  # as a fresh worker process reads it
    from app.main import create_app

    assert create_app().state.issuer.verification_url("ABC") == "http://127.0.0.1:8123/api/v1/certificates/ABC"


def test_production_refuses_several_workers_without_redis(served, monkeypatch, tmp_path, capsys):
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "cert.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "idp.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for name, value in {
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "PUBLIC_BASE_URL": "https://hoc.example.vn",
        "JWT_ISSUER": "https://id.example.vn",
        "JWT_PUBLIC_KEYS_FILE": str(tmp_path / "idp.pem"),
        "CERTIFICATE_KEY_FILE": str(tmp_path / "cert.pem"),
        "PEPPER": "k9Qv2Lx7Rm4Tz8Wb1Nc6Yd3Hf5Js0Gp-Ua_Ve",
        "DEV_TOKENS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert cli.main(["serve", "--workers", "2", "--no-import"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err and not served
