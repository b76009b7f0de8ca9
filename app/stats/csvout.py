"""CSV for Excel: UTF-8 with a byte-order mark (so Vietnamese shows correctly), a header row, CRLF."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

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
    return f'attachment; filename="{filename}"'
