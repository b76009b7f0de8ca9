"""A change to what the lesson renderer returns must come with a RENDERER_VERSION bump, or courses already imported
keep their old HTML (rendered HTML is kept per content hash, and the renderer's version is part of that hash).

The fixture lesson (tests/fixtures/renderer/lesson.md) uses everything the renderer does: emphasis, links of
allowed and refused schemes, hand-written HTML, lists, task lists, an aligned table, pictures (mapped and not),
glossary terms (first use only, never in headings), a quote, code, a rule. The SHA-256 of its rendered HTML is
kept in app/catalogue/render.py as RENDERER_GOLDEN, beside RENDERER_VERSION and with the version it was taken at.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.catalogue import render
from app.catalogue.parsed import GlossaryTerm

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "renderer" / "lesson.md"
GLOSSARY = (
    GlossaryTerm("otp", "mã OTP", "Mã dùng một lần, gửi qua tin nhắn."),
    GlossaryTerm("otp-ngan", "OTP", "Viết tắt của mật khẩu dùng một lần."),
    GlossaryTerm("mat-khau", "mật khẩu", "Chuỗi bí mật để vào tài khoản."),
)
IMAGES = {"images/o-khoa.svg": "/api/v1/assets/" + "a" * 64 + ".svg"}


def rendered_hash() -> str:
    html = render.render_lesson(FIXTURE.read_text(encoding="utf-8"), image_urls=IMAGES, glossary=GLOSSARY)
    return hashlib.sha256(html.encode()).hexdigest()


def test_the_rendered_fixture_matches_the_golden_hash_of_this_renderer_version():
    version, golden = render.RENDERER_GOLDEN
    now = rendered_hash()
    if now != golden and version == render.RENDERER_VERSION:
        raise AssertionError(
            "The lesson renderer's output changed but RENDERER_VERSION did not: imported courses would keep their "
            "old HTML. Bump RENDERER_VERSION in app/catalogue/render.py and set "
            f'RENDERER_GOLDEN = (RENDERER_VERSION, "{now}"). (If only the fixture lesson changed, update the hash.)'
        )
    assert (version, golden) == (render.RENDERER_VERSION, now), (
        "RENDERER_GOLDEN must name the current RENDERER_VERSION and its output: "
        f'RENDERER_GOLDEN = (RENDERER_VERSION, "{now}")'
    )


def test_the_fixture_exercises_the_renderer():
    html = render.render_lesson(FIXTURE.read_text(encoding="utf-8"), image_urls=IMAGES, glossary=GLOSSARY)
    for part in ("<table>", 'type="checkbox"', "<s>", "<dfn", IMAGES["images/o-khoa.svg"], "<blockquote>", "<pre>"):
        assert part in html, part
    assert 'href="javascript' not in html and "<b>HTML" not in html
    assert html.count('data-term="otp"') == 1  # the first use only


def test_the_renderer_version_is_part_of_the_content_hash(monkeypatch):
    from app.catalogue.parsed import CourseSource

    course = CourseSource(slug="k", title="K", summary="", sequential=False, pass_ratio=0.8)
    before = course.content_hash()
    monkeypatch.setattr(render, "RENDERER_VERSION", render.RENDERER_VERSION + "-next")
    assert course.content_hash() != before
