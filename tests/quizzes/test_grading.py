"""Grading tables: single, multiple, partial, empty, unknown ids."""

from __future__ import annotations

import pytest

from app.catalogue.service import OptionView, QuestionView, QuizView
from app.errors import Unprocessable
from app.quizzes.grading import grade

QUIZ = QuizView(
    slug="m",
    title="Q",
    pass_ratio=0.5,
    content_hash="h",
    questions=(
        QuestionView("single", "?", (OptionView("a", "1", False), OptionView("b", "2", True)), "because"),
        QuestionView(
            "multi", "?", (OptionView("a", "1", True), OptionView("b", "2", True), OptionView("c", "3", False)), None
        ),
    ),
)


@pytest.mark.parametrize(
    ("answers", "correct", "score", "passed"),
    [
        ({"single": ["b"], "multi": ["a", "b"]}, [True, True], 2, True),
        ({"single": ["a"], "multi": ["b", "a"]}, [False, True], 1, True),
        ({"single": ["b"], "multi": ["a"]}, [True, False], 1, True),  # partial multiple choice is wrong
        ({"single": ["a", "b"], "multi": ["a", "b", "c"]}, [False, False], 0, False),  # extra choices are wrong
        ({"single": [], "multi": []}, [False, False], 0, False),
        ({}, [False, False], 0, False),
        ({"single": ["b", "b"]}, [True, False], 1, True),  # a repeated id is still the same choice
    ],
)
def test_grading_table(answers, correct, score, passed):
    result = grade(QUIZ, answers)
    assert [q.correct for q in result.questions] == correct
    assert (result.score, result.max_score, result.passed) == (score, 2, passed)
    assert result.questions[0].explanation == "because"


def test_pass_ratio_boundary():
    strict = QuizView("m", "Q", 1.0, "h", QUIZ.questions)
    assert grade(strict, {"single": ["b"], "multi": ["a", "b"]}).passed is True
    assert grade(strict, {"single": ["b"]}).passed is False


@pytest.mark.parametrize("answers", [{"nope": ["a"]}, {"single": ["z"]}])
def test_unknown_question_or_option_is_422(answers):
    with pytest.raises(Unprocessable) as raised:
        grade(QUIZ, answers)
    assert raised.value.details
