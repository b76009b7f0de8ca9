"""Health, readiness, metrics and the JSON error format for 405, 413, 422 and unexpected errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.main import create_app


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_readyz_reports_an_unmigrated_database(settings, tmp_path):
    app = create_app(settings, engine=create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["schema"] == "behind"


def test_readyz_reports_an_unreachable_database(settings):
    app = create_app(settings, engine=create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


def test_metrics_count_requests_per_route_template(client, content):
    client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh")
    text = client.get("/metrics").text
    assert 'route="/api/v1/courses/{course}/lessons/{lesson}"' in text
    assert "http_request_duration_seconds_bucket" in text


def test_method_not_allowed_is_json(client):
    response = client.delete("/api/v1/courses")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_body_too_large_is_413_json(client, settings):
    big = b"x" * (settings.max_body_bytes + 1)
    response = client.post("/api/v1/courses", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unexpected_exception_is_json_500(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error" and "kaboom" not in response.text


def test_a_body_that_is_not_json_at_all_is_a_422_and_an_oversized_stream_a_413(client, auth, content):
    headers = {**auth("learner"), "content-type": "application/json"}
    not_utf8 = client.post("/api/v1/progress/events", content=b"\x15\xff\xfe", headers=headers)
    assert not_utf8.status_code == 422 and not_utf8.json()["error"]["code"] == "invalid_request"

    def chunks():  # no Content-Length: the limit is found while streaming
        for _ in range(100):
            yield b" " * 4096

    streamed = client.post("/api/v1/progress/events", content=chunks(), headers=headers)
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"


def test_requests_get_an_id_and_one_json_access_line_without_addresses_or_tokens(client, auth, caplog):
    import logging

    headers = auth("learner")
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = client.get("/api/v1/me/progress", headers={**headers, "X-Request-ID": "abc-123"})
        generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) >= 16
    lines = [r for r in caplog.records if r.name == "app.access"]
    assert lines[0].fields["route"] == "/api/v1/me/progress" and lines[0].fields["request_id"] == "abc-123"
    token = headers["Authorization"].split()[1]
    for record in lines:
        assert "client" not in record.fields and token not in str(record.fields)


def test_in_production_metrics_need_an_admin_token_and_docs_are_hidden(settings, engine, make_token, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from fastapi.testclient import TestClient

    from app.main import create_app

    key = tmp_path / "certificate.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    production = settings.model_copy(
        update={"app_env": "production", "pepper": "Zq8!pL2@xR7#vN4$kT9%mB1^cW6&hY3*", "certificate_key_file": key}
    )
    app = create_app(production, engine=engine)
    app.state.verifier.hs256 = create_app(settings, engine=engine).state.verifier.hs256  # dev tokens for the test
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {make_token('stats')}"}).status_code == 403
        admin = client.get("/metrics", headers={"Authorization": f"Bearer {make_token('admin')}"})
        assert admin.status_code == 200 and admin.headers["content-type"].startswith("text/plain")
        assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404
