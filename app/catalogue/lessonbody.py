"""Lesson files: front matter, then the body rules (try-it-now section, pictures, plain sentences)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from markdown_it.token import Token

from app.catalogue.audio import AUDIO_PATH
from app.catalogue.frontmatter import (
    FrontMatter,
    minutes_field,
    read_front_matter,
    reviewed_field,
    sources_field,
    text_field,
)
from app.catalogue.naming import did_you_mean
from app.catalogue.parsed import LessonSource, Origin, nfc
from app.catalogue.problems import FileProblems
from app.catalogue.render import lesson_markdown

TRY_IT_HEADING = "làm thử ngay"
BASIS_PREFIX = "căn cứ"
MAX_SENTENCE_WORDS = 25
IMAGE_PATH = re.compile(r"images/[a-z0-9]+(?:[._-][a-z0-9]+)*\.(?:svg|png|jpe?g|webp)", re.ASCII)
SENTENCE_END = re.compile(r"[.!?…]+(?=[\s\"'”’)\]]|$)")
LEGAL_NUMBER = re.compile(r"(?<![\w/])[0-9]{1,4}/(?:[0-9]{4}/)?[A-ZĐ]{2,}[A-ZĐ0-9-]*")


@dataclass(frozen=True)
class InlineText:
    """Plain text of one paragraph-like block, with the file line it starts on."""

    text: str
    line: int


def parse_lesson(slug: str, text: str, out: FileProblems, *, images: Collection[str]) -> LessonSource | None:
    """A lesson from its file text; images holds the course-relative paths of the course's usable images."""
    front = read_front_matter("lesson", text, out)
    if front is None:
        return None
    lesson = LessonSource(
        slug=slug,
        title=text_field(front, "title", out, required=True),
        minutes=minutes_field(front, out),
        body=front.body.strip() + "\n",
        sources=sources_field(front, out),
        reviewed=reviewed_field(front, out),
        origin=Origin(out.path, front.line("reviewed")),
    )
    if not front.body.strip():
        out.error(front.body_offset + 1, "the lesson has no body")
        return lesson
    tokens = lesson_markdown.parse(front.body)
    offset = front.body_offset
    check_try_it_now(tokens, offset, out)
    lesson.images = check_images(tokens, offset, out, images=images)
    lesson.audio = check_recording(front, out, images=images)
    if lesson.audio is not None:
        lesson.images.append(lesson.audio)  # stored, served and downloaded with the lesson's pictures
    for block in prose_blocks(tokens, offset):
        check_sentences(block, out)
        check_legal_numbers(block, out)
    return lesson


def _line(token: Token, offset: int) -> int:
    return (token.map[0] if token.map else 0) + offset + 1


def check_try_it_now(tokens: list[Token], offset: int, out: FileProblems) -> None:
    """Every lesson ends with a '## Làm thử ngay' section (a 'Căn cứ' note may follow it)."""
    headings = [
        (i, _line(tokens[i], offset)) for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"
    ]
    found = [(i, line) for i, line in headings if nfc(tokens[i + 1].content).strip().casefold() == TRY_IT_HEADING]
    if not found:
        out.error(offset + 1, "the lesson needs a '## Làm thử ngay' section: one thing to do now on one's own phone")
        return
    index, line = found[-1]
    if headings[-1][0] != index:
        out.warning(line, "'## Làm thử ngay' should be the last section of the lesson")
    following = tokens[index + 3 :]
    stop = next((i for i, t in enumerate(following) if t.type == "heading_open" and t.tag == "h2"), len(following))
    if not any(t.type == "inline" and t.content.strip() and not _is_basis(t) for t in following[:stop]):
        out.error(line, "the '## Làm thử ngay' section is empty")


def _is_basis(inline: Token) -> bool:
    return inline.content.lstrip("*_ ").casefold().startswith(BASIS_PREFIX)


