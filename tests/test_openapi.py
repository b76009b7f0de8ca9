"""The OpenAPI as typed clients read it: stable operation names, enums, one error shape, binary bodies, and a
Python client generated from it that builds and talks to the live app."""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import uuid

import pytest
from fastapi.testclient import TestClient
from vietnam_provinces.base import VietNamDivisionType

from app.catalogue.frontmatter import REVIEW_POLICIES
from app.errors import ErrorOut
from app.limits.middleware import EXEMPT, cheap_read

METHODS = {"get", "put", "post", "delete", "patch", "head"}
ERROR_REF = "#/components/schemas/ErrorOut"
PACKAGE = "bdhvs_client"
# openapi-python-client handles JSON, text and application/octet-stream bodies; the documented way to give it
# other media types is to map them onto one it handles (pictures and the targets CSV are bytes).
GENERATOR_CONFIG = """\
package_name_override: bdhvs_client
post_hooks: []
content_type_overrides:
  image/svg+xml: application/octet-stream
  image/png: application/octet-stream
  image/jpeg: application/octet-stream
  image/webp: application/octet-stream
  text/csv: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
"""


@pytest.fixture
def schema(app) -> dict:
    return app.openapi()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def enum(schema: dict, name: str) -> set[str]:
    return set(schema["components"]["schemas"][name]["enum"])


