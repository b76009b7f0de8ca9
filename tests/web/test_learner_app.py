"""The learner app in a real Chromium: sign in, read, download, study offline, come back, check the server."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.web.router import shell_urls
from tests.web.conftest import AXE

pytestmark = pytest.mark.browser

COURSE = "an-toan"  # tests/fixtures/content: sequential, 3 lessons, 2 module quizzes
FIRST_LOAD_BUDGET = 150_000  # bytes, uncompressed: everything the app itself serves on a first visit
RIGHT_ANSWERS = ["mây-trắng-bay-qua-núi-2024", "Bật xác thực hai lớp", "Không chia sẻ mã OTP"]


def new_context(browser, **kwargs):
    # bypass_csp only so the test can inject axe-core; the app itself runs under its CSP otherwise.
    return browser.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN", **kwargs)


def shoot(page, artifacts, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / f"{name}.png"))


def axe_check(page, screen: str) -> None:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    serious = [
        {"screen": screen, "id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)


def outbox_count(page) -> int:
    return int(page.locator("#outbox-count").get_attribute("data-count") or "0")


def sign_in(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("heading", name="Đăng nhập", exact=True).wait_for()
    page.get_by_label("Tỉnh, thành phố").select_option("01")
    page.locator("#commune option[value='00070']").wait_for(state="attached")
    page.get_by_label("Xã, phường").select_option("00070")
    page.get_by_role("button", name="Đăng nhập thử").click()
    page.get_by_role("heading", name="Khóa học của bạn").wait_for()


def idb_all(page, store: str) -> list:
    return page.evaluate(f"async () => (await BD.db()).getAll('{store}')")


def test_offline_round_trip(browser, server, artifacts):
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    sign_in(page, server.base)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    shoot(page, artifacts, "01-courses")
    axe_check(page, "courses")

    # Read a lesson online (without completing it).
    page.locator("li.card", has_text="An toàn trên mạng").get_by_role("link", name="Xem các bài học").click()
    page.get_by_role("heading", name="An toàn trên mạng (khoá thử nghiệm)").wait_for()
    page.get_by_role("link", name="Mật khẩu mạnh").click()
    page.get_by_role("heading", name="Mật khẩu mạnh", exact=True).wait_for()
    assert "dài" in page.locator("article.lesson").inner_text()
    shoot(page, artifacts, "03-lesson")
    axe_check(page, "lesson")

    # Download the course.
    page.goto(f"{server.base}/#/khoa/{COURSE}")
    page.get_by_role("button", name="Tải về để học khi không có mạng").click()
    page.get_by_text("Đã tải về 3 bài học").wait_for()
    shoot(page, artifacts, "02-course")
    axe_check(page, "course")

    # Offline: two lessons and a quiz, then close the page.
    context.set_offline(True)
    log_offset = server.log_size()
    offline_started = time.monotonic()
    page.goto(f"{server.base}/#/khoa/{COURSE}/bai/mat-khau-manh")
    page.get_by_role("button", name="Đã học xong, sang bài tiếp").click()
    page.get_by_role("heading", name="Xác thực hai lớp").wait_for()
    # The module's last lesson leads to its quiz, not past it to the next module.
    page.get_by_role("button", name="Đã học xong, làm bài kiểm tra").click()
    page.get_by_role("heading", name="Kiểm tra mật khẩu").wait_for()
    assert page.url.endswith(f"#/khoa/{COURSE}/kiem-tra/mat-khau")
    for answer in RIGHT_ANSWERS:
        page.get_by_label(answer).check()
    shoot(page, artifacts, "04-quiz")
    axe_check(page, "quiz")
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_text("Bài sẽ được chấm khi có mạng").wait_for()
    assert outbox_count(page) == 3
    page.close()

    page = context.new_page()  # reopen, still offline: the service worker serves the app
    page.goto(f"{server.base}/")
    page.get_by_role("heading", name="Khóa học của bạn").wait_for()
    page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '3'")
    assert "Đang chờ gửi: 3" in page.locator("#outbox-count").inner_text()
    outline = page.goto(f"{server.base}/#/khoa/{COURSE}")
    assert outline is None or outline.ok
    page.get_by_text("Nhận biết lừa đảo").first.wait_for()
    offline_requests = [
        line for line in server.log_since(log_offset).splitlines() if '"GET ' in line or '"POST ' in line
    ]
    assert offline_requests == [], "the server was reached while offline:\n" + "\n".join(offline_requests)

    # Back online: the outbox empties by itself.
    online_at = time.monotonic()
    context.set_offline(False)
    page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'", timeout=30000)
    round_trip = time.monotonic() - online_at
    print(
        f"\noffline round trip: {time.monotonic() - offline_started:.2f} s from going offline to the server having "
        f"everything; {round_trip:.2f} s from reconnecting to an empty outbox"
    )

    # Through the API: exactly those two completions and that attempt.
    token = page.evaluate("BD.kvGet('token')")
    headers = {"Authorization": f"Bearer {token}"}
    sent = idb_all(page, "sent")
    events = [s for s in sent if s["kind"] == "event"]
    attempts = [s for s in sent if s["kind"] == "attempt"]
    assert sorted(e["lesson"] for e in events) == ["mat-khau-manh", "xac-thuc-hai-lop"]
    assert all(s["outcome"] == "accepted" for s in sent) and len(attempts) == 1
    progress = httpx.get(f"{server.base}/api/v1/me/progress", headers=headers).json()
    mine = next(c for c in progress["courses"] if c["course"] == COURSE)
    assert (mine["lessons_done"], mine["next_lesson"], mine["quizzes_passed"]) == (2, "nhan-biet-lua-dao", 1)
    again = httpx.post(
        f"{server.base}/api/v1/progress/events", headers=headers, json={"events": [e["body"] for e in events]}
    ).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)  # the server holds exactly these event ids
    attempt = attempts[0]
    replay = httpx.post(
        f"{server.base}/api/v1/courses/{COURSE}/quizzes/mat-khau/attempts", headers=headers, json=attempt["body"]
    )
    assert replay.status_code == 200, replay.text
    assert replay.json()["submitted_at"] == attempt["reply"]["submitted_at"]  # the stored attempt, not a new one
    assert attempt["reply"]["passed"] is True
    print(f"attempt sent {'with' if 'form' in attempt['body'] else 'without'} a server-issued form")

    # The quiz screen shows the graded result now.
    page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/mat-khau")
    page.get_by_text("Bạn đã đạt!").wait_for()
    context.close()


def test_settings_certificates_and_erasure(browser, server, artifacts):
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    sign_in(page, server.base)
    # Finish the short course in the app: the rating form appears, then the certificate with its QR code.
    for lesson in ("bai-mot", "bai-hai"):
        page.goto(f"{server.base}/#/khoa/tu-chon/bai/{lesson}")
        page.locator("#complete").click()
        page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'")
    page.goto(f"{server.base}/#/khoa/tu-chon")
    page.get_by_role("heading", name="Chúc mừng, bạn đã hoàn thành khóa học!").wait_for()
    page.get_by_label("4 sao").check()
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Cảm ơn bạn đã đánh giá!").wait_for()
    ratings = [s for s in idb_all(page, "sent") if s["kind"] == "rating"]
    assert [(r["outcome"], r["reply"]["stars"]) for r in ratings] == [("accepted", 4)]
    page.goto(f"{server.base}/#/chung-nhan")
    page.get_by_role("heading", name="Khoá tự chọn").wait_for()
    qr = page.get_by_role("img", name="Mã QR để kiểm tra chứng nhận")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    shoot(page, artifacts, "05-certificates")
    axe_check(page, "certificates")
    page.get_by_role("link", name="Kiểm tra chứng nhận này").click()
    page.get_by_text("Chứng nhận hợp lệ.").wait_for()
    shoot(page, artifacts, "08-verification")

    page.goto(f"{server.base}/#/cai-dat")
    page.get_by_label("Chữ lớn").check()
    page.get_by_label("Tương phản cao (nền đen, chữ sáng)").check()
    assert page.evaluate("document.documentElement.className") == "large-text high-contrast"
    shoot(page, artifacts, "06-settings-large-contrast")
    axe_check(page, "settings, large text and high contrast")
    page.reload()
    assert page.evaluate("document.documentElement.className") == "large-text high-contrast"  # kept

    # Some progress, then "delete my data" behind a confirmation.
    token = page.evaluate("BD.kvGet('token')")
    headers = {"Authorization": f"Bearer {token}"}
    event = {"id": "6f1c7a8e-0000-4000-8000-000000000001", "type": "lesson_completed", "course": COURSE}
    event |= {"lesson": "mat-khau-manh", "at": "2026-01-01T00:00:00Z"}
    assert httpx.post(f"{server.base}/api/v1/progress/events", headers=headers, json={"events": [event]}).is_success
    page.get_by_role("button", name="Xóa dữ liệu của tôi").click()
    page.get_by_role("dialog").get_by_text("Việc này không thể hoàn tác").wait_for()
    shoot(page, artifacts, "07-erase-confirmation")
    page.get_by_role("button", name="Không xóa").click()
    assert httpx.get(f"{server.base}/api/v1/me/progress", headers=headers).json()["courses"][0]["lessons_done"] >= 0
    page.get_by_role("button", name="Xóa dữ liệu của tôi").click()
    page.get_by_role("button", name="Xóa vĩnh viễn").click()
    page.get_by_role("heading", name="Đăng nhập", exact=True).wait_for()
    progress = httpx.get(f"{server.base}/api/v1/me/progress", headers=headers).json()
    assert all(c["lessons_done"] == 0 for c in progress["courses"])
    assert page.evaluate("BD.kvGet('token')") is None
    shoot(page, artifacts, "00-signin")
    axe_check(page, "sign-in")
    context.close()


def test_first_load_budget(browser, server):
    """HTML, CSS, JS, manifest, icons and the service worker's precache: at most FIRST_LOAD_BUDGET bytes."""
    context = new_context(browser)
    page = context.new_page()
    loaded: dict[str, int] = {}

    def record(response):
        path = response.url.removeprefix(server.base)
        if not path.startswith("/api/"):
            loaded[path] = len(response.body())

    page.on("response", record)
    page.goto(server.base + "/", wait_until="networkidle")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    shell = [*shell_urls(), "/sw.js"]
    sizes = {
        path: len(httpx.get(server.base + path, headers={"Accept-Encoding": "identity"}).content) for path in shell
    }
    total = sum(sizes.values())
    print(f"\nfirst load: {total} bytes uncompressed (budget {FIRST_LOAD_BUDGET}):")
    for path, size in sizes.items():
        print(f"  {size:7d}  {path}")
    assert set(loaded) - {"/favicon.ico"} <= set(sizes), f"the page loaded files outside the budgeted shell: {loaded}"
    assert total <= FIRST_LOAD_BUDGET
    context.close()


