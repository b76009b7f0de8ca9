"""Names an author can use: a slug proposed for a refused file or folder name, and "did you mean" (pure)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

NOT_SLUG = re.compile(r"[^a-z0-9]+", re.ASCII)
LEADING_NUMBER = re.compile(r"^\s*([0-9]+)[\s._-]*")


def slugify(text: str) -> str:
    """'Bài Một_mới' -> 'bai-mot-moi': no accents, lowercase, single hyphens."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(char for char in folded if not unicodedata.combining(char)).lower()
    return NOT_SLUG.sub("-", ascii_text).strip("-")


def numbered_name(name: str, *, suffix: str = "") -> str:
    """A proposal for a refused 'NN-slug' name: '1 Bài một.md' -> '01-bai-mot.md'."""
    stem = name.removesuffix(suffix) if suffix else name
    number = LEADING_NUMBER.match(stem)
    digits = number.group(1)[-2:].zfill(2) if number and int(number.group(1)) > 0 else "01"
    rest = slugify(stem[number.end() :] if number else stem) or "bai"
    return f"{digits}-{rest}{suffix}"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice, if one is close enough to be a typo."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None