def test_operation_ids_are_the_handlers_short_names_and_unique(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert not [i for i in ids if "api_v1" in i or i.endswith(("_get", "_post", "_put", "_delete"))]
    assert {"submit_attempt", "get_lesson", "get_quiz", "post_events", "put_targets", "dev_token", "jwks"} <= set(ids)


def test_closed_string_sets_are_named_enums_with_the_values_the_service_uses(schema):
    assert enum(schema, "Review") == set(REVIEW_POLICIES)
    assert enum(schema, "RejectionReason") == {
        "unsupported_type", "unknown_course", "unknown_lesson", "in_future", "before_publication", "locked"
    }  # fmt: skip
    assert enum(schema, "CertificateStatus") == {"valid", "revoked"}
    assert enum(schema, "Level") == {"province", "commune"}
    assert enum(schema, "TableFormat") == {"json", "csv", "xlsx"}
    assert enum(schema, "ProvinceType") | enum(schema, "CommuneType") == {t.value for t in VietNamDivisionType}
    # The event type is open: an app newer than the server sends a type it does not know and only that event
    # is rejected (unsupported_type), so the known value is offered beside any string.
    event_type = schema["components"]["schemas"]["EventIn"]["properties"]["type"]
    assert {"$ref": "#/components/schemas/EventType"} in event_type["anyOf"]
    assert schema["components"]["schemas"]["EventType"]["const"] == "lesson_completed"


def test_every_error_reply_is_declared_with_the_apps_error_shape(schema):
    assert "HTTPValidationError" not in json.dumps(schema)
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                declared = response["content"]["application/json"]["schema"]
                assert declared == {"$ref": ERROR_REF}, (method, path, status)
    details = schema["components"]["schemas"]["ErrorDetail"]["properties"]["details"]
    assert {"items": {"$ref": "#/components/schemas/Problem"}, "type": "array"} in details["anyOf"]


def test_every_rate_limited_operation_declares_429_with_retry_after(schema):
    limited = []
    for path, method, operation in operations(schema):
        if path in EXEMPT or cheap_read({"path": path, "method": method.upper()}):
            continue
        limited.append(operation["operationId"])
        response = operation["responses"].get("429")
        assert response is not None, (method, path)
        assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
        assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert {"jwks", "dev_token", "get_quiz", "verify_certificate", "put_targets"} <= set(limited)


def test_pictures_and_csv_are_declared_as_such(schema):
    paths = schema["paths"]
    binary = {"type": "string", "format": "binary"}
    asset = paths["/api/v1/assets/{name}"]["get"]["responses"]["200"]["content"]
    assert set(asset) == {"image/svg+xml", "image/png", "image/jpeg", "image/webp"}
    assert all(media["schema"] == binary for media in asset.values())
    qr = paths["/api/v1/certificates/{code}/qr.svg"]["get"]["responses"]["200"]["content"]
    assert qr == {"image/svg+xml": {"schema": binary}}
    for table in ("/api/v1/stats/completion", "/api/v1/stats/timeseries"):
        assert paths[table]["get"]["responses"]["200"]["content"]["text/csv"]["schema"]["type"] == "string"
    upload = paths["/api/v1/admin/targets"]["put"]["requestBody"]
    assert upload["required"] is True and upload["content"]["text/csv"]["schema"]["format"] == "binary"


def test_the_quiz_form_takes_a_token_optionally(schema, client, content, auth):
    operation = schema["paths"]["/api/v1/courses/{course}/quizzes/{quiz}"]["get"]
    assert operation["security"] == [{}, {"identity_token": []}]
    url = "/api/v1/courses/an-toan/quizzes/mat-khau"
    assert client.get(url).json()["form"] is None  # the preview
    assert client.get(url, headers=auth("learner")).json()["form"]


def test_validation_and_csv_problems_match_the_declared_error_shape(client, auth):
    bad_body = client.post("/api/v1/dev/token", json={"scope": "nobody", "sub": ""})
    assert bad_body.status_code == 422
    error = ErrorOut.model_validate(bad_body.json()).error
    assert error.code == "invalid_request" and {p.field for p in error.details} == {"body.scope", "body.sub"}
    csv = client.put(
        "/api/v1/admin/targets", content="code,adults\n01,many\n", headers={**auth("admin"), "content-type": "text/csv"}
    )
    assert csv.status_code == 422
    assert [(p.line, p.field) for p in ErrorOut.model_validate(csv.json()).error.details] == [(2, None)]


@pytest.fixture
def typed_client(schema, tmp_path, monkeypatch):
    """The package openapi-python-client makes from the live OpenAPI; any generator warning fails the test."""
    (tmp_path / "openapi.json").write_text(json.dumps(schema))
    (tmp_path / "config.yml").write_text(GENERATOR_CONFIG)
    generated = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json", "--config",
         "config.yml", "--meta", "none", "--output-path", PACKAGE, "--fail-on-warning"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", PACKAGE], cwd=tmp_path, capture_output=True)
    assert compiled.returncode == 0, compiled.stdout
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_a_generated_typed_client_builds_and_talks_to_the_app(typed_client, app, client, content, auth):
    api = f"{PACKAGE}.api"
    submit_attempt = importlib.import_module(f"{api}.learner.submit_attempt")
    get_quiz = importlib.import_module(f"{api}.learner.get_quiz")
    put_targets = importlib.import_module(f"{api}.statistics.put_targets")
    get_lesson = importlib.import_module(f"{api}.catalogue.get_lesson")
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")

    def through_app(*scopes: str):
        """A generated client whose calls go to the test app (the `client` fixture has started it)."""
        transport = TestClient(app, headers=auth(*scopes) if scopes else None, raise_server_exceptions=False)
        return typed_client.Client(base_url=str(transport.base_url)).set_httpx_client(transport)

    lesson = get_lesson.sync(course="an-toan", lesson="mat-khau-manh", client=through_app())
    assert isinstance(lesson, models.LessonOut) and lesson.slug == "mat-khau-manh"

    learner = through_app("learner")
    form = get_quiz.sync(course="an-toan", quiz="mat-khau", client=learner)
    assert isinstance(form, models.QuizFormOut) and form.review == models.Review.HINTS
    reply = submit_attempt.sync(
        course="an-toan",
        quiz="mat-khau",
        client=learner,
        body=models.AttemptIn(form=form.form, answers=models.AttemptInAnswers(), id=uuid.uuid4()),
    )
    assert isinstance(reply, models.AttemptOut) and not reply.passed and isinstance(reply.review, models.Review)

    admin = through_app("admin")
    saved = put_targets.sync(client=admin, body=types.File(payload=io.BytesIO(b"code,adults\n01,6500000\n")))
    assert isinstance(saved, models.TargetsOut) and saved.updated == 1
    refused = put_targets.sync(client=admin, body=types.File(payload=io.BytesIO(b"code,adults\n01,x\n")))
    assert isinstance(refused, models.ErrorOut) and refused.error.details[0].line == 2


def test_the_apps_routes_are_one_flat_list(app):
    """Every route is matched directly: no `include_router` branch, which FastAPI walks on every request
    (app/routes.py; a fifth of a lesson GET's cost in-process, docs/SCALING.md)."""
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    branches = [route for route in app.router.routes if not isinstance(route, APIRoute | Route)]
    assert branches == []
    operations = {
        (route.path, method) for route in app.router.routes if isinstance(route, APIRoute) for method in route.methods
    }
    assert ("/api/v1/courses/{course}/lessons/{lesson}", "GET") in operations
    assert ("/api/v1/progress/events", "POST") in operations
