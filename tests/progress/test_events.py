"""Offline-safe progress: idempotent batches, furthest state, sequential rule, resume point."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.progress.models import Enrolment, LessonCompletion

URL = "/api/v1/progress/events"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def event(lesson, course="an-toan", at=T0, id=None, type="lesson_completed"):
    return {"id": str(id or uuid.uuid4()), "type": type, "course": course, "lesson": lesson, "at": at.isoformat()}


def progress(client, headers, course="an-toan"):
    courses = client.get("/api/v1/me/progress", headers=headers).json()["courses"]
    return next(c for c in courses if c["course"] == course)


def test_batch_resent_three_times_leaves_the_same_state(client, content, auth, session):
    headers = auth("learner")
    batch = {"events": [event("mat-khau-manh", at=T0), event("xac-thuc-hai-lop", at=T0 + timedelta(minutes=5))]}
    first = client.post(URL, json=batch, headers=headers).json()
    assert first == {"accepted": 2, "duplicates": 0, "rejected": []}
    state = session.exec(select(LessonCompletion).order_by(LessonCompletion.lesson_slug)).all()
    for _ in range(3):
        assert client.post(URL, json=batch, headers=headers).json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert session.exec(select(LessonCompletion).order_by(LessonCompletion.lesson_slug)).all() == state
    mine = progress(client, headers)
    assert (mine["lessons_done"], mine["lessons_total"], mine["next_lesson"]) == (2, 3, "nhan-biet-lua-dao")


def test_out_of_order_batch_is_sorted_by_time_and_unknowns_are_rejected(client, content, auth):
    headers = auth("learner")
    later, earlier, bad_course, bad_lesson, bad_type = (uuid.uuid4() for _ in range(5))
    batch = {
        "events": [
            event("xac-thuc-hai-lop", at=T0 + timedelta(hours=1), id=later),
            event("mat-khau-manh", at=T0, id=earlier),
            event("x", course="nope", id=bad_course),
            event("nope", id=bad_lesson),
            event("mat-khau-manh", id=bad_type, type="video_watched"),
        ]
    }
    body = client.post(URL, json=batch, headers=headers).json()
    assert body["accepted"] == 2 and body["duplicates"] == 0
    assert {(r["id"], r["reason"]) for r in body["rejected"]} == {
        (str(bad_course), "unknown_course"),
        (str(bad_lesson), "unknown_lesson"),
        (str(bad_type), "unsupported_type"),
    }


def test_sequential_rule_rejects_locked_lessons_and_allows_them_later(client, content, auth):
    headers = auth("learner")
    locked_id = uuid.uuid4()
    body = client.post(URL, json={"events": [event("nhan-biet-lua-dao", id=locked_id)]}, headers=headers).json()
    assert body["rejected"] == [{"id": str(locked_id), "reason": "locked"}]
    client.post(
        URL, json={"events": [event("mat-khau-manh"), event("xac-thuc-hai-lop", at=T0 + timedelta(1))]}, headers=headers
    )
    resent = client.post(
        URL, json={"events": [event("nhan-biet-lua-dao", id=locked_id, at=T0 + timedelta(2))]}, headers=headers
    ).json()
    assert resent == {"accepted": 1, "duplicates": 0, "rejected": []}  # a rejected event may be sent again


def test_non_sequential_course_accepts_any_order(client, content, auth):
    body = client.post(URL, json={"events": [event("bai-hai", course="tu-chon")]}, headers=auth("learner")).json()
    assert body["accepted"] == 1


def test_first_completion_time_stays_and_completion_never_goes_back(client, content, auth, session):
    headers = auth("learner")
    client.post(URL, json={"events": [event("bai-mot", course="tu-chon", at=T0 + timedelta(days=2))]}, headers=headers)
    client.post(URL, json={"events": [event("bai-mot", course="tu-chon", at=T0)]}, headers=headers)
    client.post(URL, json={"events": [event("bai-mot", course="tu-chon", at=T0 + timedelta(days=5))]}, headers=headers)
    row = session.exec(select(LessonCompletion)).one()
    assert row.completed_at == T0
    assert session.exec(select(Enrolment)).one().started_at == T0


def test_implausible_times_are_rejected_with_a_reason_never_a_500(settings, content, auth, session, app):
    from datetime import timedelta

    app.state.settings = settings.model_copy(update={"event_clock_tolerance_seconds": 300})
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        cases = {
            "in_future": [datetime(2099, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(hours=1)],
            "before_publication": [datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC) - timedelta(days=2)],
        }
        for reason, moments in cases.items():
            events = [event("bai-mot", course="tu-chon", at=at) for at in moments]
            body = client.post(URL, json={"events": events}, headers=auth("learner")).json()
            assert [r["reason"] for r in body["rejected"]] == [reason] * 2, body
        extremes = ["0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-07:00", "0001-01-01T00:00:00Z"]
        for at in extremes:
            response = client.post(
                URL, json={"events": [{**event("bai-mot", course="tu-chon"), "at": at}]}, headers=auth("learner")
            )
            assert response.status_code in (200, 422) and response.json().get("accepted", 0) == 0, at
        fine = client.post(
            URL, json={"events": [event("bai-mot", course="tu-chon", at=datetime.now(UTC))]}, headers=auth("learner")
        )
        assert fine.json()["accepted"] == 1
    assert session.exec(select(LessonCompletion)).one().completed_at <= datetime.now(UTC)


def test_invalid_body_is_422_and_stores_nothing(client, content, auth, session):
    headers = auth("learner")
    for body in [
        {"events": [event("mat-khau-manh"), {"id": "nope"}]},
        {"events": "x"},
        {},
        [],
        {"events": [{**event("mat-khau-manh"), "at": "yesterday"}]},
    ]:
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 422, body
    assert session.exec(select(LessonCompletion)).all() == []


def test_batch_size_limit(client, content, auth, settings):
    events = [event("bai-mot", course="tu-chon") for _ in range(settings.max_events_per_batch + 1)]
    response = client.post(URL, json={"events": events}, headers=auth("learner"))
    assert response.status_code == 413 and response.json()["error"]["code"] == "batch_too_large"


def test_progress_is_kept_per_learner(client, content, auth):
    client.post(URL, json={"events": [event("bai-mot", course="tu-chon")]}, headers=auth("learner", sub="a"))
    assert progress(client, auth("learner", sub="b"), "tu-chon")["lessons_done"] == 0
    assert progress(client, auth("learner", sub="a"), "tu-chon")["lessons_done"] == 1


def test_the_commune_is_the_one_in_the_latest_token(client, content, auth, session):
    from app.learners.models import Learner

    client.post(URL, json={"events": [event("bai-mot", course="tu-chon")]}, headers=auth("learner", sub="mover"))
    assert session.exec(select(Learner)).one().commune == "00070"
    client.post(
        URL,
        json={"events": [event("bai-hai", course="tu-chon")]},
        headers=auth("learner", sub="mover", locality="25747"),
    )
    session.expire_all()
    learner = session.exec(select(Learner)).one()
    assert learner.commune == "25747"


def test_event_times_must_be_iso_text_not_numbers(client, auth, content):
    event = {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "an-toan", "lesson": "mat-khau-manh"}
    for at in (1700000000, 1.7e9, True, None):
        response = client.post(
            "/api/v1/progress/events", json={"events": [{**event, "at": at}]}, headers=auth("learner")
        )
        assert response.status_code == 422, at


@pytest.mark.parametrize("n", [7, 10_100])
def test_writes_go_as_one_statement_on_postgresql_and_a_rebuild_in_chunks(session, n):
    """A change's inserts go as one statement on PostgreSQL, whatever their number of rows up to
    MAX_ROWS_PER_STATEMENT (a bound-row statement would be refused past 65,535 values); more rows (a national
    rebuild) go in statements of that many rows; elsewhere one executemany per table. Every row is stored."""
    from sqlalchemy import event

    from app.auth.tokens import Identity
    from app.db import MAX_ROWS_PER_STATEMENT, Writes, inserting
    from app.learners.service import ensure_learner
    from app.progress.models import ProgressEvent

    key = "f" * 64
    identity = Identity(issuer="i", subject="s", scopes=frozenset({"learner"}), locality="00070", learner_key=key)
    ensure_learner(session, identity=identity, shards=1, counted_moves=1)
    writes = Writes()
    events = [{"learner_key": key, "event_id": uuid.uuid4(), "received_at": T0} for _ in range(n)]
    lessons = [{"learner_key": key, "course_slug": "c", "lesson_slug": f"l{i}", "completed_at": T0} for i in range(n)]
    writes.add(inserting(ProgressEvent), events)
    writes.add(inserting(LessonCompletion), lessons)
    statements = []

    def sent(_conn, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", sent)
    writes.send(session)
    event.remove(connection, "before_cursor_execute", sent)
    assert writes.items == []
    chunks = -(-n // MAX_ROWS_PER_STATEMENT)
    expected = (1 if chunks == 1 else 2 * chunks) if connection.dialect.name == "postgresql" else 2
    assert len(statements) == expected
    assert len(session.exec(select(ProgressEvent.event_id).where(ProgressEvent.learner_key == key)).all()) == n
    assert len(session.exec(select(LessonCompletion).where(LessonCompletion.learner_key == key)).all()) == n


def test_a_time_without_an_offset_is_refused_naming_the_field(client, content, auth, session):
    """A phone's local time without an offset would be read as UTC: seven hours ahead in Vietnam, then
    rejected for good as in_future. The batch is refused instead, so the app keeps it and can resend."""
    headers = auth("learner", sub="local-time")
    event = {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "tu-chon", "lesson": "bai-mot"}
    naive = client.post(
        "/api/v1/progress/events", json={"events": [{**event, "at": "2026-11-23T20:33:42"}]}, headers=headers
    )
    assert naive.status_code == 422
    error = naive.json()["error"]
    assert error["code"] == "invalid_request"
    assert "events.0.at" in naive.text and "+07:00" in naive.text
    with_offset = {**event, "at": "2026-11-23T20:33:42+07:00"}
    accepted = client.post("/api/v1/progress/events", json={"events": [with_offset]}, headers=headers)
    assert accepted.status_code == 200 and accepted.json()["accepted"] == 1
