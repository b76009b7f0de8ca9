"""The second-edition content rules, on a copy of the valid fixture content with one thing broken at a time."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.catalogue.rules import ContentRules
from app.catalogue.walker import parse_content, validate_content
from app.cli import main
from tests.conftest import CONTENT

TODAY = date(2026, 11, 23)
LESSON = "an-toan/01-mat-khau/01-mat-khau-manh.md"
PICTURE_LESSON = "an-toan/01-mat-khau/02-xac-thuc-hai-lop.md"
QUIZ = "an-toan/01-mat-khau/quiz.md"


@pytest.fixture
def root(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def found(root: Path, *, today: date = TODAY, rules: ContentRules | None = None) -> list[str]:
    return [str(p) for p in validate_content(root, rules or ContentRules(), today=today).problems]


def assert_reported(root: Path, expected: str, **kwargs) -> None:
    problems = found(root, **kwargs)
    assert any(p.startswith(f"{root}/{expected}") for p in problems), problems


def test_the_valid_copy_has_no_problem(root):
    assert found(root) == []


# The three acceptance tests of issue #13.


def test_a_lesson_without_sources_fails_validation(root, capsys):
    sources = '  - title: "Cổng Dịch vụ công quốc gia"\n    url: https://dichvucong.gov.vn\n'
    edit(root, LESSON, "sources:\n" + sources, "")
    assert_reported(root, f"{LESSON}:1: front matter needs 'sources'")
    assert main(["content", "validate", str(root)]) == 1
    assert f"{LESSON}:1: front matter needs 'sources'" in capsys.readouterr().out


def test_a_clustered_quiz_fails_validation(root, capsys):
    question = "## Câu {n}? {{#c{n}}}\n\n- [ ] Một\n- [x] Hai\n- [ ] Ba\n\n"
    body = "".join(question.format(n=n) for n in range(1, 5))
    (root / QUIZ).write_text("---\ntitle: Kiểm tra\n---\n\n" + body)
    assert_reported(root, f"{QUIZ}:5: right answers cluster: option 2 is right in 4 of 4")
    assert main(["content", "validate", str(root)]) == 1
    assert "right answers cluster" in capsys.readouterr().out


def test_a_picture_without_alt_text_fails_validation(root, capsys):
    edit(root, PICTURE_LESSON, "![Ổ khoá đóng: tài khoản đã được bảo vệ](images/khoa.svg)", "![](images/khoa.svg)")
    assert_reported(root, f"{PICTURE_LESSON}:18: picture 'images/khoa.svg' needs alt text")
    assert main(["content", "validate", str(root)]) == 1
    assert "needs alt text" in capsys.readouterr().out


def test_warnings_alone_exit_zero(root, capsys):
    long_sentence = " ".join(["chữ"] * 30) + "."
    edit(root, LESSON, "Một mật khẩu mạnh", long_sentence + "\n\nMột mật khẩu mạnh")
    assert main(["content", "validate", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"{root}/{LESSON}:10: warning: sentence of 30 syllables (over 25)" in out
    assert "ok: 2 course(s), 5 lesson(s)" in out and "(1 warning(s))" in out


# Sources and review date.


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ("sources: []\n", "5: 'sources' must be a non-empty list"),
        ("sources:\n  - title: T\n    url: http://dichvucong.gov.vn\n", "5: sources item 1: 'url' must be an https://"),
        ("sources:\n  - title: T\n    url: https://\n", "5: sources item 1: 'url' must be an https://"),
        ("sources:\n  - title: ''\n    url: https://a.vn\n", "5: sources item 1: 'title' must be non-empty"),
        ("sources:\n  - https://a.vn\n", "5: sources item 1 must have exactly 'title' and 'url'"),
    ],
)
def test_sources_must_be_titled_https_pages(root, sources, expected):
    edit(
        root, LESSON, 'sources:\n  - title: "Cổng Dịch vụ công quốc gia"\n    url: https://dichvucong.gov.vn\n', sources
    )
    assert_reported(root, f"{LESSON}:{expected}")


@pytest.mark.parametrize(
    ("reviewed", "expected"),
    [
        ("", "1: front matter needs 'reviewed'"),
        ("reviewed: 23/11/2026\n", "4: 'reviewed' must be a date written YYYY-MM-DD"),
        ("reviewed: 2026-11-23 10:00:00\n", "4: 'reviewed' must be a date written YYYY-MM-DD"),
        ("reviewed: '2026-02-30'\n", "4: 'reviewed' must be a date written YYYY-MM-DD"),
    ],
)
def test_reviewed_is_required_and_an_iso_date(root, reviewed, expected):
    edit(root, LESSON, "reviewed: 2026-11-23\n", reviewed)
    assert_reported(root, f"{LESSON}:{expected}")


def test_review_age_warns_then_fails_with_the_configured_age(root):
    rules = ContentRules(review_max_age_days=30)
    assert found(root, today=TODAY + timedelta(days=30), rules=rules) == []
    warned = found(root, today=TODAY + timedelta(days=31), rules=rules)
    assert f"{root}/{LESSON}:4: warning: facts last reviewed 31 days ago (over 30): check them soon" in warned
    assert all("warning:" in p for p in warned) and len(warned) == 5
    failed = found(root, today=TODAY + timedelta(days=61), rules=rules)
    assert f"{root}/{LESSON}:4: facts last reviewed 61 days ago (over 60): check them again" in failed
    assert f"{root}/{LESSON}:4: 'reviewed' 2026-11-23 is in the future" in found(root, today=TODAY - timedelta(days=1))


def test_import_does_not_depend_on_the_date(root):
    """Staleness is validate's job: a parse (what import uses) of old content has no problem."""
    edit(root, LESSON, "reviewed: 2026-11-23", "reviewed: 2001-01-01")
    assert parse_content(root).problems == []
    assert any("check them again" in p for p in found(root))


