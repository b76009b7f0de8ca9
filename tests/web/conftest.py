"""Browser tests: the real server in a subprocess and Debian's Chromium driven by Playwright.

Marked `browser`. Without /usr/bin/chromium they are skipped on a developer machine, and fail in CI
(env CI set), where a missing browser means the pipeline is broken.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import CONTENT

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs in a real Chromium (skipped locally without one, fails in CI)")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() or os.environ.get("CI"):
        return  # in CI a missing browser is a failure (see the fixture below), never a skip
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed (CI would fail here)"))


@pytest.fixture(autouse=True)
def _browser_required_in_ci():
    if not CHROMIUM.exists() and os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: install Debian's chromium package")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")


@contextmanager
def serving(workdir: Path, **env: str) -> Iterator[Server]:
    """`python -m app serve` on a free port in `workdir`: a fresh SQLite file there unless `env` names a
    DATABASE_URL, the fixture courses, DEV_TOKENS=true; `env` adds or overrides settings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'web.db'}",
        "CONTENT_DIR": str(CONTENT),
        "APP_ENV": "development",
        "DEV_TOKENS": "true",
        "PUBLIC_BASE_URL": base,
        "PYTHONPATH": str(ROOT),
        "CATALOGUE_REFRESH_SECONDS": "0",
        # Every simulated learner of every browser test comes from 127.0.0.1 within a few minutes.
        "RATE_LIMIT_CLIENT": "100000/minute",
        **env,
    }
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start:\n{log.read_text()}")
        time.sleep(0.2)
    try:
        yield Server(base=base, log=log, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """`python -m app serve` on a free port, a fresh SQLite file, the fixture courses, DEV_TOKENS=true."""
    with serving(tmp_path_factory.mktemp("web-server")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
