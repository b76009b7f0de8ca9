"""Pure parser and validator for the Markdown content format of PRODUCT.md.

Input is file contents (bytes) keyed by path; output is parsed sources plus every problem found,
each with a file and a line, so authors can fix all of them in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from markdown_it import MarkdownIt

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
COURSE_DIR = re.compile(rf"^{SLUG}$")
NUMBERED = re.compile(rf"^(\d{{2}})-({SLUG})$")
QUESTION_ID = re.compile(r"\s*\{#([A-Za-z0-9][A-Za-z0-9_-]{0,63})\}\s*$")
TASK_ITEM = re.compile(r"^\[( |x|X)\]\s+(\S.*)$", re.DOTALL)
DEFAULT_PASS_RATIO = 0.8
MAX_OPTIONS = 26
MAX_TITLE = 300

KEYS = {
    "course": {"title", "summary", "sequential", "pass_ratio"},
    "module": {"title", "summary"},
    "lesson": {"title", "minutes"},
    "quiz": {"title", "pass_ratio"},
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Option:
    id: str
    text: str
    correct: bool


@dataclass
class Question:
    id: str
    text: str
    options: list[Option]
    explanation: str | None = None

    @property
    def multiple(self) -> bool:
        return sum(option.correct for option in self.options) > 1


@dataclass
class QuizSource:
    slug: str
    title: str
    pass_ratio: float
    questions: list[Question]

    def content_hash(self) -> str:
        return digest(asdict(self))


@dataclass
class LessonSource:
    slug: str
    title: str
    minutes: int | None
    body: str


@dataclass
class ModuleSource:
    slug: str
    title: str
    summary: str
    lessons: list[LessonSource] = field(default_factory=list)
    quiz: QuizSource | None = None


@dataclass
class CourseSource:
    slug: str
    title: str
    summary: str
    sequential: bool
    pass_ratio: float
    modules: list[ModuleSource] = field(default_factory=list)

    def content_hash(self) -> str:
        return digest(asdict(self))

    def lessons(self) -> list[tuple[ModuleSource, LessonSource]]:
        return [(module, lesson) for module in self.modules for lesson in module.lessons]


def digest(value: object) -> str:
    """SHA-256 of a canonical JSON form: equal content gives an equal hash."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class _Collector:
    """Collects problems for one file with the line numbers of the original text."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))


def decode(path: str, data: bytes, problems: list[Problem]) -> str | None:
    """UTF-8 text in NFC without a byte-order mark, or None (with a problem) if not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(path, line, "file is not valid UTF-8; save it as UTF-8"))
        return None
    return nfc(text.removeprefix("\ufeff").replace("\r\n", "\n"))


