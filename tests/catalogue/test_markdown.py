"""The pure parser and validator, on good and bad files (every rule of the content format)."""

from __future__ import annotations

import textwrap

import pytest

from app.catalogue.course import parse_course
from app.catalogue.walker import parse_content
from tests.conftest import CONTENT

COURSE = "---\ntitle: Khoá\nsummary: Tóm tắt\n---\n"
MODULE = "---\ntitle: Mô-đun\n---\n"
SOURCES = "reviewed: 2026-11-23\nsources:\n  - title: Trang\n    url: https://dichvucong.gov.vn\n"
LESSON = f"---\ntitle: Bài\nminutes: 5\n{SOURCES}---\n\nNội dung.\n\n## Làm thử ngay\n\nMở điện thoại.\n"


def files(**overrides: str | bytes | None) -> dict[str, bytes]:
    base = {
        "course.md": COURSE,
        "01-mot/module.md": MODULE,
        "01-mot/01-bai-a.md": LESSON,
        "01-mot/quiz.md": textwrap.dedent("""\
            ---
            title: Kiểm tra
            ---

            ## Câu một? {#q1}

            - [ ] Sai
            - [x] Đúng

            > Giải thích.
            """),
    }
    for key, value in overrides.items():
        path = key.replace("__", "/").replace("_md", ".md")
        if value is None:
            base.pop(path, None)
        else:
            base[path] = value
    return {k: v if isinstance(v, bytes) else v.encode() for k, v in base.items()}


def problems_of(**overrides) -> list[str]:
    return [str(p) for p in parse_course("content", "khoa", files(**overrides)).problems]


def test_the_bundled_fixture_content_parses():
    parsed = parse_content(CONTENT)
    courses = parsed.courses
    assert parsed.problems == []
    assert [c.slug for c in courses] == ["an-toan", "tu-chon"]
    course = courses[0]
    assert course.sequential is True and course.pass_ratio == 0.5
    assert [m.slug for m in course.modules] == ["mat-khau", "lua-dao"]
    assert [lesson.slug for _, lesson in course.lessons()] == ["mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao"]


def test_quiz_questions_options_answers_and_explanations():
    parsed = parse_course("content", "khoa", files())
    course = parsed.course
    assert parsed.problems == []
    quiz = course.modules[0].quiz
    assert quiz.title == "Kiểm tra" and quiz.pass_ratio == 0.8
    (question,) = quiz.questions
    assert question.id == "q1" and question.text == "Câu một?"
    assert [(o.id, o.text, o.correct) for o in question.options] == [("a", "Sai", False), ("b", "Đúng", True)]
    assert question.explanation == "Giải thích." and question.multiple is False


def test_multiple_choice_and_default_ids_and_quiz_pass_ratio_override():
    quiz = "---\ntitle: Q\npass_ratio: 0.5\n---\n\n## A?\n\n- [x] 1\n- [X] 2\n- [ ] 3\n\n## B?\n\n- [x] 1\n- [ ] 2\n"
    parsed = parse_course("content", "khoa", files(**{"01-mot__quiz_md": quiz}))
    course = parsed.course
    assert parsed.problems == []
    q = course.modules[0].quiz
    assert q.pass_ratio == 0.5
    assert [x.id for x in q.questions] == ["q1", "q2"]
    assert q.questions[0].multiple is True and q.questions[1].multiple is False
    assert q.questions[1].explanation is None


