"""Two concurrent completing requests issue exactly one certificate (real connections, committed data)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, select

from app.catalogue.importer import import_content
from app.certificates.models import Certificate
from app.main import create_app
from app.models import metadata
from tests.conftest import CONTENT
from tests.quizzes.helpers import answer


def test_two_concurrent_completions_issue_one_certificate(settings, engine, make_token):
    with Session(engine) as session:
        import_content(session, CONTENT)
        session.commit()
    try:
        app = create_app(settings, engine=engine)
        headers = {"Authorization": f"Bearer {make_token('learner', sub='racer')}"}
        with TestClient(app) as client:

            def lesson_event(slug: str) -> dict:
                at = datetime.now(UTC).isoformat()
                return {
                    "id": str(uuid.uuid4()),
                    "type": "lesson_completed",
                    "course": "an-toan",
                    "lesson": slug,
                    "at": at,
                }

            first_two = [lesson_event("mat-khau-manh"), lesson_event("xac-thuc-hai-lop")]
            client.post("/api/v1/progress/events", json={"events": first_two}, headers=headers)
            answer(client, headers, "an-toan", "mat-khau", {"q-manh": ["b"], "q-an-toan": ["a", "b"]})
            answer(client, headers, "an-toan", "lua-dao", {"q1": ["b"]})
            barrier = threading.Barrier(2)
            replies = []

            def finish():  # the last lesson, sent twice at once with different ids (two devices)
                barrier.wait()
                event = lesson_event("nhan-biet-lua-dao")
                replies.append(client.post("/api/v1/progress/events", json={"events": [event]}, headers=headers))

            threads = [threading.Thread(target=finish) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert [r.status_code for r in replies] == [200, 200]
        with Session(engine) as session:
            assert len(session.exec(select(Certificate)).all()) == 1
    finally:
        with Session(engine) as session:
            for table in reversed(metadata.sorted_tables):
                session.execute(delete(table))
            session.commit()