def split_front_matter(text: str, out: _Collector) -> tuple[dict, dict[str, int], str, int] | None:
    """(metadata, line of each key, body, line offset of body) or None if there is no front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        out.add(1, "missing front matter: the file must start with a '---' line")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        out.add(1, "front matter is not closed by a '---' line")
        return None
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        out.add(line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, dict):
        out.add(2, "front matter must be a mapping of 'key: value' lines")
        return None
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    body = "\n".join(lines[end + 1 :])
    return data, key_lines, body, end + 1


def _text(meta: dict, key: str, lines: dict[str, int], out: _Collector, *, required: bool) -> str:
    value = meta.get(key)
    if value is None:
        if required:
            out.add(1, f"front matter needs a '{key}'")
        return ""
    if not isinstance(value, str) or not value.strip():
        out.add(lines.get(key, 1), f"'{key}' must be non-empty text")
        return ""
    if key == "title" and len(value) > MAX_TITLE:
        out.add(lines.get(key, 1), f"'title' is longer than {MAX_TITLE} characters")
    return nfc(value.strip())


def _pass_ratio(meta: dict, lines: dict[str, int], out: _Collector) -> float | None:
    if "pass_ratio" not in meta:
        return None
    value = meta["pass_ratio"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        out.add(lines.get("pass_ratio", 1), "'pass_ratio' must be a number greater than 0 and at most 1")
        return None
    return float(value)


def _front_matter(kind: str, text: str, out: _Collector):
    parsed = split_front_matter(text, out)
    if parsed is None:
        return None
    meta, lines, body, offset = parsed
    for key in meta:
        if key not in KEYS[kind]:
            allowed = ", ".join(sorted(KEYS[kind]))
            out.add(lines.get(str(key), 1), f"unknown front-matter key '{key}' (allowed here: {allowed})")
    return meta, lines, body, offset


def parse_lesson(slug: str, text: str, out: _Collector) -> LessonSource | None:
    parsed = _front_matter("lesson", text, out)
    if parsed is None:
        return None
    meta, lines, body, offset = parsed
    title = _text(meta, "title", lines, out, required=True)
    minutes = meta.get("minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= 600):
        out.add(lines.get("minutes", 1), "'minutes' must be a whole number from 1 to 600")
        minutes = None
    if not body.strip():
        out.add(offset + 1, "the lesson has no body")
    return LessonSource(slug=slug, title=title, minutes=minutes, body=body.strip() + "\n")


_quiz_md = MarkdownIt("commonmark")


def _inline_text(tokens, start: int, stop_type: str) -> tuple[str, int]:
    """Join the inline contents from start until the closing token; returns (text, index after)."""
    parts, i = [], start
    while tokens[i].type != stop_type:
        if tokens[i].type == "inline":
            parts.append(tokens[i].content.strip())
        i += 1
    return "\n\n".join(part for part in parts if part), i + 1


def parse_quiz_body(body: str, offset: int, out: _Collector) -> list[Question]:
    """Questions from a quiz body: level-2 headings, task-list options, blockquote explanation."""
    tokens = _quiz_md.parse(body)
    questions: list[Question] = []
    seen_ids: dict[str, int] = {}
    current: Question | None = None
    current_line = 0
    state = "none"  # none -> heading -> options -> explanation

    def line_of(token) -> int:
        return (token.map[0] if token.map else 0) + offset + 1

    def finish() -> None:
        if current is None:
            return
        if not current.options:
            out.add(current_line, f"question '{current.id}' has no options (a task list '- [ ]' / '- [x]')")
        elif len(current.options) < 2:
            out.add(current_line, f"question '{current.id}' needs at least two options")
        elif not any(option.correct for option in current.options):
            out.add(current_line, f"question '{current.id}' has no ticked (correct) option '- [x]'")

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open" and token.tag == "h2":
            finish()
            raw = tokens[i + 1].content.strip()
            match = QUESTION_ID.search(raw)
            qid = match.group(1) if match else f"q{len(questions) + 1}"
            text = nfc(raw[: match.start()].strip() if match else raw)
            current_line = line_of(token)
            if not text:
                out.add(current_line, "question heading has no text")
            if qid in seen_ids:
                out.add(current_line, f"question id '{qid}' is used twice (first on line {seen_ids[qid]})")
            seen_ids[qid] = current_line
            current = Question(id=qid, text=text, options=[])
            questions.append(current)
            state = "heading"
            i += 3
        elif token.type == "bullet_list_open" and current is not None and state == "heading":
            i = _parse_options(tokens, i, current, out, line_of)
            state = "options"
        elif token.type == "blockquote_open" and current is not None and state == "options":
            text, i = _inline_text(tokens, i, "blockquote_close")
            current.explanation = nfc(text) or None
            state = "explanation"
        else:
            where = "before the first question" if current is None else f"in question '{current.id}'"
            what = {
                "heading_open": "a heading that is not level 2 ('## ')",
                "ordered_list_open": "a numbered list (options must be a task list '- [ ]')",
                "bullet_list_open": "a second option list",
                "blockquote_open": "an explanation before the options",
            }.get(token.type, "text that is not part of a question")
            out.add(line_of(token), f"unexpected {what} {where}")
            i = _skip_block(tokens, i)
    finish()
    return questions


def _skip_block(tokens, i: int) -> int:
    """Index after the block that starts at i."""
    level = tokens[i].level
    if tokens[i].nesting != 1:
        return i + 1
    i += 1
    while not (tokens[i].nesting == -1 and tokens[i].level == level):
        i += 1
    return i + 1


def _parse_options(tokens, i: int, question: Question, out: _Collector, line_of) -> int:
    level = tokens[i].level
    i += 1
    while not (tokens[i].type == "bullet_list_close" and tokens[i].level == level):
        token = tokens[i]
        if token.type == "list_item_open" and token.level == level + 1:
            text, after = _inline_text(tokens, i, "list_item_close")
            match = TASK_ITEM.match(text)
            if not match:
                out.add(line_of(token), f"option of question '{question.id}' must start with '[ ]' or '[x]'")
            elif len(question.options) >= MAX_OPTIONS:
                out.add(line_of(token), f"question '{question.id}' has more than {MAX_OPTIONS} options")
            else:
                option_id = chr(ord("a") + len(question.options))
                correct = match.group(1) in "xX"
                question.options.append(Option(option_id, nfc(match.group(2).strip()), correct))
            i = after
        else:
            i += 1
    return i + 1


def parse_quiz(slug: str, text: str, default_ratio: float, out: _Collector) -> QuizSource | None:
    parsed = _front_matter("quiz", text, out)
    if parsed is None:
        return None
    meta, lines, body, offset = parsed
    title = _text(meta, "title", lines, out, required=True)
    ratio = _pass_ratio(meta, lines, out)
    questions = parse_quiz_body(body, offset, out)
    if not questions:
        out.add(offset + 1, "the quiz has no questions (each question is a '## ' heading)")
    return QuizSource(slug=slug, title=title, pass_ratio=ratio or default_ratio, questions=questions)


def parse_course(root: str, slug: str, files: Mapping[str, bytes]) -> tuple[CourseSource | None, list[Problem]]:
    """Parse one course from its files (paths relative to the course directory, '/'-separated)."""
    problems: list[Problem] = []
    course_path = f"{root}/{slug}" if root else slug

    def collector(rel: str) -> _Collector:
        return _Collector(f"{course_path}/{rel}", problems)

    def text_of(rel: str) -> str | None:
        return decode(f"{course_path}/{rel}", files[rel], problems)

    if not COURSE_DIR.match(slug):
        problems.append(Problem(course_path, 1, "course directory must be a slug: lowercase a-z, 0-9, '-'"))
    if "course.md" not in files:
        problems.append(Problem(f"{course_path}/course.md", 1, "missing course.md"))
        return None, problems
    course_text = text_of("course.md")
    course_meta = _front_matter("course", course_text, collector("course.md")) if course_text else None
    course = CourseSource(slug=slug, title="", summary="", sequential=False, pass_ratio=DEFAULT_PASS_RATIO)
    if course_meta:
        meta, lines, _body, _ = course_meta
        out = collector("course.md")
        course.title = _text(meta, "title", lines, out, required=True)
        course.summary = _text(meta, "summary", lines, out, required=True)
        sequential = meta.get("sequential", False)
        if not isinstance(sequential, bool):
            out.add(lines.get("sequential", 1), "'sequential' must be true or false")
        course.sequential = sequential is True
        course.pass_ratio = _pass_ratio(meta, lines, out) or DEFAULT_PASS_RATIO

    modules: dict[str, dict[str, str]] = {}
    for rel in sorted(files):
        parts = PurePosixPath(rel).parts
        if len(parts) == 1:
            continue  # course.md and any notes beside it
        if len(parts) > 2 or not NUMBERED.match(parts[0]):
            if rel.endswith(".md"):
                problems.append(Problem(f"{course_path}/{rel}", 1, "not in a 'NN-module-slug/' directory"))
            continue
        modules.setdefault(parts[0], {})[parts[1]] = rel

    module_slugs: dict[str, str] = {}
    lesson_files: dict[str, str] = {}
    for directory in sorted(modules):
        module, paths = _parse_module(directory, modules[directory], course, collector, text_of, problems)
        if module.slug in module_slugs:
            problems.append(
                Problem(
                    f"{course_path}/{directory}/module.md",
                    1,
                    f"module slug '{module.slug}' is used twice (also {module_slugs[module.slug]})",
                )
            )
        module_slugs[module.slug] = directory
        for lesson in module.lessons:
            rel = paths[lesson.slug]
            if lesson.slug in lesson_files:
                problems.append(
                    Problem(
                        f"{course_path}/{rel}",
                        1,
                        f"lesson slug '{lesson.slug}' is used twice in this course "
                        f"(also {course_path}/{lesson_files[lesson.slug]})",
                    )
                )
            lesson_files[lesson.slug] = rel
        course.modules.append(module)
    if not modules:
        problems.append(Problem(f"{course_path}/course.md", 1, "the course has no modules ('NN-slug/' directories)"))
    return (None if problems else course), problems


def _parse_module(directory, entries, course, collector, text_of, problems):
    """(module, lesson slug -> file path) for one 'NN-slug/' directory."""
    paths: dict[str, str] = {}
    slug = NUMBERED.match(directory).group(2)
    module = ModuleSource(slug=slug, title="", summary="")
    if "module.md" not in entries:
        problems.append(Problem(collector(f"{directory}/module.md").path, 1, "missing module.md"))
    else:
        text = text_of(entries["module.md"])
        parsed = _front_matter("module", text, collector(entries["module.md"])) if text else None
        if parsed:
            meta, lines, _body, _ = parsed
            out = collector(entries["module.md"])
            module.title = _text(meta, "title", lines, out, required=True)
            module.summary = _text(meta, "summary", lines, out, required=False)
    for name in sorted(entries):
        rel = entries[name]
        if name in ("module.md", "quiz.md") or not name.endswith(".md"):
            continue
        match = NUMBERED.match(name.removesuffix(".md"))
        if not match:
            problems.append(Problem(collector(rel).path, 1, "lesson file must be named 'NN-lesson-slug.md'"))
            continue
        text = text_of(rel)
        lesson = parse_lesson(match.group(2), text, collector(rel)) if text is not None else None
        if lesson:
            module.lessons.append(lesson)
            paths.setdefault(lesson.slug, rel)
    if not any(NUMBERED.match(n.removesuffix(".md")) for n in entries if n.endswith(".md")):
        problems.append(Problem(collector(f"{directory}/module.md").path, 1, "the module has no lessons"))
    if "quiz.md" in entries:
        text = text_of(entries["quiz.md"])
        if text is not None:
            module.quiz = parse_quiz(slug, text, course.pass_ratio, collector(entries["quiz.md"]))
    return module, paths


def read_course_files(course_dir: Path) -> dict[str, bytes]:
    """Every file of a course directory, keyed by its '/'-separated relative path."""
    return {
        path.relative_to(course_dir).as_posix(): path.read_bytes()
        for path in sorted(course_dir.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(course_dir).parts)
    }


def parse_content(root: Path) -> tuple[list[CourseSource], list[Problem]]:
    """Parse every course directory below root; top-level files (a README) are ignored."""
    if not root.is_dir():
        return [], [Problem(str(root), 1, "content directory does not exist")]
    courses, problems = [], []
    for course_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        course, found = parse_course(str(root), course_dir.name, read_course_files(course_dir))
        problems.extend(found)
        if course:
            courses.append(course)
    if not courses and not problems:
        problems.append(Problem(str(root), 1, "no course directories found"))
    return courses, problems
