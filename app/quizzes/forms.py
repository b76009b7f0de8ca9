"""Attempt forms (pure): which questions a learner is asked, in which order, with opaque option ids, signed.

A form is drawn from the quiz's pool (`ask` questions) with the options shuffled, deterministically from
(learner, quiz version, attempt number): fetching the form again gives the same draw until an attempt is
graded, so a draw cannot be re-rolled for free. The form travels as a signed string, so an app can fetch
it online and submit it days later offline; the server grades against exactly what it served.

Option ids are keys that do not travel: an HMAC, under the server's form key, of the form's identity
(learner, course, quiz version, attempt number), the question and the option. Nobody without the key can
map them to the author's order, and an id is meaningless on any other learner's form, on the same
learner's next form, and in the anonymous preview (drawn under a throw-away key).
The form also carries the server time it was issued: a moment the server itself saw the learner at the
quiz, which the plausibility check trusts where it cannot trust a device's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from app.catalogue.service import OptionView, QuestionView, QuizView

# Forms signed before option ids were scoped to the form carry ids that mean nothing now: a new label
# makes them `form_invalid` (fetch a new form) instead of a 422 about unknown option ids.
FORM_LABEL = "form/2"


@dataclass(frozen=True)
class Form:
    learner_key: str
    course: str
    quiz: str
    quiz_hash: str
    number: int  # how many attempts the learner had made at this quiz when it was drawn
    questions: tuple[str, ...]  # the drawn question ids, in the order served
    issued_at: int = 0  # server time the form was issued, in whole seconds since the epoch

    @property
    def issued(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, UTC)


def option_token(secret: bytes, form: Form, question_id: str, option_id: str) -> str:
    """The public id of an option on one form: 12 hexadecimal characters, keyed, valid on that form only."""
    identity = f"option\n{form.learner_key}\n{form.course}\n{form.quiz}\n{form.quiz_hash}\n{form.number}"
    return hmac.new(secret, f"{identity}\n{question_id}\n{option_id}".encode(), hashlib.sha256).hexdigest()[:12]


def _public(question: QuestionView, options, *, secret: bytes, form: Form) -> QuestionView:
    public = tuple(OptionView(option_token(secret, form, question.id, o.id), o.text, o.correct) for o in options)
    return QuestionView(question.id, question.text, public, question.explanation)


def draw(
    quiz: QuizView, *, secret: bytes, learner_key: str, course: str, number: int, now: datetime
) -> tuple[Form, list[QuestionView]]:
    """The questions of attempt `number`, options shuffled, option ids made opaque for this form."""
    seed = hmac.new(secret, f"draw\n{learner_key}\n{quiz.content_hash}\n{number}".encode(), hashlib.sha256).digest()
    rng = random.Random(seed)  # noqa: S311 - an unpredictable order, not a secret: the seed is keyed
    questions = rng.sample(list(quiz.questions), quiz.asked)
    form = Form(
        learner_key, course, quiz.slug, quiz.content_hash, number, tuple(q.id for q in questions), int(now.timestamp())
    )
    served = []
    for question in questions:
        options = list(question.options)
        rng.shuffle(options)
        served.append(_public(question, options, secret=secret, form=form))
    return form, served


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(form: Form, secret: bytes) -> str:
    payload = json.dumps(
        [form.learner_key, form.course, form.quiz, form.quiz_hash, form.number, form.questions, form.issued_at]
    )
    body = _b64(payload.encode())
    return body + "." + _b64(hmac.new(secret, f"{FORM_LABEL}\n{body}".encode(), hashlib.sha256).digest())


def verify(token: str, secret: bytes) -> Form | None:
    """The form this string carries if the server signed it, else None."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(secret, f"{FORM_LABEL}\n{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        learner_key, course, quiz, quiz_hash, number, questions, issued_at = json.loads(_unb64(body))
        return Form(learner_key, course, quiz, quiz_hash, int(number), tuple(questions), int(issued_at))
    except (ValueError, TypeError):
        return None


def served_quiz(quiz: QuizView, form: Form, *, secret: bytes) -> QuizView:
    """The quiz as graded for this form: its drawn questions, with this form's option ids."""
    by_id = {q.id: q for q in quiz.questions}
    questions = tuple(
        _public(q, q.options, secret=secret, form=form) for q in (by_id[qid] for qid in form.questions if qid in by_id)
    )
    return QuizView(quiz.slug, quiz.title, quiz.pass_ratio, quiz.content_hash, questions, None, quiz.review)


def hint(explanation: str | None) -> str | None:
    """The explanation's first sentence: authors write it as a hint that does not name the right option."""
    if not explanation:
        return None
    sentence = explanation.strip().split(". ")[0].split("\n")[0]
    return sentence if sentence.endswith((".", "?", "!")) else sentence + "."
