"""Keys that do not travel: option ids are keyed per form, so none can be mapped to the author's order from
public inputs, and a right answer seen on one form scores on no other (another learner's, the preview)."""

from __future__ import annotations

import hashlib

from tests.integrity.conftest import COURSE
from tests.quizzes.helpers import answer, attempt_body, fetch_form, option_texts

QUIZ = "dien-thoai"
ATTEMPTS = f"/api/v1/courses/{COURSE}/quizzes/{QUIZ}/attempts"


def old_option_id(content_hash: str, question_id: str, letter: str) -> str:
    """How main made option ids: from public inputs only (the content hash is in every form)."""
    return hashlib.sha256(f"{content_hash}\n{question_id}\n{letter}".encode()).hexdigest()[:12]


def ids(form: dict) -> set[str]:
    return {o["id"] for q in form["questions"] for o in q["options"]}


def test_no_option_id_maps_back_to_the_authors_order_from_public_inputs(client, course, learner):
    form = fetch_form(client, learner("a"), COURSE, QUIZ)
    preview = client.get(f"/api/v1/courses/{COURSE}/quizzes/{QUIZ}").json()
    for served in (form, preview):
        guesses = {
            old_option_id(served["content_hash"], q["id"], chr(ord("a") + n))
            for q in served["questions"]
            for n in range(len(q["options"]))
        }
        assert len(ids(served)) == sum(len(q["options"]) for q in served["questions"])  # all distinct
        assert not guesses & ids(served), "an option id was recomputed from public inputs"
        assert all(len(i) == 12 and int(i, 16) >= 0 for i in ids(served))


def test_ids_differ_for_every_learner_every_form_and_the_preview(client, course, learner):
    first = fetch_form(client, learner("a"), COURSE, QUIZ)
    assert fetch_form(client, learner("a"), COURSE, QUIZ)["questions"] == first["questions"]  # same form until graded
    other = fetch_form(client, learner("b"), COURSE, QUIZ)
    preview = client.get(f"/api/v1/courses/{COURSE}/quizzes/{QUIZ}").json()
    assert client.post(ATTEMPTS, json=attempt_body(first, {}), headers=learner("a")).status_code == 200
    second = fetch_form(client, learner("a"), COURSE, QUIZ)
    for one, two in ((first, other), (first, preview), (other, preview), (first, second)):
        assert not ids(one) & ids(two)


def test_a_right_answer_copied_from_another_learners_review_does_not_score(client, course, learner):
    """Learner A passes and sees the full review; B sends A's right option ids on B's own form."""
    key = {f"q{n}": ["abcd"[n % 4]] for n in range(1, 9)}  # the fixture's right options (q1: b, q2: c, ...)
    passed = answer(client, learner("a"), COURSE, QUIZ, key).json()
    assert passed["passed"] and passed["review"] == "full"
    copied = {q["id"]: q["right_options"] for q in passed["questions"]}
    form_b = fetch_form(client, learner("b"), COURSE, QUIZ)
    reply = client.post(
        ATTEMPTS, json={"id": "00000000-0000-4000-8000-000000000001", "form": form_b["form"], "answers": {
            q["id"]: copied.get(q["id"], []) for q in form_b["questions"]}}, headers=learner("b"),
    )  # fmt: skip
    assert reply.status_code == 422  # ids of A's form name no option on B's form: nothing is graded
    assert "unknown option id" in str(reply.json()["error"]["details"])
    # And the anonymous preview's ids are as useless on a learner's form.
    preview = client.get(f"/api/v1/courses/{COURSE}/quizzes/{QUIZ}").json()
    by_text = {o["text"]: o["id"] for q in preview["questions"] for o in q["options"]}
    texts = option_texts(COURSE, QUIZ)
    from_preview = {q["id"]: [by_text[texts[q["id"]][key[q["id"]][0]]]] for q in form_b["questions"]}
    reply = client.post(ATTEMPTS, json={"id": "00000000-0000-4000-8000-000000000002", "form": form_b["form"],
                                        "answers": from_preview}, headers=learner("b"))  # fmt: skip
    assert reply.status_code == 422
