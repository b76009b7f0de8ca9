"""The learner app loses nothing and always says what comes next: contrast and target sizes in both themes,
a failed quiz retried on the same page, weak signal, sign-out and forged links that keep unsent work,
quizzes pointed to, plain Vietnamese for every code, a shared phone left clean, lessons read aloud."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.web.test_learner_app import COURSE, RIGHT_ANSWERS, idb_all, new_context, outbox_count, sign_in

pytestmark = pytest.mark.browser
STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static"

# WCAG contrast of every button and button-like link, with the background found up the tree.
CONTRAST = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  const background = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  return [...document.querySelectorAll("button, a.button, #send-now")].filter((el) => el.offsetParent).map((el) => {
    const fg = lum(rgb(getComputedStyle(el).color)), bg = lum(background(el));
    return { text: el.textContent.trim().slice(0, 40), ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05) };
  });
}
"""
TARGETS = """
() => [...document.querySelectorAll(
    "main button, main a.button, main a.back, main p > a:only-child, main dfn.term, #send-now")]
  .filter((el) => el.offsetParent)
  .map((el) => { const r = el.getBoundingClientRect();
    return { text: el.textContent.trim().slice(0, 40), w: r.width, h: r.height }; })
"""


def _token(server, sub: str) -> str:
    return httpx.post(f"{server.base}/api/v1/dev/token", json={"locality": "00070", "sub": sub}).json()["token"]


def _complete(server, token: str, lessons: list[str], course: str = COURSE) -> None:
    start = datetime.now(UTC) - timedelta(seconds=60)
    events = [
        {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": course, "lesson": slug,
         "at": (start + timedelta(seconds=i)).isoformat()}
        for i, slug in enumerate(lessons)
    ]  # fmt: skip
    reply = httpx.post(
        f"{server.base}/api/v1/progress/events", headers={"Authorization": f"Bearer {token}"}, json={"events": events}
    )
    assert reply.status_code == 200 and reply.json()["rejected"] == [], reply.text


@pytest.mark.parametrize("theme", ["normal", "high-contrast"])
def test_every_button_is_readable_and_big_enough_in_both_themes(browser, server, theme):
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, server.base)
    if theme == "high-contrast":
        page.evaluate("App.saveSettings({highContrast: true})")
    _complete(server, page.evaluate("BD.kvGet('token')"), ["mat-khau-manh"])
    screens = ["#/", f"#/khoa/{COURSE}", f"#/khoa/{COURSE}/bai/xac-thuc-hai-lop", f"#/khoa/{COURSE}/kiem-tra/mat-khau"]
    screens += ["#/cai-dat", "#/chung-nhan"]
    low, small = [], []
    for screen in screens:
        page.goto(f"{server.base}/{screen}")
        page.locator("main h1").wait_for()
        page.wait_for_load_state("networkidle")
        low += [(screen, b) for b in page.evaluate(CONTRAST) if b["ratio"] < 4.5]
        small += [(screen, t) for t in page.evaluate(TARGETS) if t["w"] < 44 or t["h"] < 44]
    assert low == [], f"text below 4.5:1 in the {theme} theme: {low}"
    assert small == [], f"targets under 44 x 44 px in the {theme} theme: {small}"
    context.close()


def test_a_failed_quiz_is_retried_on_the_same_page(browser, server):
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, server.base)
    _complete(server, page.evaluate("BD.kvGet('token')"), ["mat-khau-manh", "xac-thuc-hai-lop"])
    page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/mat-khau")
    page.get_by_label("123456").check()
    page.get_by_label("Dùng một mật khẩu cho mọi tài khoản").check()
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_text("Chưa đạt. Hãy xem gợi ý và làm lại.").wait_for()
    page.get_by_role("heading", name="Làm lại").wait_for()  # a fresh form, on this page
    for answer in RIGHT_ANSWERS:
        page.get_by_label(answer).check()
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_text("Bạn đã đạt!").wait_for()
    attempts = [s for s in idb_all(page, "sent") if s["kind"] == "attempt"]
    assert [a["outcome"] for a in attempts] == ["accepted", "accepted"], attempts
    assert len({a["body"]["form"] for a in attempts}) == 2  # each form answered once: no form_used
    assert "form_used" not in page.locator("main").inner_text()
    # The next step is offered right away: the next module's lesson.
    page.get_by_role("link", name="Học bài tiếp theo").wait_for()
    context.close()


