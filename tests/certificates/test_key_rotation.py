"""Rotating the certificate key: certificates signed by the old key keep verifying, online by code and offline
with the JWKS, which lists the retired key's id beside the new one; new certificates carry the new key id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jose import jws
from jose.exceptions import JWSError
from sqlmodel import Session

from app.catalogue.importer import import_content
from app.certificates.signing import CertificateSigner, verify_with_jwks
from app.config import InvalidConfiguration
from app.main import create_app
from tests.certificates.test_certificates import complete_an_toan
from tests.conftest import CONTENT, on_connection


def _new_key(path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return key


@contextmanager
def _serving(settings, engine, connection) -> Iterator[TestClient]:
    """A server process's view: an app built from `settings`, on the test's transaction (as conftest's `app`)."""
    app = on_connection(create_app(settings, engine=engine), connection)
    with TestClient(app, raise_server_exceptions=False) as client:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            app.state.catalogue.refresh(session)
        yield client


def _my_token(client, headers) -> tuple[str, str]:
    (certificate,) = client.get("/api/v1/me/certificates", headers=headers).json()["certificates"]
    return certificate["code"], certificate["token"]


@pytest.mark.parametrize("retired_format", ["pem", "jwks"])
def test_old_certificates_verify_after_rotation(retired_format, settings, engine, connection, auth, tmp_path):
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        import_content(session, CONTENT)
        session.commit()
    old_key = _new_key(tmp_path / "certificate-2026.pem")
    _new_key(tmp_path / "certificate-2027.pem")
    before = settings.model_copy(update={"certificate_key_file": tmp_path / "certificate-2026.pem"})
    first, second = auth("learner", sub="rotation-1"), auth("learner", sub="rotation-2")

    with _serving(before, engine, connection) as client:
        complete_an_toan(client, first)
        old_code, old_token = _my_token(client, first)
        old_jwks = client.get("/.well-known/jwks.json").json()
    (old_kid,) = [k["kid"] for k in old_jwks["keys"]]
    assert jws.get_unverified_header(old_token)["kid"] == old_kid

    # The operator's rotation: the old key's public half (PEM) or a saved copy of the JWKS becomes the
    # retired keys file, and the new key signs from the next start on.
    retired = tmp_path / f"retired.{retired_format}"
    if retired_format == "pem":
        retired.write_bytes(
            old_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    else:
        retired.write_text(json.dumps(old_jwks))
    after = settings.model_copy(
        update={
            "certificate_key_file": tmp_path / "certificate-2027.pem",
            "certificate_retired_keys_file": retired,
        }
    )
    with _serving(after, engine, connection) as client:
        jwks = client.get("/.well-known/jwks.json").json()
        new_kid = jwks["keys"][0]["kid"]
        assert new_kid != old_kid and [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]
        assert all("d" not in k for k in jwks["keys"])  # public halves only

        assert verify_with_jwks(old_token, jwks)["code"] == old_code  # offline, with today's JWKS
        online = client.get(f"/api/v1/certificates/{old_code}").json()
        assert online["status"] == "valid" and online["valid"]
        assert _my_token(client, first) == (old_code, old_token)  # not re-signed: the learner's QR code holds

        complete_an_toan(client, second)
        new_code, new_token = _my_token(client, second)
        assert jws.get_unverified_header(new_token)["kid"] == new_kid
        assert verify_with_jwks(new_token, jwks)["code"] == new_code
        assert client.get(f"/api/v1/certificates/{new_code}").json()["status"] == "valid"
    with pytest.raises(JWSError, match="no key with kid"):
        verify_with_jwks(new_token, old_jwks)  # a checker holding yesterday's JWKS must fetch it again


def test_without_the_retired_keys_old_certificates_stop_verifying_offline(settings, tmp_path):
    _new_key(tmp_path / "old.pem")
    _new_key(tmp_path / "new.pem")
    old = CertificateSigner(settings.model_copy(update={"certificate_key_file": tmp_path / "old.pem"}))
    new = CertificateSigner(settings.model_copy(update={"certificate_key_file": tmp_path / "new.pem"}))
    token = old.sign({"code": "ABC"})
    assert verify_with_jwks(token, old.jwks())["code"] == "ABC"
    with pytest.raises(JWSError):
        verify_with_jwks(token, new.jwks())


def test_retired_keys_file_refuses_private_keys_and_junk(settings, tmp_path):
    _new_key(tmp_path / "current.pem")
    _new_key(tmp_path / "old.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key\n")
    for retired, needle in [
        (tmp_path / "old.pem", "private key"),
        (junk, "no public key"),
        (tmp_path / "missing.pem", "No such file"),
    ]:
        broken = settings.model_copy(
            update={"certificate_key_file": tmp_path / "current.pem", "certificate_retired_keys_file": retired}
        )
        with pytest.raises(InvalidConfiguration, match=needle):
            CertificateSigner(broken)


def test_the_current_key_listed_as_retired_is_published_once(settings, tmp_path):
    key = _new_key(tmp_path / "current.pem")
    retired = tmp_path / "retired.pem"
    retired.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signer = CertificateSigner(
        settings.model_copy(
            update={"certificate_key_file": tmp_path / "current.pem", "certificate_retired_keys_file": retired}
        )
    )
    assert [k["kid"] for k in signer.jwks()["keys"]] == [signer.kid]
