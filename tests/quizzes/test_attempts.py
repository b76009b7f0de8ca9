"""Quiz attempts over HTTP: graded on the server, idempotent per attempt id, recorded with the quiz hash."""

from __future__ import annotations

import uuid

from sqlmodel import select

from app.quizzes.models import QuizAttempt

URL = "/api/v1/courses/an-toan/quizzes/mat-khau/attempts"
RIGHT = {"q-manh": ["b"], "q-an-toan": ["a", "b"]}


def test_attempt_is_graded_with_explanations(client, content, auth, session):
    response = client.post(URL, json={"answers": {"q-manh": ["b"], "q-an-toan": ["a"]}}, headers=auth("learner"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["score"], body["max_score"], body["passed"]) == (1, 2, True)
    assert body["questions"] == [
        {"id": "q-manh", "correct": True, "explanation": "Cụm từ dài, khó đoán là mật khẩu mạnh."},
        {"id": "q-an-toan", "correct": False, "explanation": "Xác thực hai lớp và giữ kín OTP đều quan trọng."},
    ]
    quiz_hash = client.get("/api/v1/courses/an-toan/quizzes/mat-khau").json()["content_hash"]
    stored = session.exec(select(QuizAttempt)).one()
    assert stored.quiz_hash == quiz_hash == body["quiz_hash"] and stored.score == 1


def test_same_attempt_id_returns_the_first_result_whatever_the_answers(client, content, auth, session):
    attempt = str(uuid.uuid4())
    first = client.post(URL, json={"id": attempt, "answers": {}}, headers=auth("learner")).json()
    again = client.post(URL, json={"id": attempt, "answers": RIGHT}, headers=auth("learner")).json()
    assert first == again and first["passed"] is False and first["id"] == attempt
    assert len(session.exec(select(QuizAttempt)).all()) == 1


def test_attempt_id_reused_for_another_quiz_is_409(client, content, auth):
    attempt = str(uuid.uuid4())
    client.post(URL, json={"id": attempt, "answers": {}}, headers=auth("learner"))
    response = client.post(
        "/api/v1/courses/an-toan/quizzes/lua-dao/attempts", json={"id": attempt, "answers": {}}, headers=auth("learner")
    )
    assert response.status_code == 409


def test_bad_attempts_are_4xx_and_store_nothing(client, content, auth, session):
    headers = auth("learner")
    cases = [
        ({"answers": {"nope": ["a"]}}, 422),
        ({"answers": {"q-manh": ["z"]}}, 422),
        ({"answers": {"q-manh": "b"}}, 422),
        ({"id": "not-a-uuid", "answers": {}}, 422),
        ({"answers": {}, "extra": 1}, 422),
        ({}, 422),
    ]
    for body, status in cases:
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    assert (
        client.post("/api/v1/courses/an-toan/quizzes/nope/attempts", json={"answers": {}}, headers=headers).status_code
        == 404
    )
    assert (
        client.post(URL, content=b"{not json", headers={**headers, "content-type": "application/json"}).status_code
        == 422
    )
    assert client.post(URL, json={"answers": {}}).status_code == 401
    assert session.exec(select(QuizAttempt)).all() == []