def test_a_kept_quiz_is_used_once_offline_and_nothing_is_lost(browser, server):
    context = new_context(browser, bypass_csp=True)  # wait_for_function evaluates a string
    page = context.new_page()
    sign_in(page, server.base)
    _complete(server, page.evaluate("BD.kvGet('token')"), ["mat-khau-manh", "xac-thuc-hai-lop"])
    page.goto(f"{server.base}/#/khoa/{COURSE}")
    page.get_by_role("button", name="Tải về để học khi không có mạng").click()
    page.get_by_text("Đã tải về 3 bài học").wait_for()
    context.set_offline(True)
    page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/mat-khau")
    for answer in RIGHT_ANSWERS:
        page.get_by_label(answer).check()
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_text("Bài sẽ được chấm khi có mạng").wait_for()
    page.goto(f"{server.base}/#/")
    page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/mat-khau")
    page.get_by_text("đang chờ chấm").first.wait_for()
    assert page.locator("#quiz-form").count() == 0  # the kept form is not offered a second time
    context.set_offline(False)
    page.evaluate("App.sendNow()")
    page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'")
    attempts = [s for s in idb_all(page, "sent") if s["kind"] == "attempt"]
    assert [(a["outcome"], a["reply"]["passed"]) for a in attempts] == [("accepted", True)]
    context.close()


def test_on_a_weak_signal_lessons_open_from_the_phone_and_a_quiz_waits_with_a_message(browser, server):
    context = new_context(browser, service_workers="block", bypass_csp=True)  # every request passes page.route()
    page = context.new_page()
    sign_in(page, server.base)
    _complete(server, page.evaluate("BD.kvGet('token')"), ["mat-khau-manh", "xac-thuc-hai-lop"])
    page.goto(f"{server.base}/#/khoa/{COURSE}")
    page.get_by_role("button", name="Tải về để học khi không có mạng").click()
    page.get_by_text("Đã tải về 3 bài học").wait_for()
    page.goto(f"{server.base}/#/")
    page.get_by_role("heading", name="Khóa học của bạn").wait_for()

    page.route("**/api/v1/**", lambda route: None)  # connected, and nothing ever comes back
    started = time.monotonic()
    page.goto(f"{server.base}/#/khoa/{COURSE}/bai/xac-thuc-hai-lop")
    page.get_by_role("heading", name="Xác thực hai lớp").wait_for(timeout=5000)
    assert time.monotonic() - started < 5
    page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/mat-khau")
    page.get_by_role("heading", name="Kiểm tra mật khẩu").wait_for(timeout=5000)
    for answer in RIGHT_ANSWERS:
        page.get_by_label(answer).check()
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_text("Mạng yếu: chưa gửi được bài làm").wait_for(timeout=25000)
    assert outbox_count(page) >= 1
    page.unroute("**/api/v1/**")
    page.evaluate("App.sendNow()")
    page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'", timeout=30000)
    context.close()


