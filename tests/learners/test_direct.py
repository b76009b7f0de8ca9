"""The progress batch on psycopg's own connection (app/learners/direct.py) against the session path.

The same batches, sent to an app that takes the direct path where it can and to one that never does, each on a
committed database of its own, must give the same replies and leave the same rows and the same statistics; the
batches that only add rows must take the direct path, and every other kind must be deferred to the session
path. PostgreSQL only: on SQLite there is no direct path (the session path is the only one, tested everywhere).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.certificates.models import Certificate
from app.db import psycopg_sql
from app.learners.models import Learner
from app.learners.rebuild import rebuild
from app.learners.service import claiming
from app.localities.official import COMMUNES
from app.progress.models import Enrolment, LessonCompletion, ProgressEvent
from app.progress.state import state_query
from app.stats.models import CompletionDaily, CompletionRollup
from tests.learners.conftest import serving

HOME, MOVED, AGAIN = sorted(COMMUNES)[:3]
DIRECT, DEFERRED = "direct", "deferred"


def _event(course: str, lesson: str, at: datetime, event_id: uuid.UUID | None = None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": "lesson_completed",
        "course": course,
        "lesson": lesson,
        "at": at.isoformat(),
    }


def _steps(base: datetime) -> list[tuple[str, str, list[dict], str]]:
    """(learner, commune of their token, events, the path the batch must take)."""
    resent = uuid.uuid4()
    minute = timedelta(minutes=1)
    return [
        ("ana", HOME, [_event("an-toan", "mat-khau-manh", base, resent)], DIRECT),  # a new learner
        (  # a resent event, a new lesson, an unknown lesson and an unknown course: only rows added
            "ana",
            HOME,
            [
                _event("an-toan", "mat-khau-manh", base, resent),
                _event("an-toan", "xac-thuc-hai-lop", base + minute),
                _event("an-toan", "khong-co", base),
                _event("khong-co-khoa", "bai-mot", base),
            ],
            DIRECT,
        ),
        ("ana", HOME, [_event("tu-chon", "bai-mot", base)], DIRECT),  # a second course
        ("ana", HOME, [_event("tu-chon", "bai-hai", base + 2 * minute)], DEFERRED),  # completes it: a certificate
        ("ana", HOME, [_event("an-toan", "nhan-biet-lua-dao", base + 2 * minute)], DEFERRED),  # quiz passes decide
        ("ana", HOME, [_event("tu-chon", "bai-mot", base + 3 * minute)], DIRECT),  # a completed course, again
        ("binh", HOME, [_event("tu-chon", "bai-mot", base)], DIRECT),
        ("binh", HOME, [_event("tu-chon", "bai-mot", base - 2 * minute)], DEFERRED),  # an offline, earlier event
        ("chi", HOME, [_event("an-toan", "mat-khau-manh", base)], DIRECT),
        ("chi", MOVED, [_event("an-toan", "xac-thuc-hai-lop", base + minute)], DEFERRED),  # a counted move
        ("chi", AGAIN, [_event("tu-chon", "bai-mot", base)], DIRECT),  # a move past the counted ones
        ("dung", HOME, [_event("an-toan", "xac-thuc-hai-lop", base)], DIRECT),  # locked: rejected, no enrolment
    ]


def _play(app: FastAPI, steps, make_token, *, direct: bool) -> tuple[list[dict], list[str]]:
    """Send the steps; the replies, and the path each batch took."""
    transactions = app.state.transactions
    taken: list[str] = []
    served = transactions.direct

    async def watched(work):
        found = await served(work) if direct else None
        taken.append(DIRECT if found is not None else DEFERRED)
        return found

    transactions.direct = watched
    replies = []
    with TestClient(app) as client:
        for learner, commune, events, _ in steps:
            token = make_token("learner", sub=learner, locality=commune)
            reply = client.post(
                "/api/v1/progress/events", json={"events": events}, headers={"Authorization": f"Bearer {token}"}
            )
            assert reply.status_code == 200, reply.text
            replies.append(reply.json())
    return replies, taken


def _stored(engine: Engine) -> dict[str, list]:
    """Every row the batches wrote, without the server's own times (received, witnessed, issued), which differ
    between two runs; the counters summed over their shards, which are drawn at random."""
    with Session(engine) as session:
        rollup = CompletionRollup
        daily = CompletionDaily
        return {
            "learners": session.exec(select(Learner.key, Learner.commune, Learner.moves).order_by(Learner.key)).all(),
            "events": session.exec(
                select(ProgressEvent.learner_key, ProgressEvent.event_id).order_by(ProgressEvent.event_id)
            ).all(),
            "lessons": session.exec(
                select(LessonCompletion).order_by(
                    LessonCompletion.learner_key, LessonCompletion.course_slug, LessonCompletion.lesson_slug
                )
            ).all(),
            "enrolments": session.exec(
                select(
                    Enrolment.learner_key,
                    Enrolment.course_slug,
                    Enrolment.started_at,
                    Enrolment.completed_at,
                    Enrolment.flagged,
                ).order_by(Enrolment.learner_key, Enrolment.course_slug)
            ).all(),
            "certificates": session.exec(
                select(Certificate.learner_key, Certificate.course_slug).order_by(Certificate.learner_key)
            ).all(),
            "rollups": session.exec(
                select(
                    rollup.course_slug,
                    rollup.commune,
                    func.sum(rollup.learners),
                    func.sum(rollup.completed),
                    func.sum(rollup.flagged),
                    func.sum(rollup.learners_key),
                    func.sum(rollup.completed_key),
                )
                .group_by(rollup.course_slug, rollup.commune)
                .order_by(rollup.course_slug, rollup.commune)
            ).all(),
            "daily": session.exec(
                select(daily.course_slug, daily.commune, daily.day, func.sum(daily.completed))
                .group_by(daily.course_slug, daily.commune, daily.day)
                .order_by(daily.course_slug, daily.commune, daily.day)
            ).all(),
        }


@pytest.fixture
def both(fresh_database_url, another_database_url, settings) -> Iterator[tuple]:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("SQLite has no direct path: every batch is made on the session path")
    with serving(fresh_database_url, settings) as direct, serving(another_database_url, settings) as session_only:
        yield direct, session_only


def test_the_direct_path_makes_the_batches_that_add_rows_and_leaves_what_the_session_path_leaves(both, make_token):
    (direct_app, direct_engine), (session_app, session_engine) = both
    steps = _steps(datetime.now(UTC) - timedelta(minutes=3))  # both imports were before: courses are published
    direct_replies, taken = _play(direct_app, steps, make_token, direct=True)
    session_replies, session_taken = _play(session_app, steps, make_token, direct=False)

    assert taken == [path for *_, path in steps]
    assert session_taken == [DEFERRED] * len(steps)
    assert direct_replies == session_replies
    assert direct_replies[1]["duplicates"] == 1 and len(direct_replies[1]["rejected"]) == 2
    stored = _stored(direct_engine)
    assert stored == _stored(session_engine)
    assert len(stored["certificates"]) == 1 and stored["rollups"]  # the steps did complete a course and count
    for engine in (direct_engine, session_engine):  # the counters agree with the raw rows they count
        with Session(engine) as session:
            assert rebuild(session, write=False) == []


def test_a_batch_deferred_by_the_direct_path_leaves_nothing_of_it_behind(both, make_token):
    """A deferred batch is rolled back before the session path makes it: its events are stored once, the
    learner counted once, though the direct path had already locked (and created) the learner's row."""
    (app, engine), _ = both
    base = datetime.now(UTC) - timedelta(minutes=3)
    steps = [("eve", HOME, [_event("tu-chon", "bai-mot", base), _event("tu-chon", "bai-hai", base)], DEFERRED)]
    replies, taken = _play(app, steps, make_token, direct=True)
    assert taken == [DEFERRED] and replies[0]["accepted"] == 2
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProgressEvent)).one() == 2
        assert session.exec(select(func.count()).select_from(Learner)).one() == 1
        assert rebuild(session, write=False) == []


def test_statements_compiled_for_psycopg_name_their_parameters_and_keep_their_literals():
    sql, literals = psycopg_sql(claiming("postgresql"), ("key", "commune", "created_at"))
    assert sql.startswith("INSERT INTO learner (key, commune, created_at) VALUES (%(key)s")
    assert "ON CONFLICT (key) DO UPDATE" in sql and sql.endswith("RETURNING learner.commune, learner.moves")
    assert literals == {}
    sql, literals = psycopg_sql(state_query("postgresql"))
    assert "= ANY (%(courses)s::VARCHAR[])" in sql and "= ANY (%(ids)s::UUID[])" in sql
    assert sorted(literals.values()) == ["completion", "enrolment", "seen", "stored"]  # each part's `kind`