# Làm thử ngay.


def test_every_lesson_needs_a_try_it_now_section(root):
    edit(root, LESSON, "## Làm thử ngay", "## Việc khác")
    assert_reported(root, f"{LESSON}:9: the lesson needs a '## Làm thử ngay' section")


def test_try_it_now_must_not_be_empty(root):
    edit(root, LESSON, "Đổi mật khẩu email của bạn thành một cụm từ dài mà chỉ bạn nhớ.", "")
    assert_reported(root, f"{LESSON}:19: the '## Làm thử ngay' section is empty")


def test_try_it_now_should_be_last_and_may_be_followed_by_the_basis_note(root):
    assert found(root) == []  # the picture lesson ends with a 'Căn cứ' note after the section
    path = root / LESSON
    path.write_text(path.read_text() + "\n## Thêm\n\nMột đoạn nữa.\n")
    assert_reported(root, f"{LESSON}:19: warning: '## Làm thử ngay' should be the last section")


# Sentences and legal numbers.


def test_long_sentences_are_warned_with_their_own_line(root):
    words = " ".join(["chữ"] * 13)
    paragraph = f"Câu ngắn thôi.\nCâu dài {words}\n{words}. Câu cuối ngắn."
    edit(root, LESSON, "Một mật khẩu mạnh", paragraph + "\n\nMột mật khẩu mạnh")
    problems = found(root)
    assert problems == [f"{root}/{LESSON}:11: warning: sentence of 28 syllables (over 25): split it"]


def test_code_headings_tables_and_the_basis_note_are_not_sentences(root):
    words = " ".join(["chữ"] * 30)
    extra = f"## {words}\n\n```\n{words}\n```\n\n| {words} |\n| --- |\n| x |\n\n"
    edit(root, LESSON, "## Làm thử ngay", extra + "## Làm thử ngay")
    edit(root, PICTURE_LESSON, "Nghị định 69/2024/NĐ-CP.", f"Nghị định 69/2024/NĐ-CP; {words}.")
    assert found(root) == []


def test_a_legal_number_in_the_body_is_a_warning(root):
    edit(root, LESSON, "Một mật khẩu mạnh", "Theo Nghị định 13/2023/NĐ-CP, một mật khẩu mạnh")
    assert_reported(root, f"{LESSON}:10: warning: legal document number '13/2023/NĐ-CP' in the lesson text")


# Quiz balance.


def quiz(*questions: str) -> str:
    return "---\ntitle: Kiểm tra\n---\n\n" + "\n".join(
        f"## Câu {n}? {{#c{n}}}\n\n{options}\n" for n, options in enumerate(questions, start=1)
    )


SPREAD = ["- [x] A\n- [ ] B\n- [ ] C", "- [ ] A\n- [x] B\n- [ ] C", "- [ ] A\n- [ ] B\n- [x] C", "- [x] A\n- [ ] B"]


def balance(root: Path) -> list[str]:
    """The problems but the pool warning (a quiz of 4+ questions without a pool; tests/integrity covers it)."""
    return [p for p in found(root) if "warning: the pool has" not in p]


def test_spread_answers_pass_and_half_on_one_position_is_allowed(root):
    (root / QUIZ).write_text(quiz(*SPREAD))
    assert balance(root) == []
    (root / QUIZ).write_text(quiz(SPREAD[0], SPREAD[0], SPREAD[1], SPREAD[2]))  # 2 of 4: not more than half
    assert balance(root) == []


def test_three_single_choice_questions_are_not_judged(root):
    (root / QUIZ).write_text(quiz(SPREAD[1], SPREAD[1], SPREAD[1]))
    assert found(root) == []


def test_multiple_choice_right_options_always_first_is_an_error(root):
    first = "- [x] A\n- [x] B\n- [ ] C"
    (root / QUIZ).write_text(quiz(first, "- [x] A\n- [ ] B\n- [x] C\n- [ ] D", *SPREAD))
    assert balance(root) == []
    (root / QUIZ).write_text(quiz(first, "- [x] A\n- [x] B\n- [x] C\n- [ ] D", *SPREAD))
    assert_reported(root, f"{QUIZ}:5: in all 2 multiple-choice questions the right options are exactly the first")


def test_right_answer_always_longest_is_a_warning(root):
    long = ["- [x] Một câu trả lời dài\n- [ ] B\n- [ ] C", "- [ ] A\n- [x] Một câu trả lời dài\n- [ ] C"]
    (root / QUIZ).write_text(quiz(long[0], long[1], long[0], long[1]))
    assert_reported(root, f"{QUIZ}:5: warning: the right answer is the longest option in 4 of 4")


def test_the_bundled_curriculum_is_valid(capsys):
    """`make test` checks the shipped content/ too (CI also runs `content validate content` on its own)."""
    bundled = Path(__file__).resolve().parents[2] / "content"
    assert main(["content", "validate", str(bundled)]) == 0
    assert "ok: 5 course(s)" in capsys.readouterr().out
