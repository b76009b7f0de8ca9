"""Validator warnings for quizzes that give themselves away: a pool too small for its `ask`, and wrong options
marked by a made-up reason ("vì …") or by haste ("cho nhanh", "cho tiện", "cho xong")."""

from __future__ import annotations

from app.catalogue.problems import FileProblems, Problem
from app.catalogue.quizbody import parse_quiz


def warnings(text: str) -> list[str]:
    problems: list[Problem] = []
    parse_quiz("kiem-tra", text, 0.8, FileProblems("quiz.md", problems))
    assert not [p for p in problems if p.is_error], problems
    return [str(p) for p in problems]


def quiz(questions: int, *, ask: int | None = None, options: tuple[str, ...] | None = None) -> str:
    """A quiz of `questions` questions; by default three options with the right one in turn on each position."""
    front = "---\ntitle: Kiểm tra\n" + (f"ask: {ask}\n" if ask else "") + "---\n\n"

    def choices(n: int) -> str:
        if options is not None:
            return "\n".join(options)
        return "\n".join(f"- [{'x' if k == n % 3 else ' '}] Ý {k + 1}" for k in range(3))

    return front + "\n".join(f"## Câu {n}? {{#c{n}}}\n\n{choices(n)}\n" for n in range(1, questions + 1))


def test_a_pool_under_twice_the_questions_asked_is_a_warning():
    assert warnings(quiz(6)) == [
        "quiz.md:1: warning: the pool has 6 questions for 6 asked per attempt: write at least 12 "
        "(or ask fewer with 'ask:') so that each attempt sees different questions"
    ]
    assert warnings(quiz(9, ask=5)) == [
        "quiz.md:3: warning: the pool has 9 questions for 5 asked per attempt: write at least 10 "
        "(or ask fewer with 'ask:') so that each attempt sees different questions"
    ]  # on the line of 'ask'
    assert warnings(quiz(10, ask=5)) == []
    assert warnings(quiz(3)) == []  # like the balance rules: too small to judge


def test_a_wrong_option_with_a_reason_or_haste_that_no_right_option_has_is_a_warning():
    found = warnings(
        quiz(
            1,
            options=(
                "- [x] Gọi lại số tổng đài in trên thẻ",
                "- [ ] Bấm vào link vì ngân hàng yêu cầu",
                "- [ ] Chuyển tiền trước cho xong",
            ),
        )  # fmt: skip
    )
    assert found == [
        "quiz.md:5: warning: question 'c1': wrong option 2 says 'vì' and no right option does: "
        "a reason or haste marks it as wrong; word the options alike",
        "quiz.md:5: warning: question 'c1': wrong option 3 says 'cho xong' and no right option does: "
        "a reason or haste marks it as wrong; word the options alike",
    ]
    for phrase in ("cho nhanh", "Cho tiện", "Vì"):
        assert len(warnings(quiz(1, options=("- [x] Gọi tổng đài", f"- [ ] Làm ngay {phrase} thôi")))) == 1


def test_reasons_on_both_sides_and_thay_vi_are_not_warned():
    both = ("- [x] Gọi tổng đài vì số đó in trên thẻ", "- [ ] Bấm link vì tin nhắn có logo")
    assert warnings(quiz(1, options=both)) == []  # the right option gives a reason too
    instead = ("- [x] Hỏi con cháu", "- [ ] Đọc tin trên Facebook thay vì tin trên báo")
    assert warnings(quiz(1, options=instead)) == []  # "thay vì" is "instead of", not a reason
    words = ("- [x] Hỏi con cháu", "- [ ] Cài ứng dụng vìa hè", "- [ ] Cho nhanhh")
    assert warnings(quiz(1, options=words)) == []  # whole words only