def test_sign_out_and_a_forged_link_keep_unsent_work(browser, server):
    context = new_context(browser, bypass_csp=True)  # wait_for_function evaluates a string
    page = context.new_page()
    sign_in(page, server.base)
    owner = page.evaluate("BD.kvGet('owner')")
    page.goto(f"{server.base}/#/khoa/tu-chon")
    page.get_by_role("button", name="Tải về để học khi không có mạng").click()
    page.get_by_text("Đã tải về 2 bài học").wait_for()
    context.set_offline(True)
    for lesson in ("bai-mot", "bai-hai"):
        page.goto(f"{server.base}/#/khoa/tu-chon/bai/{lesson}")
        page.locator("#complete").click()
        page.wait_for_url(lambda url, lesson=lesson: not url.endswith(f"/bai/{lesson}"))  # the app moved on
    page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '2'")

    # A link with an unsigned token for someone else: refused, nothing cleared.
    claims = base64.urlsafe_b64encode(json.dumps({"iss": "x", "sub": "intruder"}).encode()).decode().rstrip("=")
    page.goto(f"{server.base}/#token=eyJhbGciOiJub25lIn0.{claims}.")
    page.get_by_text("Mã đăng nhập không hợp lệ").wait_for()
    assert page.evaluate("BD.kvGet('owner')") == owner and len(idb_all(page, "outbox")) == 2

    # Sign-out asks, with the count; "Giữ lại" keeps everything.
    page.goto(f"{server.base}/#/cai-dat")
    page.get_by_text("Có 2 mục chưa gửi lên máy chủ").wait_for()
    page.get_by_role("button", name="Đăng xuất trên máy này").click()
    page.get_by_role("dialog").get_by_text("còn 2 mục chưa gửi").wait_for()
    page.get_by_role("button", name="Giữ lại").click()
    assert page.evaluate("BD.kvGet('token')") is not None and len(idb_all(page, "outbox")) == 2

    # Back online, sign-out sends first and then leaves nothing of this learner on the phone.
    context.set_offline(False)
    page.get_by_role("button", name="Đăng xuất trên máy này").click()
    page.get_by_role("heading", name="Đăng nhập", exact=True).wait_for()
    token = _token(server, "unused")  # the server got both lessons before the sign-out finished
    assert token
    stored = [s for s in idb_all(page, "outbox")] + [s for s in idb_all(page, "sent")]
    assert stored == [] and page.evaluate("BD.kvGet('token')") is None
    context.close()


def test_the_course_card_counts_the_quizzes_still_needed(browser, server):
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, server.base)
    _complete(server, page.evaluate("BD.kvGet('token')"), ["mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao"])
    page.reload()
    card = page.locator("li.card", has_text="An toàn trên mạng")
    card.get_by_text("Đã học hết bài. Còn 2 bài kiểm tra cần đạt để nhận chứng nhận.").wait_for()
    card.get_by_role("link", name="Làm bài kiểm tra tiếp theo").click()
    page.get_by_role("heading", name="Kiểm tra mật khẩu").wait_for()
    page.goto(f"{server.base}/#/khoa/{COURSE}")
    assert page.locator("#next-step").inner_text() == "Làm bài kiểm tra: Kiểm tra mật khẩu"
    context.close()


def test_settings_name_the_commune_and_a_shared_phone_is_left_clean(browser, server):
    context = new_context(browser, bypass_csp=True)  # wait_for_function evaluates a string
    page = context.new_page()
    sign_in(page, server.base)
    for lesson in ("bai-mot", "bai-hai"):
        page.goto(f"{server.base}/#/khoa/tu-chon/bai/{lesson}")
        page.locator("#complete").click()
        page.wait_for_url(lambda url, lesson=lesson: not url.endswith(f"/bai/{lesson}"))  # the app moved on
        page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'")
    page.goto(f"{server.base}/#/chung-nhan")
    page.get_by_role("link", name="Kiểm tra chứng nhận này").click()
    page.get_by_text("Chứng nhận hợp lệ.").wait_for()
    assert re.search(r"\d{2}/\d{2}/\d{4}", page.locator("main").inner_text())  # dd/mm/yyyy, not ISO
    # The link printed beside the QR code opens a page a person can read, not the API's JSON.
    page.goto(f"{server.base}/#/chung-nhan")
    verify_url = page.locator("main a[href*='/api/v1/certificates/']").first.get_attribute("href")
    page.goto(verify_url)
    page.get_by_role("heading", name="Kiểm tra chứng nhận").wait_for()
    assert "Chứng nhận hợp lệ." in page.content() and page.locator("script").count() == 0
    assert re.search(r"Ngày cấp\s*\d{2}/\d{2}/\d{4}", page.locator("main").inner_text())
    page.goto(f"{server.base}/")
    page.goto(f"{server.base}/#/cai-dat")
    page.get_by_text("Nơi học: Phường Hoàn Kiếm, Thành phố Hà Nội.").wait_for()
    page.get_by_role("button", name="Đăng xuất trên máy này").click()
    page.get_by_role("heading", name="Đăng nhập", exact=True).wait_for()
    cached = page.evaluate(
        "async () => { const out = []; for (const name of await caches.keys()) {"
        " for (const r of await (await caches.open(name)).keys()) out.push(r.url); } return out; }"
    )
    assert [u for u in cached if "/certificates/" in u or "/me/" in u] == []
    page.goto(f"{server.base}/#/chung-nhan")
    page.get_by_role("heading", name="Đăng nhập", exact=True).wait_for()
    context.close()


