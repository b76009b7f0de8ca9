"""The verification page a person sees when they scan a certificate's QR code or open its link.

The same URL answers JSON to API clients; a browser (Accept prefers text/html) gets this page: server
rendered, Vietnamese, no script, dates as dd/mm/yyyy in Vietnam time, nothing about the person.
"""

from __future__ import annotations

from datetime import date
from html import escape

from app.certificates.schemas import Verification

STYLE = (
    "body{font-family:system-ui,'Noto Sans',sans-serif;font-size:1.15rem;line-height:1.55;margin:0;"
    "padding:1rem;max-width:36rem;color:#1c1b1f;background:#fff}"
    "h1{font-size:1.5rem}.ok{color:#1b5e20;font-weight:700}.bad{color:#8c1d18;font-weight:700}"
    "dt{font-weight:700;margin-top:.5rem}dd{margin:0}"
)
# No script at all, styles only from this page, never framed by another site.
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def wants_html(accept: str | None) -> bool:
    """Whether the client prefers an HTML page to JSON (a browser does; httpx, curl and apps do not)."""
    html_q = json_q = 0.0
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media == "text/html":
            html_q = max(html_q, q)
        elif media in ("application/json", "*/*", "application/*"):
            json_q = max(json_q, q)
    return html_q > json_q


def vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Bình dân học vụ số</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def verification_page(verification: Verification) -> str:
    if verification.valid:
        verdict = '<p class="ok">Chứng nhận hợp lệ.</p>'
    else:
        revoked = f" ngày {vn_date(verification.revoked_on)}" if verification.revoked_on else ""
        verdict = f'<p class="bad">Chứng nhận đã bị thu hồi{revoked}.</p>'
    details = (
        f"<dl><dt>Khóa học</dt><dd>{escape(verification.course_title)}</dd>"
        f"<dt>Ngày cấp</dt><dd>{vn_date(verification.issued_on)}</dd>"
        f"<dt>Mã chứng nhận</dt><dd>{escape(verification.code)}</dd></dl>"
        "<p>Chứng nhận do hệ thống Bình dân học vụ số cấp khi người học hoàn thành khóa học và đạt các bài "
        "kiểm tra. Trang này không hiển thị thông tin cá nhân của người học.</p>"
    )
    return _page("Kiểm tra chứng nhận", verdict + details)


def not_found_page(code: str) -> str:
    return _page(
        "Kiểm tra chứng nhận",
        f'<p class="bad">Không có chứng nhận nào mang mã {escape(code)}.</p>'
        "<p>Hãy kiểm tra lại mã trên giấy chứng nhận, hoặc quét lại mã QR.</p>",
    )
