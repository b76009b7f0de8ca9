"""Import safety (#12): no symbolic links, nothing outside the content root, full-match ASCII slugs and prefixes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.catalogue.course import parse_course
from app.catalogue.walker import parse_content
from tests.conftest import CONTENT


@pytest.fixture
def root(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def messages(root: Path) -> list[str]:
    return [str(p) for p in parse_content(root).problems]


def test_a_symlinked_file_is_refused_and_nothing_of_its_course_is_parsed(root, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text((root / "tu-chon/01-co-ban/02-bai-hai.md").read_text().replace("Bài hai", "Bí mật"))
    (root / "tu-chon/01-co-ban/03-bai-ba.md").symlink_to(secret)
    result = parse_content(root)
    assert f"{root}/tu-chon/01-co-ban/03-bai-ba.md:1: symbolic links are refused" in str(result.problems[0])
    assert [c.slug for c in result.courses] == ["an-toan"]
    assert all("Bí mật" not in lesson.title for c in result.courses for _, lesson in c.lessons())


def test_a_symlinked_directory_or_course_is_refused(root, tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(CONTENT / "tu-chon/01-co-ban", outside)
    (root / "tu-chon/02-ngoai").symlink_to(outside, target_is_directory=True)
    (root / "khoa-ngoai").symlink_to(CONTENT / "tu-chon", target_is_directory=True)
    found = messages(root)
    assert f"{root}/tu-chon/02-ngoai:1: symbolic links are refused: copy the file into the content directory" in found
    assert f"{root}/khoa-ngoai:1: symbolic links are refused: copy the file into the content directory" in found


def test_a_symlinked_image_is_refused(root, tmp_path):
    picture = tmp_path / "khoa.svg"
    shutil.move(root / "an-toan/images/khoa.svg", picture)
    (root / "an-toan/images/khoa.svg").symlink_to(picture)
    found = messages(root)
    assert any(p.startswith(f"{root}/an-toan/images/khoa.svg:1: symbolic links are refused") for p in found)


def test_the_content_root_itself_may_be_a_link(root, tmp_path):
    link = tmp_path / "linked-content"
    link.symlink_to(root, target_is_directory=True)
    assert parse_content(link).problems == []


@pytest.mark.skipif(os.name != "posix", reason="file names with a newline need a POSIX file system")
def test_a_course_slug_with_a_trailing_newline_is_refused(root):
    shutil.copytree(root / "tu-chon", root / "khoa-thu\n")
    found = messages(root)
    assert any("course directory must be a slug" in p for p in found), found


def course_files(**extra: str) -> dict[str, bytes]:
    lesson = (CONTENT / "tu-chon/01-co-ban/01-bai-mot.md").read_bytes()
    files = {
        "course.md": (CONTENT / "tu-chon/course.md").read_bytes(),
        "01-co-ban/module.md": (CONTENT / "tu-chon/01-co-ban/module.md").read_bytes(),
        "01-co-ban/01-bai-mot.md": lesson,
    }
    files.update({path: lesson for path in extra.values()})
    return files


@pytest.mark.parametrize(
    ("slug", "allowed"),
    [("khoa-thu", True), ("khoa-thu\n", False), ("Khoa", False), ("khoá", False), ("khoa_thu", False), ("-k", False)],
)
def test_course_slugs_are_full_match_ascii(slug, allowed):
    problems = parse_course("content", slug, course_files()).problems
    assert (not any("must be a slug" in str(p) for p in problems)) is allowed


@pytest.mark.parametrize(
    "path",
    [
        "\u0660\u0662-mot/01-bai.md",  # Arabic-Indic digits in the module prefix
        "01-co-ban/\u0660\u0662-bai.md",  # ... and in the lesson prefix
        "\uff10\uff12-mot/01-bai.md",  # full-width digits
        "02-mot\n/01-bai.md",  # a trailing newline in the module directory
    ],
)
def test_numbered_prefixes_are_ascii_digits_only(path):
    problems = [str(p) for p in parse_course("content", "khoa", course_files(extra=path)).problems]
    assert any(
        "not in a 'NN-module-slug/' directory" in p or "must be named 'NN-lesson-slug.md'" in p for p in problems
    ), problems
