"""Lesson Markdown to sanitised HTML (CommonMark, tables, task lists), done once at import.

Pictures point at their content-hashed asset URLs and the first use of each glossary term is marked
with <dfn> so an app can explain it on tap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

from app.catalogue.parsed import GlossaryTerm

# Part of every course's content hash: bump it with any change to what render_lesson() returns (tags, attributes,
# glossary marking, the Markdown options), so the next import or start re-renders every course.
# tests/author/test_renderer_version.py fails when the output changes and this does not.
RENDERER_VERSION = "2026-12-06.1"
# (the version, the SHA-256 of tests/fixtures/renderer/lesson.md as rendered by it): bump the version and this with it.
RENDERER_GOLDEN = ("2026-12-06.1", "b1bffb29c2f77c67340dcf8508ef4e495c436f24154f4b4dbe9c1615e1dfcba5")

lesson_markdown = (
    MarkdownIt("commonmark", {"html": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .use(tasklists_plugin)
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "dfn", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "ol", "p", "pre",
    "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "input": {"type", "checked", "disabled"},
    "li": {"class"},
    "ul": {"class"},
    "td": {"align", "style"},
    "th": {"align", "style"},
    "code": {"class"},
    "ol": {"start"},
    "dfn": {"data-term", "title"},
}
ALLOWED_CLASSES = {"dfn": {"term"}}  # exactly <dfn class="term" data-term="..." title="...">
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_lesson(
    markdown: str, *, image_urls: Mapping[str, str] | None = None, glossary: Sequence[GlossaryTerm] = ()
) -> str:
    """Render lesson Markdown to sanitised HTML with pictures pointed at their assets and terms marked."""
    tokens = lesson_markdown.parse(markdown)
    if image_urls:
        _point_images(tokens, image_urls)
    if glossary:
        mark_terms(tokens, glossary)
    return sanitize(lesson_markdown.renderer.render(tokens, lesson_markdown.options, {}))


def sanitize(html: str) -> str:
    """Keep only allow-listed tags, attributes, classes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def _point_images(tokens: list[Token], image_urls: Mapping[str, str]) -> None:
    for token in tokens:
        for child in token.children or []:
            if child.type == "image" and child.attrs.get("src") in image_urls:
                child.attrSet("src", image_urls[str(child.attrs["src"])])


def term_pattern(glossary: Sequence[GlossaryTerm]) -> re.Pattern[str]:
    """Whole words, case-insensitive, any run of spaces inside a term; longer terms win."""
    terms = sorted(glossary, key=lambda term: len(term.term), reverse=True)
    words = [r"\s+".join(re.escape(word) for word in term.term.split()) for term in terms]
    return re.compile(r"(?<!\w)(" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


def mark_terms(tokens: list[Token], glossary: Sequence[GlossaryTerm]) -> None:
    """Wrap the first use of each term in <dfn>, outside headings, links and code."""
    pattern = term_pattern(glossary)
    by_key = {_key(term.term): term for term in glossary}
    marked: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type != "inline" or tokens[index - 1].type == "heading_open":
            continue
        token.children = _mark_children(token.children or [], pattern, by_key, marked)


def _mark_children(
    children: list[Token], pattern: re.Pattern[str], by_key: Mapping[str, GlossaryTerm], marked: set[str]
) -> list[Token]:
    result: list[Token] = []
    link_depth = 0
    for child in children:
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth -= 1
        if child.type == "text" and not link_depth:
            result.extend(_split_text(child.content, pattern, by_key, marked))
        else:
            result.append(child)
    return result


def _split_text(
    text: str, pattern: re.Pattern[str], by_key: Mapping[str, GlossaryTerm], marked: set[str]
) -> list[Token]:
    pieces: list[Token] = []
    start = 0
    for match in pattern.finditer(text):
        term = by_key.get(_key(match.group()))
        if term is None or term.id in marked:
            continue
        marked.add(term.id)
        pieces.append(_text(text[start : match.start()]))
        opening = f'<dfn class="term" data-term="{escape(term.id)}" title="{escape(term.explanation)}">'
        pieces += [_html(opening), _text(match.group()), _html("</dfn>")]
        start = match.end()
    pieces.append(_text(text[start:]))
    return [piece for piece in pieces if piece.content]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token
