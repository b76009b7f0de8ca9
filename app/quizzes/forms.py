"""Attempt forms (pure): which questions a learner is asked, in which order, with opaque option ids, signed.

A form is drawn from the quiz's pool (`ask` questions) with the options shuffled, deterministically from
(learner, quiz version, attempt number): fetching the form again gives the same draw until an attempt is
graded, so a draw cannot be re-rolled for free. The form travels as a signed string, so an app can fetch
it online and submit it days later offline; the server grades against exactly what it served.
Option ids are opaque per quiz version: they do not betray the file order of the options.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from dataclasses import dataclass

from app.catalogue.service import OptionView, QuestionView, QuizView


def option_token(quiz_hash: str, question_id: str, option_id: str) -> str:
    """The public id of an option: stable for one quiz version, meaningless across versions and positions."""
    return hashlib.sha256(f"{quiz_hash}\n{question_id}\n{option_id}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Form:
    learner_key: str
    course: str
    quiz: str
    quiz_hash: str
    number: int  # how many attempts the learner had made at this quiz when it was drawn
    questions: tuple[str, ...]  # the drawn question ids, in the order served


def draw(
    quiz: QuizView, *, secret: bytes, learner_key: str, course: str, number: int
) -> tuple[Form, list[QuestionView]]:
    """The questions of attempt `number`, options shuffled, option ids made opaque."""
    seed = hmac.new(secret, f"draw\n{learner_key}\n{quiz.content_hash}\n{number}".encode(), hashlib.sha256).digest()
    rng = random.Random(seed)  # noqa: S311 - an unpredictable order, not a secret: the seed is keyed
    questions = rng.sample(list(quiz.questions), quiz.asked)
    served = []
    for question in questions:
        options = list(question.options)
        rng.shuffle(options)
        public = tuple(
            OptionView(option_token(quiz.content_hash, question.id, o.id), o.text, o.correct) for o in options
        )
        served.append(QuestionView(question.id, question.text, public, question.explanation))
    form = Form(learner_key, course, quiz.slug, quiz.content_hash, number, tuple(q.id for q in questions))
    return form, served


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(form: Form, secret: bytes) -> str:
    payload = json.dumps([form.learner_key, form.course, form.quiz, form.quiz_hash, form.number, form.questions])
    body = _b64(payload.encode())
    return body + "." + _b64(hmac.new(secret, f"form\n{body}".encode(), hashlib.sha256).digest())


def verify(token: str, secret: bytes) -> Form | None:
    """The form this string carries if the server signed it, else None."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(secret, f"form\n{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        learner_key, course, quiz, quiz_hash, number, questions = json.loads(_unb64(body))
        return Form(learner_key, course, quiz, quiz_hash, int(number), tuple(questions))
    except (ValueError, TypeError):
        return None


def served_quiz(quiz: QuizView, form: Form) -> QuizView:
    """The quiz as graded for this form: its drawn questions, with the opaque option ids."""
    by_id = {q.id: q for q in quiz.questions}
    questions = tuple(
        QuestionView(
            q.id,
            q.text,
            tuple(OptionView(option_token(quiz.content_hash, q.id, o.id), o.text, o.correct) for o in q.options),
            q.explanation,
        )
        for q in (by_id[qid] for qid in form.questions if qid in by_id)
    )
    return QuizView(quiz.slug, quiz.title, quiz.pass_ratio, quiz.content_hash, questions, None, quiz.review)


def hint(explanation: str | None) -> str | None:
    """The explanation's first sentence: authors write it as a hint that does not name the right option."""
    if not explanation:
        return None
    sentence = explanation.strip().split(". ")[0].split("\n")[0]
    return sentence if sentence.endswith((".", "?", "!")) else sentence + "."
