"""CSV for Excel: UTF-8 with a byte-order mark (so Vietnamese shows correctly), a header row, CRLF."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV bytes; None becomes an empty cell (a withheld figure)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8")


def attachment(filename: str) -> str:
    """A Content-Disposition header safe whatever the name holds: an ASCII fallback and RFC 6266 filename*."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "download.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
