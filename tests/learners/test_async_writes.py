"""The learners' writes and their progress read as served (app/db.py `Transactions`): on PostgreSQL on psycopg's
async connection, from the event loop; on SQLite in the thread pool. Committed databases of their own, not the
test's transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.db import Transactions, make_async_engine
from app.learners.models import Learner
from app.progress.models import Enrolment, ProgressEvent
from app.stats.models import CompletionRollup

LESSONS = ["mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao"]  # the fixture course `an-toan`


def _event(lesson: str, event_id: uuid.UUID | None = None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": "lesson_completed",
        "course": "an-toan",
        "lesson": lesson,
        "at": datetime.now(UTC).isoformat(),
    }


def test_postgresql_writes_and_reads_run_on_the_async_connection_and_sqlite_ones_in_the_thread_pool(
    served, auth, monkeypatch
):
    app, engine = served
    transactions: Transactions = app.state.transactions
    on_postgresql = engine.dialect.name == "postgresql"
    assert (transactions.async_engine is not None) == on_postgresql
    if on_postgresql:  # nothing may reach the thread pool's path

        def in_thread(work, sessions):
            raise AssertionError("a learner's write or progress read ran in the thread pool")

        monkeypatch.setattr(transactions, "_in_thread", in_thread)
    headers = auth("learner", sub="async-1")
    batch = {"events": [_event(lesson) for lesson in LESSONS[:2]]}
    with TestClient(app) as client:
        first = client.post("/api/v1/progress/events", json=batch, headers=headers)
        again = client.post("/api/v1/progress/events", json=batch, headers=headers)
        rated = client.put("/api/v1/courses/an-toan/rating", json={"stars": 4}, headers=headers)
        progress = client.get("/api/v1/me/progress", headers=headers).json()
        erased = client.delete("/api/v1/me", headers=headers)
    assert (first.status_code, first.json()["accepted"]) == (200, 2)
    assert (again.status_code, again.json()["duplicates"]) == (200, 2)
    assert rated.status_code == 200 and rated.json()["stars"] == 4
    assert [course["lessons_done"] for course in progress["courses"] if course["course"] == "an-toan"] == [2]
    assert erased.status_code == 200
    with Session(engine) as session:  # committed, then erased: nothing of the learner is left
        assert session.exec(select(func.count()).select_from(ProgressEvent)).one() == 0
        assert session.exec(select(func.count()).select_from(Learner)).one() == 0


def test_concurrent_batches_of_one_learner_queue_on_their_lock_and_count_once(served, auth):
    """Batches of one learner sent at once, sharing event ids, from one event loop: each stored event once, one
    enrolment, the learner counted once in the statistics."""
    app, engine = served
    headers = auth("learner", sub="async-racer")
    shared = [uuid.uuid4() for _ in LESSONS]

    async def send_all() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                batches = [
                    {"events": [_event(lesson, event_id) for lesson, event_id in zip(LESSONS, shared, strict=True)]}
                    for _ in range(8)
                ]
                return await asyncio.gather(
                    *(client.post("/api/v1/progress/events", json=batch, headers=headers) for batch in batches)
                )

    replies = asyncio.run(send_all())
    assert [reply.status_code for reply in replies] == [200] * 8
    assert sum(reply.json()["accepted"] for reply in replies) == len(LESSONS)
    assert sum(reply.json()["duplicates"] for reply in replies) == len(LESSONS) * 7
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProgressEvent)).one() == len(LESSONS)
        assert session.exec(select(func.count()).select_from(Enrolment)).one() == 1
        counted = select(CompletionRollup.course_slug, func.sum(CompletionRollup.learners))
        learners = dict(session.exec(counted.group_by(CompletionRollup.course_slug)).all())
    assert learners == {"an-toan": 1, "*": 1}  # the course, and all courses


def test_an_unreachable_database_is_a_503_for_a_batch_and_nothing_is_written(served, auth, monkeypatch):
    app, engine = served
    if app.state.transactions.async_engine is None:
        pytest.skip("SQLite: the write runs on the sync engine in the thread pool, covered by tests/faults")
    unreachable = make_async_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    monkeypatch.setattr(app.state.transactions, "async_engine", unreachable)
    with TestClient(app) as client:
        reply = client.post(
            "/api/v1/progress/events", json={"events": [_event(LESSONS[0])]}, headers=auth("learner", sub="async-2")
        )
    assert reply.status_code == 503
    assert reply.json()["error"]["code"] == "database_unavailable" and "Retry-After" in reply.headers
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProgressEvent)).one() == 0
