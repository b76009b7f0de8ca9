"""The elimination attack, played: a script that guesses, keeps what the API tells it and never reads a lesson.

It sends every lesson in one batch, then attacks all quizzes at once on fresh forms, as fast as the attempt
limits let it (the shipped `3/10 minutes;6/hour;10/day`, on a simulated clock: no real waiting). It knows
options by their text (ids change with every form) and keeps every answer key consistent with what each
reply said: the per-question right/wrong and the score when a reply gives them, else only "not passed".
Each attempt answers one key drawn from those still possible (the classic Mastermind strategy).
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import timedelta

import pytest

from app.quizzes import service as quiz_service
from app.quizzes.forms import hint
from app.quizzes.schemas import QuestionResultOut
from tests.integrity.conftest import COURSE, COURSE_MINUTES, LESSONS, QUIZZES

GIVE_UP = 3 * 86400  # three simulated days
REVIEW_OF = quiz_service.review_of  # the shipped policy, kept before a test replaces it


class Guesser:
    """Every answer key of one quiz still consistent with the replies, over the questions seen so far.

    Up to ENUMERATED keys it lists them all (the fixture course never has more). Past that (the bundled courses:
    pools of 10-14 questions, multi-select ones with 31 possible answers) it keeps instead, per question, the
    answers still possible and the replies that tie several questions together, and draws a key by rejection:
    uniform over the same consistent keys, so the same strategy, without the list (scripts/guesser_report.py)."""

    ENUMERATED = 200_000

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.questions: list[str] = []  # question ids seen, in the order they joined the keys
        self.choices: dict[str, list[frozenset[str]]] = {}  # question id -> possible answers (sets of texts)
        self.keys: list[tuple[frozenset[str], ...]] | None = [()]  # None: too many to list
        # Past ENUMERATED: each reply that constrains questions jointly, as ((key index, answer picked), ...),
        # the score said (or None), the right answers needed to pass, passed; and keys drawn not yet answered.
        self.joint: list[tuple[tuple[tuple[int, frozenset[str]], ...], int | None, int, bool]] = []
        self.drawn: list[tuple[frozenset[str], ...]] = []

    def learn_questions(self, form: dict) -> None:
        for question in form["questions"]:
            if question["id"] in self.choices:
                continue
            texts = [o["text"] for o in question["options"]]
            sizes = range(1, len(texts) + 1) if question["multiple"] else (1,)
            answers = [frozenset(c) for size in sizes for c in itertools.combinations(texts, size)]
            self.questions.append(question["id"])
            self.choices[question["id"]] = answers
            self.drawn = []  # drawn over fewer questions
            if self.keys is not None and len(self.keys) * len(answers) > self.ENUMERATED:
                self.keys = None
            if self.keys is not None:
                self.keys = [key + (answer,) for key in self.keys for answer in answers]

    def pick(self, form: dict) -> dict[str, frozenset[str]]:
        key = self.rng.choice(self.keys) if self.keys is not None else self._draw()
        return {q["id"]: key[self.questions.index(q["id"])] for q in form["questions"]}

    def _draw(self) -> tuple[frozenset[str], ...]:
        """A key uniform over the consistent ones: uniform over the answers still possible per question, kept
        only if it would have given every joint reply (kept draws stay uniform after a reply: filtered below)."""
        choices = [self.choices[qid] for qid in self.questions]
        choice = self.rng.choice
        while not self.drawn:
            key = tuple(choice(answers) for answers in choices)
            for pairs, score, need, passed in self.joint:
                right = sum(key[i] == answer for i, answer in pairs)
                if (score is not None and right != score) or (right >= need) != passed:
                    break
            else:
                self.drawn.append(key)
        return self.drawn.pop()

    def observe(self, picked: dict[str, frozenset[str]], reply: dict, need: int) -> None:
        """Drop every key that would have given another reply."""
        at = {qid: self.questions.index(qid) for qid in picked}
        said = {q["id"]: q["correct"] for q in reply["questions"] if q.get("correct") is not None}

        def agrees(key) -> bool:
            right = {qid: key[at[qid]] == answer for qid, answer in picked.items()}
            if any(right[qid] != correct for qid, correct in said.items()):
                return False
            if reply["score"] is not None and sum(right.values()) != reply["score"]:
                return False
            return (sum(right.values()) >= need) == reply["passed"]

        if self.keys is not None:
            self.keys = [key for key in self.keys if agrees(key)]
        # The same reply as constraints: right/wrong per question narrows that question's answers; the score and
        # passed-or-not tie the questions whose right/wrong was not said (when every one was said, they follow).
        for qid, correct in said.items():
            answer = picked[qid]
            self.choices[qid] = [answer] if correct else [a for a in self.choices[qid] if a != answer]
        if any(qid not in said for qid in picked):
            pairs = tuple((at[qid], answer) for qid, answer in picked.items())
            self.joint.append((pairs, reply["score"], need, reply["passed"]))
        self.drawn = [key for key in self.drawn if agrees(key)]


def play(
    client, clock, headers: dict, seed: int, course=COURSE, lessons=LESSONS, quizzes=QUIZZES, give_up=GIVE_UP
) -> dict:
    """Run the attack until a certificate or give_up simulated seconds; what it took."""
    rng = random.Random(seed)
    start = clock.now
    # Device times two minutes apart per lesson: the batch claims a pace, the server sees one arrival.
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": "lesson_completed",
            "course": course,
            "lesson": lesson,
            "at": (clock.utc() - timedelta(minutes=2 * (len(lessons) - n))).isoformat(),
        }
        for n, lesson in enumerate(lessons)
    ]
    sent = client.post("/api/v1/progress/events", json={"events": events}, headers=headers).json()
    assert sent["accepted"] == len(lessons), sent
    guessers = {quiz: Guesser(rng) for quiz in quizzes}
    ready = dict.fromkeys(quizzes, clock.now)
    attempts = dict.fromkeys(quizzes, 0)
    while ready:
        quiz = min(ready, key=ready.get)
        clock.now = max(clock.now, ready[quiz])
        if clock.now - start > give_up:
            return {"certificate": None, "seconds": clock.now - start, "attempts": attempts}
        url = f"/api/v1/courses/{course}/quizzes/{quiz}"
        form = client.get(url, headers=headers).json()
        guesser = guessers[quiz]
        guesser.learn_questions(form)
        picked = guesser.pick(form)
        ids = {q["id"]: {o["text"]: o["id"] for o in q["options"]} for q in form["questions"]}
        answers = {qid: [ids[qid][text] for text in texts] for qid, texts in picked.items()}
        body = {"id": str(uuid.uuid4()), "form": form["form"], "answers": answers}
        response = client.post(f"{url}/attempts", json=body, headers=headers)
        if response.status_code == 429:
            # a second after the wait: a device's clock never lands on the window's edge to the microsecond
            ready[quiz] = clock.now + int(response.headers["retry-after"]) + 1
            continue
        assert response.status_code == 200, response.text
        reply = response.json()
        attempts[quiz] += 1
        if reply["certificate"]:
            return {"certificate": reply["certificate"], "seconds": clock.now - start, "attempts": attempts}
        if reply["passed"]:
            del ready[quiz]
            continue
        need = -(-int(form["pass_ratio"] * 1000) * len(form["questions"]) // 1000)  # ceil(pass_ratio × asked)
        guesser.observe(picked, reply, need)
    return {"certificate": None, "seconds": clock.now - start, "attempts": attempts}


def main_review_of(quiz, result, *, passed_before):
    """The review main gave before this change: the score, and right/wrong per question with a hint when wrong."""
    if passed_before or result.passed:
        return REVIEW_OF(quiz, result, passed_before=passed_before)
    questions = [
        QuestionResultOut(id=q.id, correct=g.correct, hint=None if g.correct else hint(q.explanation))
        for q, g in zip(quiz.questions, result.questions, strict=True)
    ]
    return "hints", questions


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_guesser_needs_longer_than_reading_the_course(client, course, learner, clock, seed):
    outcome = play(client, clock, learner(f"guesser-{seed}"), seed)
    print(f"\nguesser {seed}: {outcome} vs {COURSE_MINUTES} minutes of reading")
    assert outcome["seconds"] > COURSE_MINUTES * 60
    # Within the first day the attempt limits allow ten attempts per quiz, all spent in its first 70 minutes.
    assert outcome["certificate"] is None or outcome["seconds"] > 86400


def test_with_mains_feedback_the_same_guesser_passes_on_the_first_day(client, course, learner, clock, monkeypatch):
    """The same script against the review main gave (score and right/wrong per question): a certificate within
    the first day's ten attempts per quiz, about an hour even with these pools (ten minutes without them)."""
    monkeypatch.setattr(quiz_service, "review_of", main_review_of)
    outcome = play(client, clock, learner("guesser-main"), 1)
    print(f"\nguesser on main's feedback: {outcome}")
    assert outcome["certificate"] and outcome["seconds"] < 2 * 3600
