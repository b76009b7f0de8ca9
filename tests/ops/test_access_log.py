"""Access logs as docs/operations.md promises: one JSON line per request on stderr, on by default (production
too), off with ACCESS_LOG=false; never a token, a query string or (by default) a client address; and no second
line from uvicorn's own access log."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.ops.logs import JsonLines

FIELDS = {"time", "level", "logger", "message", "request_id", "method", "route", "status", "ms"}


@contextmanager
def access_stream() -> Iterator[io.StringIO]:
    """What the app.access logger writes, formatted as `serve` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("app.access")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def test_one_json_line_per_request_with_the_route_template_and_nothing_secret(client, auth, content):
    headers = auth("learner")
    token = headers["Authorization"].split()[1]
    with access_stream() as stream:
        client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh?utm_source=zalo")
        client.get("/api/v1/me/progress?access_token=" + token, headers={**headers, "X-Request-ID": "req-2"})
        client.get("/no/such/page?email=someone@example.org")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]

    assert len(lines) == 3
    assert all(set(line) == FIELDS and line["logger"] == "app.access" for line in lines)
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("GET", "/api/v1/courses/{course}/lessons/{lesson}", 200),
        ("GET", "/api/v1/me/progress", 200),
        ("GET", "unmatched", 404),  # an unknown path is not written out: it may carry anything
    ]
    assert lines[1]["request_id"] == "req-2" and all(isinstance(line["ms"], float) for line in lines)
    text = stream.getvalue()
    for never_written in (token, "utm_source", "access_token", "someone@example.org", "no/such", "testclient"):
        assert never_written not in text


def test_access_log_is_on_by_default_in_production_too(settings):
    assert Settings.model_fields["access_log"].default is True
    assert settings.model_copy(update={"app_env": "production"}).access_log_on


def test_access_log_false_writes_no_line_and_the_client_address_only_when_asked(settings, engine):
    from app.main import create_app

    def lines_for_one_request(**update) -> list[dict]:
        app = create_app(settings.model_copy(update=update), engine=engine)
        with access_stream() as stream, TestClient(app) as client:
            client.get("/healthz")
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    assert lines_for_one_request(access_log=False) == []
    [line] = lines_for_one_request(log_client_address=True)
    assert line["client"] == "testclient" and line["route"] == "/healthz"


@pytest.fixture
def server(cli_env, tmp_path) -> Iterator[tuple[str, subprocess.Popen, dict]]:
    """`python -m app serve` as production runs it (its logging configuration), on a free port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--no-import"],
        env=cli_env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", headers={"X-Request-ID": "startup-probe"}, timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("server did not start: " + (process.stderr.read() if process.poll() is not None else "timeout"))
        yield base, process, cli_env
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_serve_writes_one_json_access_line_per_request_and_uvicorn_none(server, tmp_path):
    base, process, env = server
    minted = subprocess.run(
        [sys.executable, "-m", "app", "token", "--scope", "learner", "--sub", "demo", "--locality", "00070"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = minted.stdout.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    statuses = [
        httpx.get(f"{base}/api/v1/me/progress?q=1", headers={**bearer, "X-Request-ID": "req-1"}).status_code,
        httpx.get(f"{base}/healthz", headers={"X-Request-ID": "req-2"}).status_code,
        httpx.post(f"{base}/api/v1/progress/events", headers={**bearer, "X-Request-ID": "req-3"}).status_code,
    ]
    time.sleep(0.3)  # the last line is written after the response is sent
    process.terminate()
    _, stderr = process.communicate(timeout=30)

    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is JSON
    assert not [r for r in records if r["logger"] == "uvicorn.access"]
    mine = [r for r in records if r["logger"] == "app.access" and r["request_id"].startswith("req-")]
    assert [(r["request_id"], r["method"], r["route"], r["status"]) for r in mine] == [
        ("req-1", "GET", "/api/v1/me/progress", statuses[0]),
        ("req-2", "GET", "/healthz", statuses[1]),
        ("req-3", "POST", "/api/v1/progress/events", statuses[2]),
    ]
    assert statuses[0] == 200 and all(set(r) == FIELDS for r in mine)
    access_lines = "\n".join(json.dumps(r) for r in records if r["logger"] == "app.access")
    assert token not in stderr and "q=1" not in stderr and "127.0.0.1" not in access_lines
