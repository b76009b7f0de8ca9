"""YAML front matter: split it from the body and read typed fields, with the line of every key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from urllib.parse import urlsplit

import yaml

from app.catalogue.naming import did_you_mean
from app.catalogue.parsed import SourceRef, nfc
from app.catalogue.problems import FileProblems

Kind = Literal["course", "module", "lesson", "quiz", "glossary"]
KEYS: dict[Kind, set[str]] = {
    "course": {"title", "summary", "sequential", "pass_ratio", "review"},
    "module": {"title", "summary"},
    "lesson": {"title", "minutes", "sources", "reviewed", "audio"},
    "quiz": {"title", "pass_ratio", "ask", "review"},
    "glossary": {"title"},
}
MAX_TITLE = 300
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@dataclass(frozen=True)
class FrontMatter:
    meta: dict
    key_lines: dict[str, int]  # line (1-based, in the file) of each top-level key
    body: str
    body_offset: int  # lines before the body

    def line(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def split_front_matter(text: str, out: FileProblems) -> FrontMatter | None:
    """The front matter and body of a file, or None (with a problem) when there is no valid front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        out.error(1, "missing front matter: the file must start with a '---' line")
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        out.error(1, "front matter is not closed by a '---' line")
        return None
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        said = str(getattr(exc, "problem", None) or exc)
        message = f"front matter is not valid YAML: {plain_yaml_problem(said)} (YAML said: {said})"
        out.error((mark.line + 2) if mark else 1, message)
        return None
    if not isinstance(data, dict):
        out.error(2, "front matter must be a mapping of 'key: value' lines")
        return None
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        key_lines = {str(key.value): key.start_mark.line + 2 for key, _ in node.value}
    return FrontMatter(data, key_lines, "\n".join(lines[end + 1 :]), end + 1)


YAML_PROBLEMS = (  # what PyYAML says -> what to do, in plain words
    ("'\\t'", "a tab character: indent with spaces, never tabs"),
    ("mapping values are not allowed", "a second ':' on a line: put the value in double quotes"),
    ("could not find expected ':'", "a line without 'key: value': add the ':' or join it to the line above"),
    ("found unexpected end of stream", "a quote is not closed: end the value with the same quote"),
    ("while scanning a quoted scalar", "a quote is not closed: end the value with the same quote"),
    ("expected ',' or ']'", "a '[' is not closed: put the value in double quotes"),
    ("expected ',' or '}'", "a '{' is not closed: put the value in double quotes"),
    ("expected <block end>", "the indentation is uneven: line the keys up with the same number of spaces"),
    ("found character '@'", "a value starts with '@' or '`': put it in double quotes"),
    ("found character '`'", "a value starts with '@' or '`': put it in double quotes"),
    ("found duplicate anchor", "'&' or '*' at the start of a value: put it in double quotes"),
    ("found undefined alias", "'&' or '*' at the start of a value: put it in double quotes"),
)


def plain_yaml_problem(said: str) -> str:
    """A YAML parser's complaint, explained in plain words."""
    for fragment, plain in YAML_PROBLEMS:
        if fragment in said:
            return plain
    return "write each line as 'key: value', and put a value with ':', '#', quotes or brackets in double quotes"


def read_front_matter(kind: Kind, text: str, out: FileProblems) -> FrontMatter | None:
    """Split the front matter and report keys that this kind of file does not know."""
    front = split_front_matter(text, out)
    if front is None:
        return None
    for key in front.meta:
        if key not in KEYS[kind]:
            allowed = ", ".join(sorted(KEYS[kind]))
            guess = did_you_mean(str(key).lower(), KEYS[kind])
            hint = f"; did you mean '{guess}'?" if guess else ""
            out.error(front.line(str(key)), f"unknown front-matter key '{key}' (allowed here: {allowed}{hint})")
    return front


def text_field(front: FrontMatter, key: str, out: FileProblems, *, required: bool) -> str:
    value = front.meta.get(key)
    if value is None:
        if required:
            out.error(1, f"front matter needs a '{key}'")
        return ""
    if not isinstance(value, str) or not value.strip():
        out.error(front.line(key), f"'{key}' must be non-empty text")
        return ""
    if key == "title" and len(value) > MAX_TITLE:
        out.error(front.line(key), f"'title' is longer than {MAX_TITLE} characters")
    return nfc(value.strip())


def pass_ratio_field(front: FrontMatter, out: FileProblems) -> float | None:
    if "pass_ratio" not in front.meta:
        return None
    value = front.meta["pass_ratio"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        out.error(front.line("pass_ratio"), "'pass_ratio' must be a number greater than 0 and at most 1")
        return None
    return float(value)


REVIEW_POLICIES = ("hints", "full", "score")  # what an attempt's reply reveals before the quiz is passed


def review_field(front: FrontMatter, out: FileProblems) -> str | None:
    value = front.meta.get("review")
    if value is not None and value not in REVIEW_POLICIES:
        out.error(front.line("review"), f"'review' must be one of: {', '.join(REVIEW_POLICIES)}")
        return None
    return value


def ask_field(front: FrontMatter, out: FileProblems) -> int | None:
    value = front.meta.get("ask")
    if value is not None and (type(value) is not int or value < 1):
        out.error(front.line("ask"), "'ask' must be a whole number of questions, at least 1")
        return None
    return value


def flag_field(front: FrontMatter, key: str, out: FileProblems) -> bool:
    value = front.meta.get(key, False)
    if not isinstance(value, bool):
        out.error(front.line(key), f"'{key}' must be true or false")
    return value is True


def minutes_field(front: FrontMatter, out: FileProblems) -> int | None:
    minutes = front.meta.get("minutes")
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= 600:
        out.error(front.line("minutes"), "'minutes' must be a whole number from 1 to 600")
        return None
    return minutes


def sources_field(front: FrontMatter, out: FileProblems) -> list[SourceRef]:
    """The required, non-empty list of {title, url} (https) that the lesson's facts were checked against."""
    line = front.line("sources")
    value = front.meta.get("sources")
    if value is None:
        out.error(1, "front matter needs 'sources': a list of {title, url} pages the facts were checked against")
        return []
    if not isinstance(value, list) or not value:
        out.error(line, "'sources' must be a non-empty list of {title, url}")
        return []
    found = []
    for number, item in enumerate(value, start=1):
        source = _source_item(item, f"sources item {number}", line, out)
        if source is not None:
            found.append(source)
    return found


def _source_item(item: object, where: str, line: int, out: FileProblems) -> SourceRef | None:
    if not isinstance(item, dict) or set(item) != {"title", "url"}:
        out.error(line, f"{where} must have exactly 'title' and 'url'")
        return None
    title, url = item["title"], item["url"]
    if not isinstance(title, str) or not title.strip():
        out.error(line, f"{where}: 'title' must be non-empty text")
        return None
    if not isinstance(url, str) or not _is_https_url(url):
        out.error(line, f"{where}: 'url' must be an https:// address")
        return None
    return SourceRef(title=nfc(title.strip()), url=url.strip())


def _is_https_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in url.strip())


def reviewed_field(front: FrontMatter, out: FileProblems) -> date | None:
    """The ISO date (YYYY-MM-DD) on which the facts were last checked."""
    value = front.meta.get("reviewed")
    if value is None:
        out.error(1, "front matter needs 'reviewed': the date the facts were checked (YYYY-MM-DD)")
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    out.error(front.line("reviewed"), "'reviewed' must be a date written YYYY-MM-DD")
    return None
