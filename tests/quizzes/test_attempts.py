"""Quiz attempts over HTTP: forms, grading on the server, review policy, idempotent ids, attempt limits."""

from __future__ import annotations

import uuid

from sqlmodel import select

from app.quizzes.models import QuizAttempt
from tests.quizzes.helpers import answer, attempt_body, fetch_form

URL = "/api/v1/courses/an-toan/quizzes/mat-khau/attempts"
RIGHT = {"q-manh": ["b"], "q-an-toan": ["a", "b"]}
HALF = {"q-manh": ["b"], "q-an-toan": ["a"]}


def test_a_failed_attempt_gives_every_question_a_hint_and_says_neither_score_nor_which(client, content, auth, session):
    response = answer(client, auth("learner"), "an-toan", "mat-khau", {"q-manh": ["a"], "q-an-toan": ["a"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["score"], body["max_score"], body["passed"], body["review"]) == (None, 2, False, "hints")
    assert sorted(body["questions"], key=lambda q: q["id"]) == [
        {"id": "q-an-toan", "correct": None, "hint": "Xác thực hai lớp và giữ kín OTP đều quan trọng.",
         "explanation": None, "right_options": None},
        {"id": "q-manh", "correct": None, "hint": "Cụm từ dài, khó đoán là mật khẩu mạnh.", "explanation": None,
         "right_options": None},
    ]  # fmt: skip
    stored = session.exec(select(QuizAttempt)).one()  # the server keeps the score it did not tell
    assert stored.quiz_hash == body["quiz_hash"] and stored.score == 0


def test_once_passed_the_review_is_full(client, content, auth):
    body = answer(client, auth("learner"), "an-toan", "mat-khau", HALF).json()  # pass_ratio 0.5: passed
    assert body["passed"] and body["review"] == "full"
    by_id = {q["id"]: q for q in body["questions"]}
    assert by_id["q-an-toan"]["explanation"] == "Xác thực hai lớp và giữ kín OTP đều quan trọng."
    assert len(by_id["q-an-toan"]["right_options"]) == 2


def test_same_attempt_id_returns_the_first_result_whatever_the_answers(client, content, auth, session):
    headers, attempt = auth("learner"), str(uuid.uuid4())
    form = fetch_form(client, headers, "an-toan", "mat-khau")
    first = client.post(URL, json=attempt_body(form, {}, attempt), headers=headers).json()
    again = client.post(URL, json=attempt_body(form, RIGHT, attempt), headers=headers).json()
    assert first == again and first["passed"] is False and first["id"] == attempt
    assert len(session.exec(select(QuizAttempt)).all()) == 1


def test_a_form_answers_one_attempt_and_is_the_same_until_then(client, content, auth):
    headers = auth("learner")
    form = fetch_form(client, headers, "an-toan", "mat-khau")
    assert fetch_form(client, headers, "an-toan", "mat-khau") == form  # no free re-roll of the draw
    assert client.post(URL, json=attempt_body(form, {}), headers=headers).status_code == 200
    reused = client.post(URL, json=attempt_body(form, RIGHT), headers=headers)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "form_used"
    other = fetch_form(client, auth("learner", sub="someone-else"), "an-toan", "mat-khau")
    stolen = client.post(URL, json=attempt_body(other, RIGHT), headers=headers)
    assert stolen.status_code == 422 and stolen.json()["error"]["code"] == "form_invalid"
    forged = client.post(URL, json={**attempt_body(form, RIGHT), "form": form["form"][:-2] + "AA"}, headers=headers)
    assert forged.status_code == 422


def test_attempt_id_reused_for_another_quiz_is_409(client, content, auth):
    headers, attempt = auth("learner"), str(uuid.uuid4())
    answer(client, headers, "an-toan", "mat-khau", {}, attempt_id=attempt)
    response = answer(client, headers, "an-toan", "lua-dao", {}, attempt_id=attempt)
    assert response.status_code == 409


def test_attempts_are_limited_with_a_cooldown_and_resends_cost_nothing(client, content, auth):
    headers = auth("learner", sub="eager")
    replies = [answer(client, headers, "an-toan", "lua-dao", {"q1": ["a"]}) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[-1].json()["error"]["code"] == "attempt_limit" and int(replies[-1].headers["retry-after"]) > 0
    first = replies[0].json()
    form = fetch_form(client, headers, "an-toan", "lua-dao")
    resent = client.post(
        "/api/v1/courses/an-toan/quizzes/lua-dao/attempts", json=attempt_body(form, {}, first["id"]), headers=headers
    )
    assert resent.status_code == 200 and resent.json() == first


def test_bad_attempts_are_4xx_and_store_nothing(client, content, auth, session):
    headers = auth("learner")
    form = fetch_form(client, headers, "an-toan", "mat-khau")["form"]
    cases = [
        ({"form": form, "answers": {"nope": ["a"]}}, 422),
        ({"form": form, "answers": {"q-manh": ["z"]}}, 422),
        ({"form": form, "answers": {"q-manh": "b"}}, 422),
        ({"id": "not-a-uuid", "form": form, "answers": {}}, 422),
        ({"form": form, "answers": {}, "extra": 1}, 422),
        ({"answers": {}}, 422),
        ({}, 422),
    ]
    for body, status in cases:
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    missing = client.post(
        "/api/v1/courses/an-toan/quizzes/nope/attempts",
        json={"id": str(uuid.uuid4()), "form": form, "answers": {}},
        headers=headers,
    )
    assert missing.status_code == 404
    assert (
        client.post(URL, content=b"{not json", headers={**headers, "content-type": "application/json"}).status_code
        == 422
    )
    assert client.post(URL, json={"id": str(uuid.uuid4()), "form": form, "answers": {}}).status_code == 401
    assert session.exec(select(QuizAttempt)).all() == []


def test_an_attempt_without_an_id_is_refused_and_uses_up_nothing(client, content, auth, session):
    """Without an id a resend could not be told from a new attempt: it would use up the form."""
    headers = auth("learner", sub="no-id")
    form = fetch_form(client, headers, "an-toan", "mat-khau")
    body = attempt_body(form, RIGHT)
    del body["id"]
    refused = client.post(URL, json=body, headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_request"
    assert "id" in refused.text
    assert session.exec(select(QuizAttempt)).all() == []
    assert client.post(URL, json=attempt_body(form, RIGHT), headers=headers).status_code == 200  # form unused
