"""Take the README's screenshots (360x640) of the app serving the bundled content.

.venv/bin/python -m tests.web.readme_screenshots      # writes docs/screenshots/*.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.web.conftest import CHROMIUM, LAUNCH_ARGS, ROOT, free_port

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'shots.db'}",
            "CONTENT_DIR": str(ROOT / "content"),
            "DEV_TOKENS": "true",
            "PUBLIC_BASE_URL": base,
            "PYTHONPATH": str(ROOT),
        }
        cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            shoot(base)
        finally:
            server.terminate()
            server.wait(timeout=10)


def shoot(base: str) -> None:
    course = httpx.get(f"{base}/api/v1/courses").json()["courses"][0]["slug"]
    detail = httpx.get(f"{base}/api/v1/courses/{course}").json()
    lesson = detail["outline"][0]["lessons"][0]["slug"]
    token = httpx.post(f"{base}/api/v1/dev/token", json={"locality": "00070"}).json()["token"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 640}, locale="vi-VN")
        page.goto(f"{base}/#token={token}")
        page.get_by_role("heading", name="Khóa học của bạn").wait_for()
        page.goto(f"{base}/#/khoa/{course}/bai/{lesson}")
        page.locator("article.lesson").wait_for()
        page.screenshot(path=str(OUT / "lesson.png"))
        page.goto(f"{base}/#/khoa/{course}")
        page.get_by_role("button", name="Tải về để học khi không có mạng").wait_for()
        page.get_by_role("button", name="Tải về để học khi không có mạng").click()
        page.get_by_text("Bạn có thể học khi không có mạng").wait_for(timeout=60000)
        page.evaluate("document.querySelector('#download').scrollIntoView()")
        page.screenshot(path=str(OUT / "course.png"))

        # A quiz answered wrongly: the result before a pass (hints, no score) and the fresh form below it.
        module = next(m for m in detail["outline"] if m.get("quiz"))
        page.goto(f"{base}/#/khoa/{course}/kiem-tra/{module['quiz']['id']}")
        page.locator("#quiz-form").wait_for()
        for fieldset in page.locator("#quiz-form fieldset").all():
            fieldset.locator("input").first.check()
        page.get_by_role("button", name="Nộp bài").click()
        page.locator("#quiz-result section").wait_for()
        page.evaluate("document.querySelector('#quiz-result').scrollIntoView()")
        page.screenshot(path=str(OUT / "quiz-result.png"))

        # The high-contrast theme on the course list.
        page.evaluate("App.saveSettings({highContrast: true})")
        page.goto(f"{base}/#/")
        page.get_by_role("heading", name="Khóa học của bạn").wait_for()
        page.evaluate("document.querySelector('li.card .actions').scrollIntoView({block: 'center'})")
        page.screenshot(path=str(OUT / "high-contrast.png"))
        browser.close()
    print(f"wrote lesson.png, course.png, quiz-result.png and high-contrast.png in {OUT}")


if __name__ == "__main__":
    main()
