"""The .xlsx download (XlsxWriter): the same rows as the CSV, codes as text, Vietnamese headers, and a sheet
that explains the columns, the margins and the method. Written in memory (tables are bounded)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

from app.stats.dictionary import Column

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATE_COLUMNS = {"completion_rate", "completion_rate_margin", "coverage_rate", "coverage_rate_margin"}


def to_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, title: str, method: dict) -> bytes:
    """A workbook: sheet 'Số liệu' (the rows; None = withheld, an empty cell) and sheet 'Giải thích'."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_urls": False})
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4"})
    text = book.add_format({"num_format": "@"})
    rate = book.add_format({"num_format": "0.00%"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    data = book.add_worksheet("Số liệu")
    for index, column in enumerate(columns):
        data.write_string(0, index, column.vi, head)
        data.set_column(index, index, 16 if column.type != "string" else 20)
    count = 0
    for count, values in enumerate(rows, start=1):
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            if value is None or value == "":
                continue
            if column.type in ("string", "date", "datetime"):
                data.write_string(count, index, str(value), text)
            elif column.name in RATE_COLUMNS:
                data.write_number(count, index, float(value), rate)
            else:
                data.write_number(count, index, float(value))
    data.freeze_panes(1, 0)
    data.autofilter(0, 0, max(count, 1), len(columns) - 1)
    notes = book.add_worksheet("Giải thích")
    notes.set_column(0, 0, 28)
    notes.set_column(1, 1, 100)
    guarantee = method.get("guarantee", {})
    lines = [
        ("Bảng", title),
        ("Ô để trống", "Số bị ẩn: quá nhỏ để công bố (dưới ngưỡng k), hoặc không áp dụng cho cấp này."),
        (
            "Nhiễu bảo vệ",
            "Mỗi số được cộng một lượng nhiễu ngẫu nhiên nhỏ để không ai suy ra được thông tin của một người học. "
            "Cột 'Sai số ±' cho biết: 95 trên 100 lần, số thật nằm trong khoảng số công bố ± sai số.",
        ),
        (
            "Cam kết riêng tư",
            f"Bảo mật vi sai cho từng người học trên toàn bộ chương trình: ε = {guarantee.get('epsilon', '')}, "
            f"δ = {guarantee.get('delta', '')} (rho zCDP = {guarantee.get('rho_zcdp', '')}).",
        ),
        ("Ngưỡng k", str(method.get("k", ""))),
        ("Phương pháp", str(method.get("method", ""))),
        ("", ""),
        ("Cột", "Ý nghĩa"),
    ]
    lines += [(column.vi, column.explained) for column in columns]
    for index, (name, meaning) in enumerate(lines):
        notes.write_string(index, 0, name, head if name in ("Cột", "Bảng") else wrap)
        notes.write_string(index, 1, meaning, wrap)
    book.close()
    return buffer.getvalue()
