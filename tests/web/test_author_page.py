"""The authors' page /soan-bai in a real Chromium: upload -> problems (with their lines) -> fix -> preview -> publish ->
change -> publish -> roll back -> withdraw, all through the page; axe-core finds no WCAG 2.2 AA violation; a token of
another scope gets a Vietnamese message; the learner app opens a draft in preview mode and records nothing; the
validator's SVG rules keep what Chromium draws within a time budget. The screenshot for docs/content-format.md is
taken here (docs/screenshots/soan-bai.png).

The server uses a fresh database of the configured kind (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from app.catalogue.images import MAX_SVG_NUMBERS, check_svg
from app.catalogue.problems import FileProblems, Problem
from tests.author.conftest import course_files, make_zip
from tests.conftest import _empty_database
from tests.web.conftest import AXE, ROOT, Server, serving

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "screenshots" / "soan-bai.png"
COURSE = "bai-moi"  # a course the server does not have yet (the fixture courses are imported at start)
LESSON = f"{COURSE}/01-mat-khau/01-mat-khau-manh.md"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SVG_BUDGET_MS = 500  # to draw one picture at a phone's size with the CPU slowed 4 times
SVG_LIMIT = 300  # CONTENT_MAX_SVG_ELEMENTS's default


@pytest.fixture(scope="module")
def author_server(tmp_path_factory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("soan-bai")
    settings = {"CATALOGUE_REFRESH_SECONDS": "0.2"}  # a publication reaches learners within this
    with _empty_database(workdir / "author.db") as url, serving(workdir, DATABASE_URL=url, **settings) as running:
        yield running


def files(**changes: str) -> dict[str, bytes | str]:
    """The fixture course 'an-toan' as the new course COURSE, with some files replaced."""
    found: dict[str, bytes | str] = {
        name.replace("an-toan/", f"{COURSE}/", 1): body for name, body in course_files().items()
    }
    return {**found, **changes}


def broken() -> dict[str, bytes | str]:
    lesson = str(files()[LESSON], "utf-8").replace("minutes: 5", "minutes: 5\ntittle: x")
    lesson = lesson.replace("## Làm thử ngay", "![Ổ khoá](images/khao.svg)\n\n## Làm thử ngay")
    return files(**{LESSON: lesson})


def retitled() -> dict[str, bytes | str]:
    return files(**{LESSON: str(files()[LESSON], "utf-8").replace("Mật khẩu mạnh", "Mật khẩu thật mạnh", 1)})


def dev_token(server: Server, body: dict) -> str:
    reply = httpx.post(f"{server.base}/api/v1/dev/token", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()["token"]


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']})).violations",
        WCAG,
    )
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]


def upload(page, archive: dict[str, bytes | str], name: str) -> None:
    before = page.evaluate("document.documentElement.dataset.draft || ''")
    page.set_input_files("#zip", files=[{"name": name, "mimeType": "application/zip", "buffer": make_zip(archive)}])
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    page.wait_for_function("(before) => (document.documentElement.dataset.draft || '') !== before", arg=before)
    assert page.locator("#upload-status").inner_text() == f"Đã kiểm tra {name}."


def confirm(page, yes: str) -> None:
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_role("button", name=yes).click()


def lesson_title(server: Server, expected: int | str | None = None) -> int | str:
    """What learners get for the first lesson (its title, or the status), once it is `expected` (or 5 s passed)."""
    deadline = time.monotonic() + 5
    while True:
        reply = httpx.get(f"{server.base}/api/v1/courses/{COURSE}/lessons/mat-khau-manh")
        found = reply.json()["title"] if reply.status_code == 200 else reply.status_code
        if expected is None or found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_an_author_uploads_fixes_previews_publishes_changes_and_rolls_back(browser, author_server, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{author_server.base}/soan-bai")
    page.get_by_role("button", name="Đăng nhập thử (quyền soạn bài)").click()
    page.get_by_role("heading", name="1. Tải khoá học lên để kiểm tra").wait_for()
    assert axe_violations(page) == []

    # Upload: the problems, each with its file, line and the lines around it; publishing is not offered.
    upload(page, broken(), "bai-moi.zip")
    unknown = page.locator("#problems li[data-code=unknown_key]")
    assert f"{LESSON}, dòng 4" in unknown.inner_text()
    assert "có phải ý bạn là 'title'" in unknown.inner_text()
    assert "tittle: x" in unknown.locator("mark").inner_text()  # the line itself, marked
    assert unknown.locator("pre .line").count() >= 3  # and its neighbours
    missing = page.locator("#problems li[data-code=picture_not_found]")
    assert "Không tìm thấy hình 'images/khao.svg'" in missing.inner_text() and "images/khoa.svg" in missing.inner_text()
    assert page.get_by_role("button", name="Xuất bản cho mọi người học").is_disabled()
    assert "Có 2 lỗi cần sửa" in page.locator("#report-summary").inner_text()
    assert page.evaluate("document.activeElement.id") == "report-title"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert axe_violations(page) == []

    # Fixed: no error, a new course in the diff.
    upload(page, files(), "bai-moi.zip")
    assert "Không có lỗi nào" in page.locator("#report-summary").inner_text()
    assert "Khoá học mới: 3 bài học." in page.locator(f"#diff-body [data-course={COURSE}]").inner_text()

    # Preview: a lesson with its picture (fetched with the token), quizzes without answers, the glossary.
    page.get_by_role("button", name="Xem trước: An toàn trên mạng (khoá thử nghiệm)").click()
    page.wait_for_function("document.documentElement.dataset.lesson === 'mat-khau-manh'")
    assert page.locator("#preview-lesson-body table").count() == 1
    page.get_by_label("Bài học để xem").select_option("xac-thuc-hai-lop")
    page.wait_for_function("document.documentElement.dataset.lesson === 'xac-thuc-hai-lop'")
    page.wait_for_function(
        "[...document.querySelectorAll('#preview-lesson-body img')].some((i) => i.src.startsWith('blob:') "
        "&& i.complete && i.naturalWidth > 0)"
    )
    quizzes = page.locator(".quiz-preview")
    assert quizzes.count() >= 1 and "Đáp án" not in quizzes.first.inner_text()
    assert page.locator("dl.glossary dt").count() >= 1
    assert lesson_title(author_server, 404) == 404  # nothing published yet
    page.screenshot(path=str(artifacts / "soan-bai-preview.png"), full_page=True)
    assert axe_violations(page) == []

    # Publish.
    page.get_by_role("button", name="Xuất bản cho mọi người học").click()
    confirm(page, "Xuất bản")
    page.locator("#publish-result").get_by_text(f"{COURSE}: đã xuất bản lần đầu phiên bản 1.").wait_for()
    page.locator("#history-state").get_by_text("Người học đang dùng phiên bản 1.").wait_for()
    assert lesson_title(author_server, "Mật khẩu mạnh") == "Mật khẩu mạnh"

    # Change, see it in the diff, publish again.
    upload(page, retitled(), "bai-moi-sua.zip")
    diff = page.locator(f"#diff-body [data-course={COURSE}]").inner_text()
    assert "Đổi tiêu đề bài mat-khau-manh: “Mật khẩu mạnh” → “Mật khẩu thật mạnh”." in diff
    page.get_by_role("button", name="Xuất bản cho mọi người học").click()
    confirm(page, "Xuất bản")
    page.locator("#publish-result").get_by_text(f"{COURSE}: đã xuất bản phiên bản 2.").wait_for()
    page.locator("#history-state").get_by_text("Người học đang dùng phiên bản 2.").wait_for()
    assert lesson_title(author_server, "Mật khẩu thật mạnh") == "Mật khẩu thật mạnh"

    # Roll back to version 1 from the history.
    page.get_by_role("button", name="Dùng lại phiên bản 1").click()
    confirm(page, "Dùng lại phiên bản 1")
    page.locator("#history-state").get_by_text("Đã dùng lại phiên bản 1").wait_for()
    assert lesson_title(author_server, "Mật khẩu mạnh") == "Mật khẩu mạnh"
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 3 and "Quay lại phiên bản cũ" in rows.first.inner_text()
    assert axe_violations(page) == []

    # Withdraw, then bring it back.
    page.get_by_role("button", name="Rút khoá học khỏi danh mục").click()
    confirm(page, "Rút khoá học")
    page.locator("#history-state").get_by_text("đã được rút khỏi danh mục").wait_for()
    assert lesson_title(author_server, 404) == 404
    page.get_by_role("button", name="Dùng lại phiên bản 2").click()
    confirm(page, "Dùng lại phiên bản 2")
    page.locator("#history-state").get_by_text("Đã dùng lại phiên bản 2").wait_for()
    assert lesson_title(author_server, "Mật khẩu thật mạnh") == "Mật khẩu thật mạnh"
    assert errors == []
    context.close()


def test_a_token_of_another_scope_gets_a_vietnamese_message(browser, author_server):
    learner = dev_token(author_server, {"locality": "00070"})
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{author_server.base}/soan-bai#token={learner}")
    alert = page.get_by_role("alert")
    alert.get_by_text("không có quyền soạn bài").wait_for()
    assert "quyền hiện có: người học" in alert.inner_text()
    assert page.url.endswith("/soan-bai")  # the token left the address at once
    assert page.locator("#workspace").is_hidden()
    assert axe_violations(page) == []
    # The API says the same if the page is bypassed: a learner token cannot upload.
    reply = httpx.post(
        f"{author_server.base}/api/v1/author/drafts",
        content=make_zip(files()),
        headers={"Authorization": f"Bearer {learner}", "Content-Type": "application/zip"},
    )
    assert reply.status_code == 403
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    context.close()


def test_a_token_handed_over_by_post_message_signs_in(browser, author_server):
    context = browser.new_context(viewport={"width": 800, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{author_server.base}/soan-bai")
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    token = dev_token(author_server, {"scope": "author", "sub": "host-handed"})
    page.evaluate("(token) => window.postMessage({type: 'bdhvs:token', token}, location.origin)", token)
    page.get_by_role("heading", name="1. Tải khoá học lên để kiểm tra").wait_for()
    assert page.locator("#who").inner_text() == "Quyền: soạn bài"
    context.close()


def test_the_learner_app_opens_a_draft_in_preview_mode_and_records_nothing(browser, author_server):
    token = dev_token(author_server, {"scope": "author", "sub": "xem-truoc"})
    draft = httpx.post(
        f"{author_server.base}/api/v1/author/drafts",
        content=make_zip(files()),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
    ).json()
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url}") if "/api/v1/" in r.url else None)
    page.goto(f"{author_server.base}/#preview={draft['id']}&course={COURSE}&token={token}")
    page.get_by_role("heading", name="An toàn trên mạng (khoá thử nghiệm)").wait_for()
    assert page.url.endswith("#/xem-truoc")  # the token left the address at once
    banner = page.get_by_role("region", name="Bản xem trước")
    assert banner.is_visible() and "Không có gì được ghi vào tiến độ học" in banner.inner_text()

    page.get_by_role("link", name="Xác thực hai lớp").click()
    page.get_by_role("heading", name="Xác thực hai lớp", exact=True).wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('article.lesson img')].some((i) => i.src.startsWith('data:image/svg+xml') "
        "&& i.complete && i.naturalWidth > 0)"
    )
    assert page.get_by_role("button", name="Đã học xong, sang bài tiếp").count() == 0
    page.get_by_role("link", name="Bài kiểm tra:").first.click()
    page.locator("#quiz-form fieldset").first.wait_for()
    page.locator("#quiz-form input").first.check()
    page.get_by_role("button", name="Nộp bài (không chấm trong bản xem trước)").click()
    page.get_by_text("Bản xem trước không chấm bài.").wait_for()
    assert axe_violations(page) == []

    stored = page.evaluate(
        """async () => { const db = await BD.db();
             return {outbox: (await db.getAll('outbox')).length, done: (await db.getAllKeys('done')).length,
                     token: await db.get('kv', 'token')}; }"""
    )
    assert stored == {"outbox": 0, "done": 0, "token": None}
    writes = [r for r in sent if not r.startswith("GET ")]
    assert writes == [] and not any("/me/" in r for r in sent), json.dumps(sent, indent=1)
    assert any(f"/api/v1/author/drafts/{draft['id']}/courses/{COURSE}" in r for r in sent)
    assert httpx.get(f"{author_server.base}/api/v1/courses/{COURSE}").status_code in (200, 404)  # unchanged by it

    page.get_by_role("button", name="Thoát xem trước").click()
    page.get_by_role("heading", name="Đăng nhập", exact=True).wait_for()
    assert banner.count() == 0
    context.close()


def svg_shapes(count: int, points: int) -> bytes:
    """A drawing the validator accepts: `count` elements in all, each a large filled and stroked path."""
    shapes = []
    for n in range(count - 3):  # with <svg>, <linearGradient> and <stop>
        path = " ".join(f"{(n * 37 + k * 53) % 1000} {(n * 91 + k * 17) % 1000}" for k in range(points))
        shapes.append(
            f'<path d="M{path}Z" fill="hsl({n % 360},70%,50%)" fill-opacity="0.5" stroke="#000" stroke-width="9"/>'
        )
    body = "".join(shapes)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000">'
        f'<linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>{body}</svg>'
    ).encode()


def svg_refused_heavy() -> bytes:
    """Small but slow: a huge blur over the whole picture, many times (filters are refused)."""
    blurs = "".join(
        f'<rect x="0" y="0" width="1000" height="1000" fill="#{n:02x}8040" filter="url(#b)"/>' for n in range(40)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000">'
        f'<filter id="b"><feGaussianBlur stdDeviation="300"/></filter>{blurs}</svg>'
    ).encode()


def validate_svg(data: bytes) -> list[Problem]:
    problems: list[Problem] = []
    check_svg(data, FileProblems("images/hinh.svg", problems), max_elements=SVG_LIMIT)
    return [problem for problem in problems if problem.is_error]


DRAW = """async (svg) => {
  const url = URL.createObjectURL(new Blob([svg], {type: 'image/svg+xml'}));
  const canvas = document.createElement('canvas');
  canvas.width = 1080; canvas.height = 1080;  // a 360 px wide phone at 3 device pixels per CSS pixel
  const context = canvas.getContext('2d');
  const started = performance.now();
  const img = new Image();
  img.src = url;
  await img.decode();
  context.drawImage(img, 0, 0, 1080, 1080);
  context.getImageData(0, 0, 1, 1);  // the drawing is done once its pixels can be read
  return performance.now() - started;
}"""


def draw_ms(page, svg: bytes) -> float:
    return max(page.evaluate(DRAW, svg.decode()) for _ in range(2))


def svg_copies(shapes: int, copies: int) -> bytes:
    """A group of shapes shown again by many <use>: few elements written, many drawn."""
    group = "".join(f'<rect x="{n}" y="{n}" width="900" height="900" fill-opacity="0.3"/>' for n in range(shapes))
    uses = "".join(f'<use href="#g" x="{n}"/>' for n in range(copies))
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000"><g id="g">{group}</g>{uses}</svg>'.encode()


def test_an_svg_at_the_validator_s_limit_draws_within_the_budget_and_a_heavy_one_is_refused(browser, author_server):
    numbers = MAX_SVG_NUMBERS // (SVG_LIMIT - 3) // 2  # points per path: the most both limits let through
    at_limit = svg_shapes(SVG_LIMIT, points=numbers)
    assert validate_svg(at_limit) == [] and at_limit.count(b"<path") == SVG_LIMIT - 3
    assert validate_svg(svg_shapes(SVG_LIMIT, points=numbers + 1)) != []  # one more point each: refused
    over = svg_shapes(SVG_LIMIT + 1, points=2)
    assert any("elements (limit 300" in p.message for p in validate_svg(over))
    copies = svg_copies(100, 100)  # 202 elements written, 10,302 drawn (each <use> draws the group again)
    assert any("10302 elements" in p.message for p in validate_svg(copies)), validate_svg(copies)
    heavy = svg_refused_heavy()
    assert any("can make a phone draw slowly" in p.message for p in validate_svg(heavy)), validate_svg(heavy)

    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=3)
    page = context.new_page()
    page.goto(f"{author_server.base}/soan-bai")
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})  # a low-end phone
    accepted = draw_ms(page, at_limit)
    refused = draw_ms(page, heavy)
    print(f"SVG at the limit: {accepted:.0f} ms; refused heavy SVG: {refused:.0f} ms (budget {SVG_BUDGET_MS} ms)")
    assert accepted < SVG_BUDGET_MS
    assert refused > accepted  # what the rules keep out costs more than the worst they let in
    context.close()
