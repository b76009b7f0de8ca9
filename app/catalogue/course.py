"""One course from its files (a mapping of '/'-separated relative paths to bytes): pure, no file I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from app.catalogue.audio import AUDIO_DIR, AUDIO_PATH, check_audio
from app.catalogue.frontmatter import flag_field, pass_ratio_field, read_front_matter, review_field, text_field
from app.catalogue.glossary import parse_glossary
from app.catalogue.images import check_image
from app.catalogue.lessonbody import IMAGE_PATH, UsableImages, parse_lesson
from app.catalogue.naming import numbered_name, slugify
from app.catalogue.parsed import DEFAULT_PASS_RATIO, CourseSource, ImageAsset, ModuleSource, nfc
from app.catalogue.problems import FileProblems, Problem, errors
from app.catalogue.quizbody import parse_quiz
from app.catalogue.rules import ContentRules

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
COURSE_DIR = re.compile(SLUG, re.ASCII)
NUMBERED = re.compile(rf"([0-9]{{2}})-({SLUG})", re.ASCII)
IMAGES_DIR = "images"
GLOSSARY = "glossary.md"


@dataclass
class CourseParse:
    """The course (None when any error was found) and every problem, errors and warnings."""

    course: CourseSource | None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Files:
    """The files of one course, with the problems found in them."""

    course_path: str
    files: Mapping[str, bytes]
    problems: list[Problem] = field(default_factory=list)
    max_text_bytes: int | None = None

    def out(self, rel: str) -> FileProblems:
        return FileProblems(f"{self.course_path}/{rel}", self.problems)

    def text(self, rel: str) -> str | None:
        """UTF-8 text in NFC without a byte-order mark, or None (with a problem) if not UTF-8."""
        data = self.files[rel]
        if self.max_text_bytes is not None and len(data) > self.max_text_bytes:
            message = (
                f"file is {len(data)} bytes; the limit is {self.max_text_bytes} (setting CONTENT_MAX_MARKDOWN_BYTES): "
                "split it into shorter lessons"
            )
            self.out(rel).error(1, message)
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.out(rel).error(line, "file is not valid UTF-8; save it as UTF-8")
            return None
        return nfc(text.removeprefix("\ufeff").replace("\r\n", "\n"))


def parse_course(root: str, slug: str, files: Mapping[str, bytes], rules: ContentRules | None = None) -> CourseParse:
    """Parse one course from its files (paths relative to the course directory, '/'-separated)."""
    rules = rules or ContentRules()
    found = _Files(f"{root}/{slug}" if root else slug, files, max_text_bytes=rules.max_markdown_bytes)
    if not COURSE_DIR.fullmatch(slug):
        message = f"course directory must be a slug: lowercase a-z, 0-9, '-': rename it '{slugify(slug) or 'khoa-hoc'}'"
        found.problems.append(Problem(found.course_path, 1, message))
    if "course.md" not in files:
        found.out("course.md").error(1, "missing course.md")
        return CourseParse(None, found.problems)
    course = _course_meta(slug, found)
    course.images = _images(found, rules)
    if GLOSSARY in files:
        text = found.text(GLOSSARY)
        course.glossary = parse_glossary(text, found.out(GLOSSARY)) if text is not None else []
    modules = _module_directories(found)
    for directory in sorted(modules):
        course.modules.append(_parse_module(directory, modules[directory], course, found))
    _check_unique_slugs(course, modules, found)
    _check_unused_images(course, found)
    if not modules:
        found.out("course.md").error(1, "the course has no modules ('NN-slug/' directories)")
    return CourseParse(None if errors(found.problems) else course, found.problems)


def _course_meta(slug: str, found: _Files) -> CourseSource:
    course = CourseSource(slug=slug, title="", summary="", sequential=False, pass_ratio=DEFAULT_PASS_RATIO)
    text = found.text("course.md")
    out = found.out("course.md")
    front = read_front_matter("course", text, out) if text else None
    if front is not None:
        course.title = text_field(front, "title", out, required=True)
        course.summary = text_field(front, "summary", out, required=True)
        course.sequential = flag_field(front, "sequential", out)
        course.pass_ratio = pass_ratio_field(front, out) or DEFAULT_PASS_RATIO
        course.review = review_field(front, out) or course.review
    return course


def _images(found: _Files, rules: ContentRules) -> UsableImages:
    """The course's pictures (images/) and recordings (audio/), each checked; refused paths remembered."""

    def picture(rel: str) -> ImageAsset | None:
        return check_image(
            rel,
            found.files[rel],
            found.out(rel),
            max_bytes=rules.max_image_bytes,
            max_svg_elements=rules.max_svg_elements,
        )

    def recording(rel: str) -> ImageAsset | None:
        return check_audio(rel, found.files[rel], found.out(rel), max_bytes=rules.max_audio_bytes)

    usable: dict[str, ImageAsset] = {}
    refused: set[str] = set()
    for directory, pattern, kinds, fallback, check in (
        (
            IMAGES_DIR,
            IMAGE_PATH,
            "image file names are lowercase a-z, 0-9, '-', '_' with .svg, .png, .jpg or .webp",
            "hinh",
            picture,
        ),
        (
            AUDIO_DIR,
            AUDIO_PATH,
            "recording file names are lowercase a-z, 0-9, '-', '_' with .mp3, .opus or .ogg",
            "bai-doc",
            recording,
        ),
    ):
        for rel in sorted(found.files):
            if not rel.startswith(f"{directory}/"):
                continue
            asset = None
            if pattern.fullmatch(rel):
                asset = check(rel)
            else:
                stem, dot, extension = rel.removeprefix(f"{directory}/").rpartition(".")
                proposal = f"{slugify(stem or extension) or fallback}{dot}{extension.lower() if stem else ''}"
                found.out(rel).error(1, f"{kinds}: rename it '{directory}/{proposal}'")
            if asset is None:
                refused.add(rel)
            else:
                usable[rel] = asset
    return UsableImages(usable, refused)