def _stub_speech(context, voice_lang: str) -> None:
    """A speech API with one voice of `voice_lang` that records every call in window.__speech."""
    context.add_init_script(
        """
        window.__speech = [];
        const record = (entry) => window.__speech.push(entry);
        const synth = { speaking: false, getVoices: () => [{ lang: "VOICE_LANG", name: "Test voice" }],
          speak: (u) => record({ op: "speak", text: u.text, lang: u.lang, rate: u.rate }),
          pause: () => record({ op: "pause" }), resume: () => record({ op: "resume" }),
          cancel: () => record({ op: "cancel" }), addEventListener: () => {} };
        Object.defineProperty(window, "speechSynthesis", { value: synth });
        window.SpeechSynthesisUtterance = function (text) { this.text = text; };
        """.replace("VOICE_LANG", voice_lang)
    )


def test_lessons_are_read_aloud_in_vietnamese_with_pause_and_speed(browser, server):
    context = new_context(browser)
    _stub_speech(context, "vi-VN")
    page = context.new_page()
    sign_in(page, server.base)
    page.goto(f"{server.base}/#/khoa/{COURSE}/bai/mat-khau-manh")
    page.get_by_role("button", name="Nghe bài").click()
    page.get_by_text("Đang đọc bài…").wait_for()
    spoken = [s for s in page.evaluate("window.__speech") if s["op"] == "speak"]
    assert spoken[0]["text"] == "Mật khẩu mạnh" and all(s["lang"] == "vi-VN" and s["rate"] == 1 for s in spoken)
    lesson_text = page.locator("article.lesson").inner_text()
    assert all(s["text"] in lesson_text for s in spoken[1:]) and len(spoken) > 2
    page.get_by_role("button", name="Tạm dừng").click()
    page.get_by_role("button", name="Đọc tiếp").click()
    page.get_by_label("Tốc độ đọc").select_option("0.8")
    ops = page.evaluate("window.__speech")
    assert {"op": "pause"} in ops and {"op": "resume"} in ops
    assert ops[-1]["op"] == "speak" and ops[-1]["rate"] == 0.8
    context.close()


def test_without_a_vietnamese_voice_the_button_says_so(browser, server):
    context = new_context(browser)
    _stub_speech(context, "en-US")
    page = context.new_page()
    sign_in(page, server.base)
    page.goto(f"{server.base}/#/khoa/{COURSE}/bai/mat-khau-manh")
    page.get_by_role("button", name="Nghe bài").click()
    page.get_by_text("Điện thoại này chưa có giọng đọc tiếng Việt").wait_for()
    assert [s for s in page.evaluate("window.__speech") if s["op"] == "speak"] == []
    context.close()


def test_a_recorded_narration_is_played_instead_of_the_phone_voice(browser, server):
    """A lesson whose JSON names a recording (`audio`) shows the phone's player above the text, and no read-aloud."""
    context = new_context(browser, service_workers="block")  # page.route() sees the lesson request
    page = context.new_page()
    sign_in(page, server.base)
    recording = "/api/v1/assets/" + "a" * 64 + ".opus"

    def with_recording(route):
        lesson = route.fetch().json()
        route.fulfill(json={**lesson, "audio": recording, "assets": [*lesson["assets"], recording]})

    page.route(f"**/api/v1/courses/{COURSE}/lessons/mat-khau-manh", with_recording)
    page.goto(f"{server.base}/#/khoa/{COURSE}/bai/mat-khau-manh")
    player = page.get_by_role("figure").locator("audio")
    player.wait_for(state="attached")
    assert player.get_attribute("src") == recording and player.get_attribute("controls") is not None
    assert page.get_by_text("Nghe bài đọc").is_visible()
    assert page.get_by_role("button", name="Nghe bài").count() == 0  # the recording replaces the phone's voice
    context.close()