def test_rate_limit_keeps_the_outbox_and_retries_after(browser, server):
    """A 429 with Retry-After keeps the item, says so in plain words, and sends it after that many seconds."""
    # No service worker here: its Background Sync would send the item itself, past page.route().
    context = new_context(browser, service_workers="block")
    page = context.new_page()
    sign_in(page, server.base)
    refused = []

    def limited(route):
        if not refused:
            refused.append(time.monotonic())
            body = {"error": {"code": "rate_limited", "message": "slow down"}}
            route.fulfill(status=429, headers={"Retry-After": "2"}, json=body)
        else:
            route.continue_()

    page.route("**/api/v1/progress/events", limited)
    page.goto(f"{server.base}/#/khoa/tu-chon/bai/bai-mot")
    page.get_by_role("button", name="Đã học xong, sang bài tiếp").click()
    page.get_by_text("Máy chủ đang bận").wait_for()
    assert outbox_count(page) == 1
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 2100))")
    page.evaluate("App.sendNow()")
    page.wait_for_function("document.querySelector('#outbox-count').dataset.count === '0'")
    assert time.monotonic() - refused[0] >= 2
    assert [s["outcome"] for s in idb_all(page, "sent")] == ["accepted"]
    context.close()


def test_token_from_the_host_fragment_and_origin_checked_messages(browser, server):
    token = httpx.post(f"{server.base}/api/v1/dev/token", json={"locality": "00070"}).json()["token"]
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{server.base}/#token={token}")
    page.get_by_role("heading", name="Khóa học của bạn").wait_for()
    assert "token" not in page.url  # taken out of the address bar and history
    assert page.evaluate("BD.kvGet('token')") == token

    # A message from an origin that is not trusted is ignored; the same message from our origin is taken.
    other = httpx.post(f"{server.base}/api/v1/dev/token", json={"locality": "00070", "sub": "other"}).json()["token"]
    page.evaluate(
        "t => window.dispatchEvent(new MessageEvent('message', {data: {type: 'bdhvs:token', token: t}, "
        "origin: 'https://evil.example'}))",
        other,
    )
    page.wait_for_timeout(300)
    assert page.evaluate("BD.kvGet('token')") == token
    page.evaluate(
        "t => window.dispatchEvent(new MessageEvent('message', {data: {type: 'bdhvs:token', token: t}, "
        "origin: location.origin}))",
        other,
    )
    page.wait_for_function("t => BD.kvGet('token').then(v => v === t)", arg=other)
    context.close()