def _module_directories(found: _Files) -> dict[str, dict[str, str]]:
    """'NN-slug' directory -> file name -> relative path."""
    modules: dict[str, dict[str, str]] = {}
    for rel in sorted(found.files):
        parts = PurePosixPath(rel).parts
        if len(parts) == 1 or parts[0] == IMAGES_DIR:
            continue  # course.md, glossary.md and notes beside them; pictures
        if len(parts) > 2 or not NUMBERED.fullmatch(parts[0]):
            if rel.endswith(".md"):
                hint = "" if len(parts) > 2 else f": rename the directory '{numbered_name(parts[0])}'"
                found.out(rel).error(1, f"not in a 'NN-module-slug/' directory{hint}")
            continue
        modules.setdefault(parts[0], {})[parts[1]] = rel
    return modules


def _parse_module(directory: str, entries: dict[str, str], course: CourseSource, found: _Files) -> ModuleSource:
    """One 'NN-slug/' directory: module.md, numbered lessons, an optional quiz.md."""
    numbered = NUMBERED.fullmatch(directory)
    assert numbered is not None  # _module_directories keeps only 'NN-slug' directories
    slug = numbered.group(2)
    module = ModuleSource(slug=slug, title="", summary="")
    _module_meta(module, directory, entries, found)
    lesson_names = [n for n in sorted(entries) if n.endswith(".md") and n not in ("module.md", "quiz.md")]
    for name in lesson_names:
        match = NUMBERED.fullmatch(name.removesuffix(".md"))
        if not match:
            proposal = numbered_name(name, suffix=".md")
            message = f"lesson file must be named 'NN-lesson-slug.md': rename it '{proposal}'"
            found.out(entries[name]).error(1, message)
            continue
        text = found.text(entries[name])
        out = found.out(entries[name])
        lesson = parse_lesson(match.group(2), text, out, images=course.images) if text is not None else None
        if lesson:
            module.lessons.append(lesson)
    if not any(NUMBERED.fullmatch(name.removesuffix(".md")) for name in lesson_names):
        found.out(f"{directory}/module.md").error(1, "the module has no lessons")
    if "quiz.md" in entries:
        text = found.text(entries["quiz.md"])
        if text is not None:
            module.quiz = parse_quiz(slug, text, course.pass_ratio, found.out(entries["quiz.md"]), course.review)
    return module


def _module_meta(module: ModuleSource, directory: str, entries: dict[str, str], found: _Files) -> None:
    if "module.md" not in entries:
        found.out(f"{directory}/module.md").error(1, "missing module.md")
        return
    text = found.text(entries["module.md"])
    out = found.out(entries["module.md"])
    front = read_front_matter("module", text, out) if text else None
    if front is not None:
        module.title = text_field(front, "title", out, required=True)
        module.summary = text_field(front, "summary", out, required=False)


def _check_unique_slugs(course: CourseSource, modules: dict[str, dict[str, str]], found: _Files) -> None:
    module_dirs: dict[str, str] = {}
    lesson_files: dict[str, str] = {}
    for directory, module in zip(sorted(modules), course.modules, strict=True):
        if module.slug in module_dirs:
            message = f"module slug '{module.slug}' is used twice (also {module_dirs[module.slug]})"
            found.out(f"{directory}/module.md").error(1, message)
        module_dirs.setdefault(module.slug, directory)
        for lesson in module.lessons:
            assert lesson.origin is not None  # a lesson parsed from a file always records it
            rel = lesson.origin.file.removeprefix(f"{found.course_path}/")
            if lesson.slug in lesson_files:
                also = f"{found.course_path}/{lesson_files[lesson.slug]}"
                found.out(rel).error(1, f"lesson slug '{lesson.slug}' is used twice in this course (also {also})")
            lesson_files.setdefault(lesson.slug, rel)


def _check_unused_images(course: CourseSource, found: _Files) -> None:
    used = {path for _, lesson in course.lessons() for path in lesson.images}
    for path in sorted(set(course.images) - used):
        found.out(path).warning(1, "picture is not used by any lesson")
