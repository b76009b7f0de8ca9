"""An attempt costs few statements: the learner's lock, one read of the attempt's state, one read of the
learner's progress, then every write together (PostgreSQL) — the same care as a progress batch."""

from __future__ import annotations

from sqlalchemy import event

from tests.quizzes.helpers import attempt_body, fetch_form

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