def test_text_is_normalised_to_nfc():
    decomposed = (
        f"---\ntitle: Ba\u0300i\n{SOURCES}---\n\nVie\u0302\u0323t Nam\n\n## La\u0300m thu\u031b\u0309 ngay\n\nMở.\n"
    )
    parsed = parse_course("content", "khoa", files(**{"01-mot__01-bai-a_md": decomposed}))
    course = parsed.course
    assert parsed.problems == []
    lesson = course.modules[0].lessons[0]
    assert lesson.title == "Bài" and "Việt Nam" in lesson.body


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"course_md": "title: x\n"}, "content/khoa/course.md:1: missing front matter"),
        ({"course_md": "---\nsummary: s\n---\n"}, "content/khoa/course.md:1: front matter needs a 'title'"),
        (
            {"course_md": "---\ntitle: T\nsummary: s\nauthor: me\n---\n"},
            "content/khoa/course.md:4: unknown front-matter key 'author'",
        ),
        (
            {"course_md": "---\ntitle: T\nsummary: s\npass_ratio: 1.5\n---\n"},
            "content/khoa/course.md:4: 'pass_ratio' must be a number greater than 0 and at most 1",
        ),
        (
            {"course_md": "---\ntitle: T\nsummary: s\nsequential: maybe\n---\n"},
            "content/khoa/course.md:4: 'sequential' must be true or false",
        ),
        ({"course_md": "---\ntitle: [unclosed\n---\n"}, "content/khoa/course.md:2: front matter is not valid YAML"),
        ({"course_md": "---\ntitle: T\n"}, "content/khoa/course.md:1: front matter is not closed"),
        ({"course_md": None}, "content/khoa/course.md:1: missing course.md"),
        ({"01-mot__module_md": None}, "content/khoa/01-mot/module.md:1: missing module.md"),
        (
            {"01-mot__01-bai-a_md": "---\nminutes: 3\n---\n\nx\n"},
            "content/khoa/01-mot/01-bai-a.md:1: front matter needs a 'title'",
        ),
        (
            {"01-mot__01-bai-a_md": "---\ntitle: T\nminutes: -3\n---\n\nx\n"},
            "content/khoa/01-mot/01-bai-a.md:3: 'minutes' must be a whole number",
        ),
        (
            {"01-mot__01-bai-a_md": "---\ntitle: T\n---\n\n"},
            "content/khoa/01-mot/01-bai-a.md:4: the lesson has no body",
        ),
        (
            {"01-mot__01-bai-a_md": b"---\ntitle: T\n---\n\nch\xe0o\n"},
            "content/khoa/01-mot/01-bai-a.md:5: file is not valid UTF-8",
        ),
        (
            {"01-mot__bai-khong-so_md": LESSON},
            "content/khoa/01-mot/bai-khong-so.md:1: lesson file must be named 'NN-lesson-slug.md'",
        ),
        ({"02-hai__module_md": MODULE}, "content/khoa/02-hai/module.md:1: the module has no lessons"),
        (
            {"02-hai__module_md": MODULE, "02-hai__01-bai-a_md": LESSON},
            "content/khoa/02-hai/01-bai-a.md:1: lesson slug 'bai-a' is used twice in this course",
        ),
        ({"Mo-dun__01-x_md": LESSON}, "content/khoa/Mo-dun/01-x.md:1: not in a 'NN-module-slug/' directory"),
    ],
)
def test_each_rule_reports_file_and_line(overrides, expected):
    found = problems_of(**overrides)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("quiz_body", "expected"),
    [
        ("## A? {#a}\n\n- [ ] 1\n- [ ] 2\n", "5: question 'a' has no ticked (correct) option"),
        ("## A? {#a}\n\n- [x] 1\n", "5: question 'a' needs at least two options"),
        ("## A? {#a}\n\n> why\n", "5: question 'a' has no options"),
        ("## A? {#a}\n\n- [x] 1\n- 2\n", "8: option of question 'a' must start with '[ ]' or '[x]'"),
        ("## A? {#a}\n\n1. [x] 1\n2. [ ] 2\n", "7: unexpected a numbered list"),
        ("Intro text.\n\n## A?\n\n- [x] 1\n- [ ] 2\n", "5: unexpected text that is not part of a question"),
        ("## A? {#a}\n\n- [x] 1\n- [ ] 2\n\n## B? {#a}\n\n- [x] 1\n- [ ] 2\n", "10: question id 'a' is used twice"),
        ("", "4: the quiz has no questions"),
    ],
)
def test_quiz_rules(quiz_body, expected):
    quiz = "---\ntitle: Q\n---\n\n" + quiz_body
    found = problems_of(**{"01-mot__quiz_md": quiz})
    assert any(p.startswith("content/khoa/01-mot/quiz.md:" + expected) for p in found), found


def test_quiz_with_bad_pass_ratio_and_unknown_key():
    quiz = "---\ntitle: Q\npass_ratio: 0\nlevel: 2\n---\n\n## A?\n\n- [x] 1\n- [ ] 2\n"
    found = problems_of(**{"01-mot__quiz_md": quiz})
    assert "content/khoa/01-mot/quiz.md:3: 'pass_ratio' must be a number greater than 0 and at most 1" in found
    assert any(p.startswith("content/khoa/01-mot/quiz.md:4: unknown front-matter key 'level'") for p in found)


def test_every_problem_is_reported_not_just_the_first():
    found = problems_of(
        course_md="---\ntitle: T\nsummary: s\nx: 1\n---\n", **{"01-mot__01-bai-a_md": "---\nminutes: 3\n---\n\nx\n"}
    )
    assert len(found) >= 2


def test_empty_or_missing_content_root(tmp_path):
    assert [str(p) for p in parse_content(tmp_path).problems] == [f"{tmp_path}:1: no course directories found"]
    assert "does not exist" in str(parse_content(tmp_path / "nope").problems[0])
