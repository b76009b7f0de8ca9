"""An attempt costs few statements: the learner's lock, one read of the attempt's state, one read of the
learner's progress, then every write together (PostgreSQL) — the same care as a progress batch."""

from __future__ import annotations

import uuid

from sqlalchemy import event

from tests.quizzes.helpers import answer, attempt_body, fetch_form

URL = "/api/v1/courses/an-toan/quizzes/mat-khau/attempts"


def statements_of(connection, call) -> list[str]:
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_rest) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):  # the test's nesting
            sent.append(statement)

    event.listen(connection, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(connection, "before_cursor_execute", note)
    return sent


def test_an_attempt_is_four_statements_on_postgresql_six_elsewhere(client, content, auth, connection):
    headers = auth("learner")
    form = fetch_form(client, headers, "an-toan", "mat-khau")
    replies = []
    sent = statements_of(
        connection, lambda: replies.append(client.post(URL, json=attempt_body(form, {}), headers=headers))
    )
    assert replies[0].status_code == 200, replies[0].text
    # Before: 8 (the learner, the same id, the count, the passes, the attempt, the progress, the enrolment,
    # the counters). Elsewhere the writes are one executemany per table: attempt, enrolment, counters.
    assert len(sent) == (4 if connection.dialect.name == "postgresql" else 6), sent


def test_the_attempt_that_completes_a_course_writes_each_row_once(client, content, auth, connection):
    """Completion is decided in memory: the passing attempt is not sent early to be read back, and it is
    stored once with the certificate's code in its reply (no UPDATE of it); the enrolment is updated once."""
    headers = auth("learner")
    lessons = ["mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao"]
    events = [
        {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "an-toan", "lesson": slug, "at": at}
        for slug, at in zip(
            lessons, ("2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z", "2026-11-01T10:00:00Z"), strict=True
        )
    ]
    assert client.post("/api/v1/progress/events", json={"events": events}, headers=headers).json()["accepted"] == 3
    assert answer(client, headers, "an-toan", "mat-khau", {"q-manh": ["b"], "q-an-toan": ["a", "b"]}).json()["passed"]
    form = fetch_form(client, headers, "an-toan", "lua-dao")
    replies = []
    url = "/api/v1/courses/an-toan/quizzes/lua-dao/attempts"
    body = attempt_body(form, {"q1": ["b"]})
    sent = statements_of(connection, lambda: replies.append(client.post(url, json=body, headers=headers)))
    reply = replies[0].json()
    assert reply["course_completed"] and reply["certificate"], reply
    touching = [s for s in sent if "quiz_attempt" in s]
    assert len(touching) == 2, touching  # the attempt's state (with every quiz's first pass), then its insert
    updates = [s.split()[1] for s in sent if s.lstrip().upper().startswith("UPDATE")]
    assert updates == ["enrolment"], sent  # completed_at and flagged, in one statement
    again = client.post(url, json=body, headers=headers).json()  # a resend returns the stored reply
    assert again["certificate"] == reply["certificate"] and again["course_completed"]
