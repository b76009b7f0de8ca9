"""The command line, and real processes sharing one database: concurrent migrations, two workers and an import."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import CONTENT
from tests.quizzes.helpers import answer

ROOT = Path(__file__).resolve().parent.parent


def start_server(env: dict, port: int, cwd: Path) -> subprocess.Popen:
    """`serve` with two workers in its own process group, ready (/readyz 200) before it is returned.

    The limits are raised: these tests send every learner's load, and the resend of all of it, from one
    address within seconds. Stop it with os.killpg(server.pid, ...)."""
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
        env={
            **env,
            "STATS_RELEASE_AUTO": "false",
            "RATE_LIMIT_LEARNER_WRITES": "100000/minute",
            "RATE_LIMIT_CLIENT": "100000/minute",
            "MAX_EVENTS_PER_LEARNER": "100000",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=cwd,  # where `token` made its development secrets
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited at start"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("the server did not become ready")


def run_cli(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_validate_prints_file_line_message_and_exit_codes(tmp_path, cli_env):
    good = run_cli("content", "validate", str(CONTENT), env=cli_env, cwd=tmp_path)
    assert good.returncode == 0 and "2 course(s), 5 lesson(s)" in good.stdout
    bad = tmp_path / "bad"
    shutil.copytree(CONTENT, bad)
    (bad / "tu-chon/01-co-ban/01-bai-mot.md").write_text("---\ntitle: T\ncolour: red\n---\n\nx\n")
    (bad / "an-toan/01-mat-khau/quiz.md").write_text("---\ntitle: Q\n---\n\n## A?\n\n- [ ] 1\n- [ ] 2\n")
    result = run_cli("content", "validate", str(bad), env=cli_env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}/tu-chon/01-co-ban/01-bai-mot.md:3: unknown front-matter key 'colour'" in result.stdout
    assert f"{bad}/an-toan/01-mat-khau/quiz.md:5: question 'q1' has no ticked (correct) option" in result.stdout


def test_import_is_idempotent_and_token_is_minted(tmp_path, cli_env):
    first = run_cli("content", "import", str(CONTENT), env=cli_env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created   an-toan" in first.stdout
    again = run_cli("content", "import", str(CONTENT), env=cli_env, cwd=tmp_path)
    assert "unchanged an-toan" in again.stdout
    token = run_cli("token", "--scope", "learner", "--sub", "demo", "--locality", "00070", env=cli_env, cwd=tmp_path)
    assert token.returncode == 0 and token.stdout.count(".") == 2
    assert (tmp_path / ".dev-secrets.json").exists()
    refused = run_cli("token", "--scope", "learner", "--sub", "demo", env=cli_env, cwd=tmp_path)
    assert refused.returncode == 2 and "locality" in refused.stderr


def test_several_processes_migrate_at_once(tmp_path, cli_env):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "migrate"],
            env=cli_env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_and_a_concurrent_import_never_fail(tmp_path, cli_env):
    """Learners write through two workers while an author imports new versions: no request fails."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
        env=cli_env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if (
                    httpx.get(f"{base}/readyz", timeout=1).status_code == 200
                    and httpx.get(f"{base}/api/v1/courses", timeout=1).json()["courses"]
                ):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("server did not start: " + server.stderr.read() if server.poll() is not None else "timeout")
        content = tmp_path / "content"
        shutil.copytree(CONTENT, content)
        statuses: list[int] = []

        def learner(n: int) -> None:
            token = run_cli(
                "token", "--scope", "learner", "--sub", f"l{n}", "--locality", "00070", env=cli_env, cwd=tmp_path
            ).stdout.strip()
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
                for lesson in ("bai-mot", "bai-hai"):
                    event = {
                        "id": str(uuid.uuid4()),
                        "type": "lesson_completed",
                        "course": "tu-chon",
                        "lesson": lesson,
                        "at": datetime.now(UTC).isoformat(),
                    }
                    statuses.append(client.post("/api/v1/progress/events", json={"events": [event]}).status_code)
                    statuses.append(answer(client, {}, "an-toan", "mat-khau", {"q-manh": ["b"]}).status_code)

        def author() -> None:
            for version in range(3):
                lesson = content / "tu-chon/01-co-ban/01-bai-mot.md"
                lesson.write_text(lesson.read_text() + f"\nPhiên bản {version}.\n")
                statuses.append(
                    0 if run_cli("content", "import", str(content), env=cli_env, cwd=tmp_path).returncode == 0 else 1
                )

        threads = [threading.Thread(target=learner, args=(n,)) for n in range(6)] + [threading.Thread(target=author)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(200) == 24 and statuses.count(0) == 3, statuses
        # Both workers serve the newest version within seconds (CATALOGUE_REFRESH_SECONDS=2), no restart.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pages = [httpx.get(f"{base}/api/v1/courses/tu-chon/lessons/bai-mot").json()["html"] for _ in range(6)]
            if all("Phiên bản 2." in page for page in pages):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the new version was not served within 10 s")
    finally:
        server.terminate()
        server.wait(timeout=30)