def test_quiz_review_follows_the_contract_and_glossary_works_by_keyboard(browser, server):
    """Form sent back; hints before a pass (never the right options); full review after; terms by keyboard."""
    context = new_context(browser, service_workers="block")  # page.route() sees every request
    page = context.new_page()
    sign_in(page, server.base)
    quiz = httpx.get(f"{server.base}/api/v1/courses/{COURSE}/quizzes/lua-dao").json()
    question = quiz["questions"][0]
    posted = []

    def form(route):
        route.fulfill(json={**quiz, "ask": 1, "review": "hints", "form": "FORM-1"})

    def attempt(route):
        body = json.loads(route.request.post_data)
        posted.append(body)
        passed = len(posted) > 1
        reply = {
            "id": body["id"], "course": COURSE, "quiz": "lua-dao", "score": int(passed), "max_score": 1,
            "passed": passed, "submitted_at": "2026-11-23T10:00:00Z", "course_completed": False,
            "certificate": None, "review": "full" if passed else "hints",
            "questions": [{
                "id": question["id"], "correct": passed, "hint": None if passed else "Nghĩ về mã OTP.",
                "explanation": "Giải thích đầy đủ." if passed else None,
                "right_options": [question["options"][0]["id"]] if passed else None,
            }],
        }  # fmt: skip
        route.fulfill(json=reply)

    page.route(f"**/api/v1/courses/{COURSE}/quizzes/lua-dao", form)
    page.route(f"**/api/v1/courses/{COURSE}/quizzes/lua-dao/attempts", attempt)
    for expected in ("Gợi ý: Nghĩ về mã OTP.", "Đáp án đúng: " + question["options"][0]["text"]):
        page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/lua-dao")
        page.get_by_role("heading", name=quiz["title"]).wait_for()
        page.locator("#quiz-form input").first.check()
        page.get_by_role("button", name="Nộp bài").click()
        page.locator("#quiz-result").get_by_text(expected).wait_for()
        if len(posted) == 1:  # before a pass: a hint, never the right option or the explanation
            assert "Đáp án đúng" not in page.locator("#quiz-result").inner_text()
            assert "Giải thích" not in page.locator("#quiz-result").inner_text()
    assert [p["form"] for p in posted] == ["FORM-1", "FORM-1"]
    page.goto(f"{server.base}/#/khoa/{COURSE}/kiem-tra/lua-dao")
    page.locator("#quiz-result").get_by_text("Giải thích đầy đủ.").wait_for()

    # A glossary term in a lesson: reachable with Tab, opened with Enter.
    def lesson(route):
        response = route.fetch()
        body = response.json()
        body["html"] = '<p>Không đọc <dfn class="term" data-term="otp" title="Mã dùng một lần.">OTP</dfn> cho ai.</p>'
        route.fulfill(response=response, json=body)

    page.route("**/api/v1/courses/tu-chon/lessons/bai-mot", lesson)
    page.goto(f"{server.base}/#/khoa/tu-chon/bai/bai-mot")
    term = page.get_by_role("button", name="OTP (giải thích từ ngữ)")
    term.wait_for()
    assert not page.get_by_text("OTP: Mã dùng một lần.").is_visible()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "DFN":
            break
    page.keyboard.press("Enter")
    assert page.get_by_text("OTP: Mã dùng một lần.").is_visible()
    assert term.get_attribute("aria-expanded") == "true"
    # The note follows the paragraph: the sentence "Không đọc OTP cho ai." is read whole, not split by it.
    assert page.locator("article.lesson p").first.inner_text() == "Không đọc OTP cho ai."
    assert page.evaluate("document.querySelector('.term-note').previousElementSibling.tagName") == "P"
    context.close()
