"""Answering a quiz as an app does: fetch the learner's form, answer by the options' ids on that form.

Option ids are keyed per form, so a test says which options it means in the author's order ('a', 'b', ...)
and the helper finds them on the form by their text, read from the fixture quiz file.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path

from app.catalogue.problems import FileProblems
from app.catalogue.quizbody import parse_quiz

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROOTS = (FIXTURES / "content", FIXTURES / "integrity")


@lru_cache
def option_texts(course: str, quiz: str) -> dict[str, dict[str, str]]:
    """question id -> author's option id ('a', 'b', ...) -> option text, from the fixture quiz file."""
    (path,) = (found for root in ROOTS for found in (root / course).glob(f"*-{quiz}/quiz.md"))
    source = parse_quiz(quiz, path.read_text(), 0.8, FileProblems(str(path), []))
    return {q.id: {o.id: o.text for o in q.options} for q in source.questions}


def fetch_form(client, headers: dict, course: str, quiz: str) -> dict:
    response = client.get(f"/api/v1/courses/{course}/quizzes/{quiz}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def by_public_ids(form: dict, answers: dict[str, list[str]]) -> dict[str, list[str]]:
    """Answers written with the file's option ids ('a', 'b', ...) for the questions this form asks."""
    texts = option_texts(form["course"], form["id"])
    public = {q["id"]: {o["text"]: o["id"] for o in q["options"]} for q in form["questions"]}
    return {qid: [public[qid][texts[qid][raw]] for raw in chosen] for qid, chosen in answers.items() if qid in public}


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
