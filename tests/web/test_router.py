"""The app's files and the development sign-in endpoint, without a browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.web.router import dev_tokens_enabled, shell_urls


@pytest.fixture
def make_client(settings, engine):
    def make(dev_tokens: bool) -> TestClient:
        return TestClient(create_app(settings.model_copy(update={"dev_tokens": dev_tokens}), engine=engine))

    return make


def test_index_manifest_and_files_are_served_with_etags(make_client):
    client = make_client(False)
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text and "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    again = client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    icons = {icon["sizes"] for icon in manifest.json()["icons"]}
    assert {"192x192", "512x512", "any"} <= icons
    for url in shell_urls():
        assert client.get(url).status_code == 200, url
    assert client.get("/web/app.js").headers["content-type"].startswith("text/javascript")


def test_service_worker_lists_the_shell_and_is_versioned_by_content(make_client):
    client = make_client(False)
    worker = client.get("/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
    assert "__SHELL" not in worker.text
    listed = json.loads(worker.text.split("const SHELL_FILES = ", 1)[1].split(";", 1)[0])
    assert listed == shell_urls()


def test_no_path_escapes_the_static_folder(make_client):
    client = make_client(False)
    for path in ("/web/../router.py", "/web/%2e%2e/router.py", "/web/..%2frouter.py", "/web/nope.js", "/web/sw.js"):
        assert client.get(path).status_code == 404, path


def test_dev_token_endpoint_exists_only_with_dev_tokens(make_client):
    off = make_client(False)
    for body in ({"locality": "00070"}, {"scope": "stats"}, {"scope": "author"}):
        assert off.post("/api/v1/dev/token", json=body).status_code == 404, body
    assert not [path for path in off.app.openapi()["paths"] if path.startswith("/api/v1/dev/")]
    client = make_client(True)
    reply = client.post("/api/v1/dev/token", json={"locality": "00070"})
    assert reply.status_code == 200 and reply.json()["expires_in"] == 86400
    token = reply.json()["token"]
    identity = client.app.state.verifier.verify(token)
    assert identity.scopes == {"learner"} and identity.locality == "00070"
    bad = client.post("/api/v1/dev/token", json={"locality": "99999"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_locality"


def test_the_one_dev_token_route_mints_each_scope(make_client):
    client = make_client(True)
    verify = client.app.state.verifier.verify
    learner = client.post("/api/v1/dev/token", json={"scope": "learner", "locality": "00070", "sub": "an"})
    assert verify(learner.json()["token"]).scopes == {"learner"} and verify(learner.json()["token"]).locality == "00070"
    for scope in ("stats", "author"):
        reply = client.post("/api/v1/dev/token", json={"scope": scope})
        assert reply.status_code == 200, reply.text
        identity = verify(reply.json()["token"])
        assert identity.scopes == {scope} and identity.locality is None
        named = client.post("/api/v1/dev/token", json={"scope": scope, "sub": "minh"}).json()["token"]
        assert verify(named).scopes == {scope}
    # The pages' probe: an empty sub is refused with 422 where the route exists (404 elsewhere).
    for body in ({"sub": ""}, {"scope": "stats", "sub": ""}, {"scope": "author", "sub": ""}):
        assert client.post("/api/v1/dev/token", json=body).status_code == 422, body
    # The removed routes of the dashboard and the authors' page stay removed.
    for path in ("/api/v1/dev/stats-token", "/api/v1/dev/author-token"):
        assert client.post(path, json={}).status_code == 404, path
    operation = client.app.openapi()["paths"]["/api/v1/dev/token"]["post"]
    assert operation["operationId"] == "dev_token" and {"413", "422", "429"} <= set(operation["responses"])


def test_the_dev_token_route_refuses_what_a_scope_does_not_take(make_client):
    client = make_client(True)
    for body in ({}, {"scope": "learner"}, {"scope": "learner", "sub": "an"}):
        missing = client.post("/api/v1/dev/token", json=body)
        assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_locality", body
        assert "needs 'locality'" in missing.json()["error"]["message"]
    placed = client.post("/api/v1/dev/token", json={"scope": "stats", "locality": "00070"})
    assert placed.status_code == 422 and placed.json()["error"]["code"] == "invalid_locality"
    assert "learner tokens only" in placed.json()["error"]["message"]
    unknown = client.post("/api/v1/dev/token", json={"scope": "admin"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "invalid_request"
    assert {problem["field"] for problem in unknown.json()["error"]["details"]} == {"body.scope"}


def test_the_pages_share_one_module(make_client):
    client = make_client(False)
    shared = client.get("/web/pages.js")
    assert shared.status_code == 200 and shared.headers["content-type"] == "text/javascript; charset=utf-8"
    assert shared.headers["x-content-type-options"] == "nosniff"
    for name in ("API", "h", "claims", "signInFor"):
        assert f"export function {name}(" in shared.text or f"export const {name} =" in shared.text, name
    static = Path(__file__).parents[2] / "app/web"
    for page in ("stats/api.js", "static/author/api.js", "stats/format.js", "static/author/main.js"):
        source = (static / page).read_text()
        assert 'from "/web/pages.js"' in source and "function h(" not in source, page
        assert "sessionStorage.getItem" not in source and "/dev/stats-token" not in source, page


def test_dev_tokens_never_in_production(settings, monkeypatch):
    monkeypatch.setenv("DEV_TOKENS", "true")
    production = Settings.model_construct(**{**settings.__dict__, "app_env": "production", "dev_tokens": True})
    assert not dev_tokens_enabled(production)
    assert dev_tokens_enabled(settings.model_copy(update={"dev_tokens": True}))


def test_only_listed_host_origins_may_frame_the_app():
    from app.web.router import trusted_origins

    page = b'<meta name="bdhvs-trusted-origins" content="https://app.example.gov.vn  javascript:x https://a.b:8443">'
    assert trusted_origins(page) == ["https://app.example.gov.vn", "https://a.b:8443"]
    assert trusted_origins(b"<html></html>") == []


def test_the_apps_files_are_sent_compressed_when_the_browser_accepts_it(make_client):
    client = make_client(False)
    for url in ("/web/app.js", "/web/views.js", "/web/app.css", "/web/outbox.js"):
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip", url
        assert packed.content == plain.content  # httpx unpacks: the same file
        assert int(packed.headers["content-length"]) < len(plain.content) / 2, url
        assert "Accept-Encoding" in packed.headers["vary"] and packed.headers["etag"] == plain.headers["etag"]
