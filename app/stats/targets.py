"""Parsing the adult-population CSV (`code,adults`) that admins upload: pure, every problem with its line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.localities.official import COMMUNES, PROVINCES

HEADER = ("code", "adults")
MAX_ADULTS = 1_000_000_000


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def _check_code(code: str) -> str | None:
    if not code.isdigit():
        return f"code '{code}' is not a locality code (digits only)"
    if len(code) not in (2, 5):
        return (
            f"code '{code}' must have 2 digits (province) or 5 digits (commune), leading zeros kept; "
            "in Excel, format the column as Text"
        )
    if len(code) == 2 and code not in PROVINCES:
        return (
            f"code '{code}' is not an official province code; commune codes have 5 digits with leading zeros "
            "(in Excel, format the column as Text)"
        )
    if len(code) == 5 and code not in COMMUNES:
        return f"code '{code}' is not an official commune code"
    return None


def _check_adults(text: str) -> tuple[int | None, str | None]:
    try:
        adults = int(text)
    except ValueError:
        return None, f"adults '{text}' must be a whole number"
    if adults < 0:
        return None, f"adults {adults} must not be negative"
    if adults > MAX_ADULTS:
        return None, f"adults {adults} is not plausible (more than {MAX_ADULTS:,})"
    return adults, None


def parse_targets(text: str) -> tuple[dict[str, int], list[Problem]]:
    """{code: adults} from CSV text with the header `code,adults` (',' or ';' separated), and its problems."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return {}, [Problem(1, "the file is empty; expected the header 'code,adults' and one row per locality")]
    delimiter = ";" if ";" in lines[first] and "," not in lines[first] else ","
    rows = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    targets: dict[str, int] = {}
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for number, fields in enumerate(rows, start=1):
        fields = [field.strip() for field in fields]
        if not any(fields):
            continue
        if number == first + 1:
            if tuple(field.lower() for field in fields) != HEADER:
                return {}, [Problem(number, f"the header must be 'code,adults', not '{delimiter.join(fields)}'")]
            continue
        if len(fields) != 2:
            problems.append(Problem(number, f"expected 2 fields (code,adults), found {len(fields)}"))
            continue
        code, adults_text = fields
        message = _check_code(code)
        adults, adults_message = _check_adults(adults_text)
        if message is None and code in seen:
            message = f"code '{code}' already given on line {seen[code]}"
        for problem in (message, adults_message):
            if problem:
                problems.append(Problem(number, problem))
        if message is None and adults is not None:  # adults is None exactly when adults_message says why
            seen[code] = number
            targets[code] = adults
    if not targets and not problems:
        problems.append(Problem(first + 1, "no rows after the header"))
    return targets, problems
