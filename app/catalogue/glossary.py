"""A course's glossary.md: one '## Term' heading per term, then one short plain paragraph."""

from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.catalogue.frontmatter import read_front_matter
from app.catalogue.parsed import GlossaryTerm, nfc
from app.catalogue.problems import FileProblems

MAX_WORDS = 60
MAX_TERM_CHARS = 100
ADVISED_WORDS = 40
NOT_SLUG = re.compile(r"[^a-z0-9]+", re.ASCII)

_md = MarkdownIt("commonmark")


def term_id(term: str) -> str:
    """A stable ASCII id for a term: 'Đường link' -> 'duong-link'."""
    folded = unicodedata.normalize("NFD", term.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(char for char in folded if not unicodedata.combining(char)).lower()
    return NOT_SLUG.sub("-", ascii_text).strip("-")


def parse_glossary(text: str, out: FileProblems) -> list[GlossaryTerm]:
    """Every term with its explanation; duplicates, empty or long explanations are problems."""
    front = read_front_matter("glossary", text, out)
    if front is None:
        return []
    tokens = _md.parse(front.body)
    terms: list[GlossaryTerm] = []
    seen: dict[str, int] = {}

    def line(token: Token) -> int:
        return (token.map[0] if token.map else 0) + front.body_offset + 1

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not (token.type == "heading_open" and token.tag == "h2"):
            out.error(line(token), "unexpected text: the glossary is '## Term' headings, each with one paragraph")
            i = _after_block(tokens, i)
            continue
        end = next((j for j in range(i + 3, len(tokens)) if tokens[j].type == "heading_open"), len(tokens))
        term = _term(tokens[i + 1].content, tokens[i + 3 : end], line(token), out)
        if term is not None:
            _add(term, terms, seen, line(token), out)
        i = end
    return terms


def _term(heading: str, blocks: list[Token], line: int, out: FileProblems) -> GlossaryTerm | None:
    """The term of one heading from the blocks under it (paragraphs only)."""
    term = nfc(heading).strip()
    if not term or not term_id(term) or len(term) > MAX_TERM_CHARS:
        out.error(line, f"a glossary heading needs a term of 1 to {MAX_TERM_CHARS} characters")
        return None
    if any(t.type not in ("paragraph_open", "inline", "paragraph_close") for t in blocks):
        out.error(line, f"'{term}': the explanation must be one plain paragraph")
        return None
    paragraphs = [" ".join(t.content.split()) for t in blocks if t.type == "inline"]
    explanation = nfc(" ".join(paragraphs)).strip()
    if not explanation:
        out.error(line, f"'{term}' has no explanation")
        return None
    if len(paragraphs) > 1:
        out.error(line, f"'{term}': the explanation must be one paragraph")
    words = len(explanation.split())
    if words > MAX_WORDS:
        out.error(line, f"'{term}': explanation of {words} words (at most {MAX_WORDS})")
    elif words > ADVISED_WORDS:
        out.warning(line, f"'{term}': explanation of {words} words (keep it to {ADVISED_WORDS})")
    return GlossaryTerm(id=term_id(term), term=term, explanation=explanation)


def _add(term: GlossaryTerm, terms: list[GlossaryTerm], seen: dict[str, int], line: int, out: FileProblems) -> None:
    if term.id in seen:
        out.error(line, f"term '{term.term}' is defined twice (first on line {seen[term.id]})")
        return
    seen[term.id] = line
    terms.append(term)


def _after_block(tokens: list[Token], i: int) -> int:
    level = tokens[i].level
    if tokens[i].nesting != 1:
        return i + 1
    i += 1
    while not (tokens[i].nesting == -1 and tokens[i].level == level):
        i += 1
    return i + 1
