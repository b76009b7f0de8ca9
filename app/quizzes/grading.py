"""Pure grading: a question is right when exactly its ticked options are chosen."""

from __future__ import annotations

from dataclasses import dataclass

from app.catalogue.service import QuizView
from app.errors import Unprocessable

EPSILON = 1e-9


@dataclass(frozen=True)
class QuestionResult:
    id: str
    correct: bool
    explanation: str | None


@dataclass(frozen=True)
class Grade:
    score: int
    max_score: int
    passed: bool
    questions: tuple[QuestionResult, ...]


def check_answers(quiz: QuizView, answers: dict[str, list[str]]) -> None:
    """Unknown question or option ids are the client's mistake: 422 listing them."""
    known = {q.id: {o.id for o in q.options} for q in quiz.questions}
    problems = []
    for question_id, chosen in answers.items():
        if question_id not in known:
            problems.append({"field": f"answers.{question_id}", "message": "unknown question id"})
            continue
        for option_id in chosen:
            if option_id not in known[question_id]:
                problems.append({"field": f"answers.{question_id}", "message": f"unknown option id '{option_id}'"})
    if problems:
        raise Unprocessable("the answers name questions or options this quiz does not have", details=problems)


def grade(quiz: QuizView, answers: dict[str, list[str]]) -> Grade:
    """Score one point per question answered exactly right; unanswered questions score nothing."""
    check_answers(quiz, answers)
    results = []
    for question in quiz.questions:
        chosen = set(answers.get(question.id, ()))
        right = {o.id for o in question.options if o.correct}
        results.append(QuestionResult(question.id, chosen == right, question.explanation))
    score = sum(r.correct for r in results)
    max_score = len(results)
    passed = max_score > 0 and score >= quiz.pass_ratio * max_score - EPSILON
    return Grade(score=score, max_score=max_score, passed=passed, questions=tuple(results))