def check_images(tokens: list[Token], offset: int, out: FileProblems, *, images: Collection[str]) -> list[str]:
    """Every picture has alt text and is a file of this course's images/ directory; returns the paths used."""
    used: list[str] = []
    for image, line in _images(tokens, offset):
        src = image.attrs.get("src", "")
        alt = nfc("".join(child.content for child in image.children or [])).strip()
        if not alt:
            out.error(line, f"picture '{src}' needs alt text (in Vietnamese): ![what the picture shows]({src})")
        if not IMAGE_PATH.fullmatch(str(src)):
            out.error(line, f"picture '{src}' must be a file of this course's images/ directory: images/name.svg")
        elif src not in images:
            out.error(line, _unusable_picture(str(src), images))
        elif src not in used:
            used.append(str(src))
    return used


def check_recording(front: FrontMatter, out: FileProblems, *, images: Collection[str]) -> str | None:
    """The lesson's `audio:` (a recorded narration): a usable file of this course's audio/ directory, or None."""
    value = front.meta.get("audio")
    if value is None:
        return None
    line = front.line("audio")
    if not isinstance(value, str) or not AUDIO_PATH.fullmatch(value):
        out.error(line, "'audio' must name a file of this course's audio/ directory: audio/name.mp3 or .opus")
        return None
    if value not in images:
        refused = isinstance(images, UsableImages) and value in images.refused
        recordings = [path for path in images if path.startswith("audio/")]
        guess = did_you_mean(value, recordings)
        hint = f"; did you mean '{guess}'?" if guess else ""
        reason = "was refused (see its own message)" if refused else "was not found"
        out.error(line, f"recording '{value}' {reason} in this course's audio/ directory{hint}")
        return None
    return value


def _unusable_picture(src: str, images: Collection[str]) -> str:
    """Why a picture cannot be shown: its file is missing (with the closest name), or was itself refused."""
    message = f"picture '{src}' is not a usable file in this course's images/ directory"
    if isinstance(images, UsableImages) and src in images.refused:
        return f"{message}: the file was refused (see its own problem)"
    guess = did_you_mean(src, images)
    return f"{message}: not found" + (f"; did you mean '{guess}'?" if guess else "")


class UsableImages(dict):
    """The course's usable pictures (path -> asset), and the paths of picture files that were refused."""

    def __init__(self, usable: dict, refused: set[str]) -> None:
        super().__init__(usable)
        self.refused = refused


def _images(tokens: list[Token], offset: int) -> Iterator[tuple[Token, int]]:
    for token in tokens:
        if token.type != "inline":
            continue
        line = _line(token, offset)
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                yield child, line


def prose_blocks(tokens: list[Token], offset: int) -> Iterator[InlineText]:
    """Paragraphs and list items as plain text: not headings, code, tables, nor the final 'Căn cứ' note."""
    skip_depth = 0
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open" and _starts_basis(tokens, index):
            skip_depth += 1
        elif token.type == "blockquote_close" and skip_depth:
            skip_depth -= 1
        elif token.type == "inline" and not skip_depth and tokens[index - 1].type == "paragraph_open":
            yield InlineText(_plain(token), _line(token, offset))


def _starts_basis(tokens: list[Token], index: int) -> bool:
    following = next((t for t in tokens[index + 1 :] if t.type == "inline"), None)
    return following is not None and _is_basis(following)


def _plain(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return nfc("".join(parts))


def check_sentences(block: InlineText, out: FileProblems) -> None:
    """A warning for each sentence of more than MAX_SENTENCE_WORDS syllables (space-separated words)."""
    start = 0
    ends = [match.end() for match in SENTENCE_END.finditer(block.text)] + [len(block.text)]
    for end in ends:
        sentence = block.text[start:end]
        words = [word for word in sentence.split() if any(char.isalnum() for char in word)]
        if len(words) > MAX_SENTENCE_WORDS:
            lead = len(sentence) - len(sentence.lstrip())
            line = block.line + block.text[: start + lead].count("\n")
            out.warning(line, f"sentence of {len(words)} syllables (over {MAX_SENTENCE_WORDS}): split it")
        start = end


def check_legal_numbers(block: InlineText, out: FileProblems) -> None:
    """Legal document numbers belong in the final 'Căn cứ' note, not in the lesson text."""
    for match in LEGAL_NUMBER.finditer(block.text):
        line = block.line + block.text[: match.start()].count("\n")
        out.warning(line, f"legal document number '{match.group()}' in the lesson text: move it to '> **Căn cứ:** ...'")
