"""Answering a quiz as an app does: fetch the learner's form, answer by the options' public ids."""

from __future__ import annotations

import uuid

from app.quizzes.forms import option_token


def fetch_form(client, headers: dict, course: str, quiz: str) -> dict:
    response = client.get(f"/api/v1/courses/{course}/quizzes/{quiz}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def by_public_ids(form: dict, answers: dict[str, list[str]]) -> dict[str, list[str]]:
    """Answers written with the file's option ids ('a', 'b', ...) for the questions this form asks."""
    asked = {q["id"] for q in form["questions"]}
    return {
        qid: [option_token(form["content_hash"], qid, raw) for raw in chosen]
        for qid, chosen in answers.items()
        if qid in asked
    }


def attempt_body(form: dict, answers: dict[str, list[str]], attempt_id: str | None = None) -> dict:
    return {"id": attempt_id or str(uuid.uuid4()), "form": form["form"], "answers": by_public_ids(form, answers)}


def answer(client, headers: dict, course: str, quiz: str, answers: dict[str, list[str]], attempt_id: str | None = None):
    """POST an attempt on a fresh form; the response."""
    form = fetch_form(client, headers, course, quiz)
    return client.post(
        f"/api/v1/courses/{course}/quizzes/{quiz}/attempts",
        json=attempt_body(form, answers, attempt_id),
        headers=headers,
    )
