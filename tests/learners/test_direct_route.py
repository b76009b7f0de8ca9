"""POST /progress/events answered by `DirectBatches` (app/learners/router.py) before the declared route: a valid
batch is recorded there; every request gets the reply the declared route alone gives."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from app.learners.router import DirectBatches
from app.main import create_app
from tests.conftest import on_connection

URL = "/api/v1/progress/events"


@pytest.fixture
def declared_only(app_settings, engine, connection, session, content) -> Iterator[TestClient]:
    """The same app without `DirectBatches`: every batch through FastAPI's route, as before it."""
    app = on_connection(create_app(app_settings, engine=engine), connection)
    app.state.catalogue.refresh(session)
    app.router.routes[:] = [r for r in app.router.routes if not isinstance(getattr(r, "app", None), DirectBatches)]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _batch(*lessons: str) -> dict:
    at = datetime.now(UTC).isoformat()
    return {"events": [{"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "tu-chon", "lesson": lesson,
                        "at": at} for lesson in lessons]}  # fmt: skip


def _requests(auth, sub: str) -> list[tuple[str, dict]]:
    """(what, keyword arguments of client.post) for each kind of request."""
    learner = auth("learner", sub=sub)
    too_many = {"events": _batch("bai-mot")["events"] * 51}  # the tests' MAX_EVENTS_PER_BATCH is 50
    return [
        ("a valid batch", {"json": _batch("bai-mot"), "headers": learner}),
        ("no token", {"json": _batch("bai-mot")}),
        ("a token without the learner scope", {"json": _batch("bai-mot"), "headers": auth("stats", sub=sub)}),
        ("a token without a locality", {"json": _batch("bai-mot"), "headers": auth("learner", sub=sub, locality=None)}),
        ("a batch over the limit", {"json": too_many, "headers": learner}),
        ("a field missing", {"json": {"events": [{"type": "lesson_completed"}]}, "headers": learner}),
        ("not JSON", {"content": b"{events", "headers": learner | {"content-type": "application/json"}}),
        ("another content type", {"content": b"events=1", "headers": learner | {"content-type": "text/plain"}}),
        ("no body", {"headers": learner}),
        ("a body over MAX_BODY_BYTES", {"json": {"events": [], "x": "a" * 70_000}, "headers": learner}),
        ("a resent batch", {"json": _batch(), "headers": learner}),
    ]


def test_every_request_gets_the_reply_the_declared_route_gives(client, declared_only, content, auth, monkeypatch):
    direct = next(r.app for r in client.app.router.routes if isinstance(getattr(r, "app", None), DirectBatches))
    handed: list[str] = []
    declared_handle = direct.declared.handle

    async def watched(scope, receive, send):
        handed.append(scope["path"])
        await declared_handle(scope, receive, send)

    monkeypatch.setattr(direct.declared, "handle", watched)
    for (what, sent), (_, sent_before) in zip(_requests(auth, "route-a"), _requests(auth, "route-b"), strict=True):
        handed.clear()
        reply, before = client.post(URL, **sent), declared_only.post(URL, **sent_before)
        assert (reply.status_code, reply.json()) == (before.status_code, before.json()), what
        # only a JSON body that is a batch is read here; the rest goes to the declared route (the body limit
        # refuses an oversized body by its Content-Length before any route)
        assert handed == ([] if what in ("a valid batch", "a batch over the limit", "no token",
                                         "a token without the learner scope", "a token without a locality",
                                         "a body over MAX_BODY_BYTES", "a resent batch") else [URL]), what  # fmt: skip
    assert client.post(URL, **_requests(auth, "route-a")[0][1]).json()["accepted"] == 1


def test_the_direct_route_is_matched_first_and_stays_out_of_the_openapi(app):
    first = app.router.routes[0]
    assert isinstance(first, Route) and isinstance(first.app, DirectBatches) and first.path == URL
    assert first.methods == {"POST"} and not first.include_in_schema
    operations = app.openapi()["paths"][URL]
    assert list(operations) == ["post"] and operations["post"]["operationId"] == "post_events"
