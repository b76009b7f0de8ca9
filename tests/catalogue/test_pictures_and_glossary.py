"""Pictures (files, limits, SVG safety) and the glossary (format, rules, terms marked in lesson HTML)."""

from __future__ import annotations

import shutil
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest

from app.catalogue.images import check_svg
from app.catalogue.parsed import GlossaryTerm
from app.catalogue.problems import FileProblems, Problem
from app.catalogue.render import render_lesson, sanitize
from app.catalogue.rules import ContentRules
from app.catalogue.walker import validate_content
from tests.conftest import CONTENT

PICTURE_LESSON = "an-toan/01-mat-khau/02-xac-thuc-hai-lop.md"
PICTURE = "![Ổ khoá đóng: tài khoản đã được bảo vệ](images/khoa.svg)"
GOOD_SVG = (CONTENT / "an-toan/images/khoa.svg").read_bytes()


@pytest.fixture
def root(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def found(root: Path, rules: ContentRules | None = None) -> list[str]:
    return [str(p) for p in validate_content(root, rules or ContentRules(), today=date(2026, 11, 23)).problems]


def use_picture(root: Path, markdown: str) -> None:
    path = root / PICTURE_LESSON
    path.write_text(path.read_text().replace(PICTURE, markdown))


def png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("![Ảnh](https://example.org/a.png)", "must be a file of this course's images/ directory"),
        ("![Ảnh](http://10.0.0.1/a.png)", "must be a file of this course's images/ directory"),
        ("![Ảnh](images/../../../../etc/passwd.png)", "must be a file of this course's images/ directory"),
        ("![Ảnh](../images/khoa.svg)", "must be a file of this course's images/ directory"),
        ("![Ảnh](images/khong-co.svg)", "is not a usable file in this course's images/ directory"),
        ("![   ](images/khoa.svg)", "needs alt text"),
    ],
)
def test_pictures_must_be_local_files_with_alt_text(root, markdown, expected):
    use_picture(root, markdown)
    problems = found(root)
    assert any(p.startswith(f"{root}/{PICTURE_LESSON}:18: ") and expected in p for p in problems), problems


def test_png_and_jpeg_pictures_are_accepted_and_unused_ones_warned(root):
    (root / "an-toan/images/buoc-1.png").write_bytes(png())
    (root / "an-toan/images/thua.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 20)
    use_picture(root, "![Bước một](images/buoc-1.png)")
    problems = found(root)
    assert f"{root}/an-toan/images/khoa.svg:1: warning: picture is not used by any lesson" in problems
    assert f"{root}/an-toan/images/thua.jpg:1: warning: picture is not used by any lesson" in problems
    assert all("warning:" in p for p in problems)


def test_the_image_size_limit_is_configurable(root):
    (root / "an-toan/images/lon.png").write_bytes(png(200, 200) + b"\x00" * 4096)
    use_picture(root, "![Ảnh lớn](images/lon.png)")
    size = (root / "an-toan/images/lon.png").stat().st_size
    problems = found(root, ContentRules(max_image_bytes=size - 1))
    assert f"{root}/an-toan/images/lon.png:1: image is {size} bytes; the limit is {size - 1}" in " ".join(problems)
    assert not [p for p in found(root, ContentRules(max_image_bytes=size)) if "warning:" not in p]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("images/gia.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "the file's bytes are not a PNG image"),
        ("images/anh.gif", b"GIF89a", "image file names are lowercase"),
        ("images/Anh.svg", GOOD_SVG, "image file names are lowercase"),
    ],
)
def test_image_files_are_checked_by_name_and_bytes(root, name, data, expected):
    (root / "an-toan" / name).write_bytes(data)
    problems = found(root)
    assert any(p.startswith(f"{root}/an-toan/{name}:1: ") and expected in p for p in problems), problems


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 9 9">{}</svg>'


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<script>alert(1)</script>", "<script> element"),
        ('<rect onload="alert(1)" width="1" height="1"/>', "event handler attribute 'onload'"),
        ('<g onClick="x"/>', "event handler attribute 'onClick'"),
        ("<foreignObject><p>x</p></foreignObject>", "<foreignObject> element"),
        ('<image href="data:image/png;base64,AA"/>', "<image> element"),
        ('<a href="https://evil.example"><rect/></a>', 'external reference href="https://evil.example"'),
        ('<use xlink:href="https://evil.example/s.svg#a"/>', "external reference href="),
        ('<rect fill="url(https://evil.example/p)"/>', "external url() in 'fill'"),
        ("<style>@import url(https://evil.example/a.css);</style>", "<style> with @import"),
    ],
)
def test_active_or_external_svg_content_is_refused(inner, expected):
    problems: list[Problem] = []
    assert check_svg(SVG.format(inner).encode(), FileProblems("x.svg", problems)) is False
    assert any(expected in p.message and p.is_error for p in problems), problems


