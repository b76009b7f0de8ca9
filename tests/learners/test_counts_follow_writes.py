"""Progress batches and quiz attempts report their enrolments to the change (no re-reads): whatever a learner
does through the API, the statistics counters equal a rebuild from the raw rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.learners import rebuild
from app.stats import rebuild as stats_rebuild
from tests.quizzes.helpers import answer

URL = "/api/v1/progress/events"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
LESSONS = ("mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao")
RIGHT = {"mat-khau": {"q-manh": ["b"], "q-an-toan": ["a", "b"]}, "lua-dao": {"q1": ["b"]}}


def _events(*pairs, course="an-toan"):
    return {
        "events": [
            {
                "id": str(uuid.uuid4()),
                "type": "lesson_completed",
                "course": course,
                "lesson": lesson,
                "at": at.isoformat(),
            }
            for lesson, at in pairs
        ]
    }


def _agree(session) -> None:
    assert stats_rebuild.differences(stats_rebuild.current_rollups(session), rebuild.rebuilt_rollups(session)) == []


def test_counters_equal_a_rebuild_after_batches_attempts_resends_moves_and_erasure(client, content, auth, session):
    first = auth("learner", sub="a", locality="00070")
    batch = _events(*((lesson, T0 + timedelta(minutes=10 * i)) for i, lesson in enumerate(LESSONS)))
    assert client.post(URL, json=batch, headers=first).json()["accepted"] == 3
    assert client.post(URL, json=batch, headers=first).json()["duplicates"] == 3  # a resend changes nothing
    older = _events((LESSONS[0], T0 - timedelta(days=2)))  # an older offline event moves the first completion
    assert client.post(URL, json=older, headers=first).json()["accepted"] == 1
    _agree(session)
    assert answer(client, first, "an-toan", "mat-khau", RIGHT["mat-khau"]).json()["passed"]
    done = answer(client, first, "an-toan", "lua-dao", RIGHT["lua-dao"]).json()
    assert done["passed"] and done["course_completed"] and done["certificate"]  # this attempt completed the course
    _agree(session)

    second = auth("learner", sub="b", locality="00070")
    assert client.post(URL, json=_events((LESSONS[0], T0)), headers=second).json()["accepted"] == 1
    assert not answer(client, second, "an-toan", "mat-khau", {"q-manh": ["a"]}).json()["passed"]
    tu_chon = _events(("bai-mot", T0), course="tu-chon")
    assert client.post(URL, json=tu_chon, headers=second).json()["accepted"] == 1  # a second course
    _agree(session)

    moved = auth("learner", sub="a", locality="00691")  # the same learner, now in another commune
    assert client.post(URL, json=_events(("bai-mot", T0), course="tu-chon"), headers=moved).json()["accepted"] == 1
    _agree(session)

    assert client.delete("/api/v1/me", headers=second).status_code == 200
    _agree(session)
    assert stats_rebuild.current_rollups(session)  # what is left is the first learner's, counted once