def test_a_new_version_is_announced_and_downloads_run_in_parallel(browser, server):
    context = new_context(browser, service_workers="block")
    page = context.new_page()
    sign_in(page, server.base)
    in_flight, peak = [0], [0]

    def slow(route):
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        response = route.fetch()
        page.wait_for_timeout(300)
        in_flight[0] -= 1
        route.fulfill(response=response)

    page.route(f"**/api/v1/courses/{COURSE}/lessons/*", slow)
    page.goto(f"{server.base}/#/khoa/{COURSE}")
    page.get_by_role("button", name="Tải về để học khi không có mạng").click()
    page.get_by_text("Đã tải về 3 bài học").wait_for()
    assert peak[0] >= 2, f"lessons were fetched one at a time (peak {peak[0]})"
    context.close()

    context = new_context(browser, bypass_csp=True)  # wait_for_function evaluates a string
    page = context.new_page()
    sign_in(page, server.base)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker's control
    page.wait_for_function("!!navigator.serviceWorker.controller")
    page.evaluate("navigator.serviceWorker.dispatchEvent(new Event('controllerchange'))")
    page.get_by_text("Có phiên bản mới của ứng dụng.").wait_for()
    page.get_by_role("button", name="Dùng bản mới").wait_for()
    context.close()


def test_every_error_code_the_api_can_return_has_a_vietnamese_sentence():
    """Codes raised anywhere in app/ (and the rejection reasons) all have a plain sentence in app.js."""
    from typing import get_args

    from app.errors import _STATUS_CODES
    from app.progress.schemas import RejectionReason

    root = STATIC.parents[1]
    source = "\n".join(p.read_text() for p in root.rglob("*.py"))
    pattern = r'(?:code=|code = |status, code = \d+, |_json\(\d+, |error_body\()"([a-z_]+)"'
    codes = set(re.findall(pattern, source)) | set(_STATUS_CODES.values())
    codes |= set(get_args(RejectionReason.__value__))
    script = (STATIC / "app.js").read_text()
    block = script[script.index("const REASONS = {") : script.index("function reasonText")]
    known = set(re.findall(r"^\s+([a-z_]+):", block, re.M))
    assert codes - known == set()
    assert "(mã:" not in script  # never a raw code on the screen


def test_a_token_handed_to_an_open_app_and_an_expired_one(browser, server):
    context = new_context(browser, service_workers="block", bypass_csp=True)  # page.route() sees every request
    page = context.new_page()
    sign_in(page, server.base)
    for lesson in ("mat-khau-manh", "xac-thuc-hai-lop"):
        page.goto(f"{server.base}/#/khoa/{COURSE}/bai/{lesson}")
        page.locator("#complete").click()
        page.wait_for_url(lambda url, lesson=lesson: not url.endswith(f"/bai/{lesson}"))  # the app moved on
        page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'")

    # The token expires: the list keeps what this phone knows instead of falling back to 0.
    expired = {"error": {"code": "token_expired", "message": "expired"}}
    page.route("**/api/v1/me/**", lambda route: route.fulfill(status=401, json=expired))
    page.goto(f"{server.base}/#/khoa/{COURSE}")
    page.goto(f"{server.base}/#/")
    card = page.locator("li.card", has_text="An toàn trên mạng")
    card.get_by_text("Đã học: 2/3 bài").wait_for()
    page.unroute("**/api/v1/me/**")

    # The host hands a new token to the app while it is open: taken, and out of the address bar at once.
    fresh = _token(server, "handed-over")
    page.evaluate("t => { location.hash = '#token=' + t; }", fresh)
    page.wait_for_function("t => BD.kvGet('token').then((v) => v === t)", arg=fresh)
    page.get_by_role("heading", name="Khóa học của bạn").wait_for()
    assert "token" not in page.url and "Không tìm thấy trang" not in page.locator("main").inner_text()
    context.close()
