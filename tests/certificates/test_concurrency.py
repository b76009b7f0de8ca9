"""Two concurrent completing requests issue exactly one certificate (real connections, committed data)."""

from __future__ import annotations

import threading
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, select

from app.catalogue.importer import import_content
from app.certificates.models import Certificate
from app.main import create_app
from app.models import metadata
from tests.conftest import CONTENT


def test_two_concurrent_completions_issue_one_certificate(settings, engine, make_token):
    with Session(engine) as session:
        import_content(session, CONTENT)
        session.commit()
    try:
        app = create_app(settings, engine=engine)
        headers = {"Authorization": f"Bearer {make_token('learner', sub='racer')}"}
        with TestClient(app) as client:
            lessons = ["mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao"]
            events = [
                {
                    "id": str(uuid.uuid4()),
                    "type": "lesson_completed",
                    "course": "an-toan",
                    "lesson": s,
                    "at": f"2026-11-01T08:0{i}:00+00:00",
                }
                for i, s in enumerate(lessons)
            ]
            client.post("/api/v1/progress/events", json={"events": events}, headers=headers)
            client.post(
                "/api/v1/courses/an-toan/quizzes/mat-khau/attempts",
                json={"answers": {"q-manh": ["b"], "q-an-toan": ["a", "b"]}},
                headers=headers,
            )
            barrier = threading.Barrier(2)
            replies = []

            def finish():
                barrier.wait()
                replies.append(
                    client.post(
                        "/api/v1/courses/an-toan/quizzes/lua-dao/attempts",
                        json={"answers": {"q1": ["b"]}},
                        headers=headers,
                    )
                )

            threads = [threading.Thread(target=finish) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert [r.status_code for r in replies] == [200, 200]
        assert sorted(r.json()["course_completed"] for r in replies) == [False, True]
        with Session(engine) as session:
            assert len(session.exec(select(Certificate)).all()) == 1
    finally:
        with Session(engine) as session:
            for table in reversed(metadata.sorted_tables):
                session.execute(delete(table))
            session.commit()
