"""The database taken away during load (PostgreSQL through a TCP proxy the test cuts and restores): calls that
need it answer 503 with Retry-After, never 500; readiness fails; lessons keep being served from memory; the
server recovers by itself when the database returns and no acknowledged write is lost.

SQLite has no network to cut; its equivalent fault (a file locked past the busy timeout) maps to the same 503
and is not staged here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.test_cli_and_processes import _free_port, run_cli


class Proxy:
    """A TCP relay to the database that can be cut (listener and every open connection) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, _free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone may not
        except OSError:
            pass
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets.clear()


def test_database_away_gives_503_and_the_server_recovers(cli_env, tmp_path):
    url = make_url(cli_env["DATABASE_URL"])
    if not url.drivername.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no connection to cut (see the module docstring)")
    run_cli("migrate", env=cli_env, cwd=tmp_path)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    env = {**cli_env, "DATABASE_URL": url.set(port=proxy.port).render_as_string(hide_password=False),
           "STATS_RELEASE_AUTO": "false", "CATALOGUE_REFRESH_SECONDS": "1"}  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    token = run_cli("token", "--scope", "learner", "--sub", "away", "--locality", "00070", env=env, cwd=tmp_path)
    headers = {"Authorization": f"Bearer {token.stdout.strip()}"}

    def post(lesson: str) -> httpx.Response:
        event = {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "tu-chon", "lesson": lesson,
                 "at": datetime.now(UTC).isoformat()}  # fmt: skip
        return httpx.post(f"{base}/api/v1/progress/events", json={"events": [event]}, headers=headers, timeout=30)

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert post("bai-mot").json()["accepted"] == 1

        proxy.cut()
        away = post("bai-hai")
        assert away.status_code == 503 and away.json()["error"]["code"] == "database_unavailable"
        assert int(away.headers["retry-after"]) > 0
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 503
        assert httpx.get(f"{base}/api/v1/courses/tu-chon/lessons/bai-mot", timeout=5).status_code == 200

        proxy.start()
        deadline, back = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            back = post("bai-hai")
            if back.status_code == 200:
                break
            time.sleep(0.5)
        assert back is not None and back.status_code == 200 and back.json()["accepted"] == 1
        progress = httpx.get(f"{base}/api/v1/me/progress", headers=headers, timeout=10).json()
        tu_chon = next(c for c in progress["courses"] if c["course"] == "tu-chon")
        assert tu_chon["lessons_done"] == 2  # the write acknowledged before the cut is there
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        proxy.cut()
