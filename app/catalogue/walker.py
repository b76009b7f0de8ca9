"""The only part of the content parser that touches files: walks the content root safely, then parses.

Symbolic links and anything that resolves outside the content root are refused (an error), so an
import can never publish a file from elsewhere on the machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.catalogue.course import parse_course
from app.catalogue.parsed import CourseSource
from app.catalogue.problems import Problem
from app.catalogue.rules import ContentRules, review_problems


@dataclass
class ContentParse:
    courses: list[CourseSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CourseFiles:
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_content(root: Path, rules: ContentRules | None = None) -> ContentParse:
    """Parse every course directory below root; top-level files (a README) are ignored."""
    if not root.is_dir():
        return ContentParse(problems=[Problem(str(root), 1, "content directory does not exist")])
    result = ContentParse()
    real_root = root.resolve()
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_symlink():
            result.problems.append(_refused_link(entry))
            continue
        if not entry.is_dir():
            continue
        _add_course(result, str(root), entry.name, read_course_files(entry, real_root), rules)
    if not result.courses and not result.problems:
        result.problems.append(Problem(str(root), 1, "no course directories found"))
    return result


def parse_tree(label: str, tree: Mapping[str, Mapping[str, bytes]], rules: ContentRules | None = None) -> ContentParse:
    """parse_content for files already in memory (an author's upload): course directory -> relative path -> bytes."""
    result = ContentParse()
    for name in sorted(tree):
        _add_course(result, label, name, CourseFiles(files=dict(tree[name])), rules)
    if not result.courses and not result.problems:
        result.problems.append(Problem(label, 1, "no course directories found"))
    return result


def _add_course(result: ContentParse, label: str, name: str, read: CourseFiles, rules: ContentRules | None) -> None:
    parsed = parse_course(label, name, read.files, rules)
    result.problems += read.problems + parsed.problems
    if parsed.course and not read.problems:
        result.courses.append(parsed.course)


def validate_content(root: Path, rules: ContentRules, *, today: date) -> ContentParse:
    """Every problem an import would find, plus the review-age rule that depends on today's date."""
    result = parse_content(root, rules)
    result.problems += review_problems(result.courses, today=today, max_age_days=rules.review_max_age_days)
    return result


def read_course_files(course_dir: Path, real_root: Path) -> CourseFiles:
    """Every regular file of a course directory, keyed by its '/'-separated relative path."""
    read = CourseFiles()
    for directory, subdirectories, names in os.walk(course_dir, followlinks=False):
        here = Path(directory)
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in subdirectories:
            if (here / name).is_symlink():
                read.problems.append(_refused_link(here / name))
        for name in sorted(names):
            path = here / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                read.problems.append(_refused_link(path))
            elif not path.resolve().is_relative_to(real_root):
                read.problems.append(Problem(str(path), 1, "file resolves outside the content directory: refused"))
            elif path.is_file():
                read.files[path.relative_to(course_dir).as_posix()] = path.read_bytes()
    return read


def _refused_link(path: Path) -> Problem:
    return Problem(str(path), 1, "symbolic links are refused: copy the file into the content directory")