def test_svg_declarations_are_refused_and_internal_references_allowed():
    problems: list[Problem] = []
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    assert check_svg(bomb, FileProblems("x.svg", problems)) is False
    assert "DOCTYPE" in problems[0].message
    fine = SVG.format('<defs><path id="p" d="M0 0h9"/></defs><use href="#p"/><rect fill="url(#g)"/>')
    problems.clear()
    assert check_svg(fine.encode(), FileProblems("x.svg", problems)) is True and problems == []


def test_svg_in_content_is_refused_by_validate(root):
    (root / "an-toan/images/khoa.svg").write_bytes(SVG.format("<script>alert(1)</script>").encode())
    problems = found(root)
    assert f"{root}/an-toan/images/khoa.svg:1: SVG refused: <script> element" in problems


# Glossary.

GLOSSARY = "an-toan/glossary.md"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("## OTP\n\nMột mã.\n\n## otp\n\nLại.\n", "9: term 'otp' is defined twice (first on line 5)"),
        ("## OTP\n\n## Email\n\nThư điện tử.\n", "5: 'OTP' has no explanation"),
        ("## OTP\n\n" + " ".join(["từ"] * 61) + "\n", "5: 'OTP': explanation of 61 words (at most 60)"),
        ("## OTP\n\n" + " ".join(["từ"] * 41) + "\n", "5: warning: 'OTP': explanation of 41 words (keep it to 40)"),
        ("## OTP\n\n- một\n- hai\n", "5: 'OTP': the explanation must be one plain paragraph"),
        ("## OTP\n\nMột.\n\nHai.\n", "5: 'OTP': the explanation must be one paragraph"),
        ("Lời mở đầu.\n\n## OTP\n\nMã.\n", "5: unexpected text"),
    ],
)
def test_glossary_rules(root, body, expected):
    (root / GLOSSARY).write_text("---\ntitle: Từ ngữ cần biết\n---\n\n" + body)
    problems = found(root)
    assert any(p.startswith(f"{root}/{GLOSSARY}:{expected}") for p in problems), problems


TERMS = [
    GlossaryTerm("otp", "OTP", 'Mã dùng một lần "ngắn"'),
    GlossaryTerm("ma-qr", "mã QR", "Ô vuông đen trắng"),
    GlossaryTerm("duong-link", "đường link", "Địa chỉ trang web"),
]


def test_first_use_of_each_term_is_marked_outside_headings_links_and_code():
    markdown = (
        "## OTP là gì\n\n"
        "Mở [đường link](https://a.vn) và `OTP` trong mã.\n\n"
        "Nhập otp vào máy. Không đọc OTP cho ai.\n\n"
        "Quét MÃ QR hoặc bấm đường link; mã QR lần hai.\n\n"
        "```\nOTP\n```\n"
    )
    html = render_lesson(markdown, glossary=TERMS)
    assert "<h2>OTP là gì</h2>" in html
    assert '<a href="https://a.vn" rel="noopener noreferrer nofollow">đường link</a>' in html
    assert "<code>OTP</code>" in html and "<pre><code>OTP\n</code></pre>" in html
    assert '<dfn class="term" data-term="otp" title="Mã dùng một lần &quot;ngắn&quot;">otp</dfn> vào máy' in html
    assert "Không đọc OTP cho ai" in html
    assert '<dfn class="term" data-term="ma-qr" title="Ô vuông đen trắng">MÃ QR</dfn>' in html
    assert 'bấm <dfn class="term" data-term="duong-link"' in html and "; mã QR lần hai" in html
    assert html.count("<dfn") == 3


def test_terms_match_whole_words_only():
    html = render_lesson("Các OTPs và xOTP không phải là từ OTP.", glossary=TERMS)
    assert html.count("<dfn") == 1 and ">OTP</dfn>." in html


def test_dfn_is_allowed_only_in_the_marked_shape():
    html = sanitize('<dfn class="evil term" data-x="1" onclick="x" data-term="otp" title="t" style="color:red">a</dfn>')
    assert html == '<dfn class="term" data-term="otp" title="t">a</dfn>'
    assert sanitize('<span class="term" data-term="otp">a</span>') == "a"
    raw = render_lesson('Chữ <dfn class="term" onclick="x">a</dfn>.', glossary=())
    assert "<dfn" not in raw and "&lt;dfn" in raw  # raw HTML in a lesson stays text
