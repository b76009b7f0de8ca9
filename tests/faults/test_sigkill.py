"""SIGKILL of the whole server mid-load: every acknowledged event is stored exactly once, nothing acknowledged is
lost, resending everything duplicates nothing, and the statistics counters still equal a rebuild."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import create_engine, text

from tests.test_cli_and_processes import _free_port, run_cli, start_server

LEARNERS = 4


def _batch() -> list[dict]:
    now = datetime.now(UTC).isoformat()
    return [
        {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "tu-chon", "lesson": lesson, "at": now}
        for lesson in ("bai-mot", "bai-hai")
    ]


def _resend(port: int, token: str, batch: list[dict]) -> dict:
    """Send a batch as a well-made app does: on 429 or 503 wait what Retry-After says, then try again;
    read the body only once the status says it was accepted."""
    deadline = time.monotonic() + 120
    while True:
        reply = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/progress/events",
            json={"events": batch},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        if reply.status_code == 200:
            return reply.json()
        assert reply.status_code in (429, 503), (reply.status_code, reply.text)
        assert time.monotonic() < deadline, f"still refused after 120 s: {reply.status_code} {reply.text}"
        time.sleep(min(float(reply.headers.get("Retry-After", "1")), 10.0))


def test_sigkill_mid_load_loses_and_duplicates_nothing(cli_env, tmp_path):
    port = _free_port()
    server = start_server(cli_env, port, tmp_path)
    tokens = [
        run_cli(
            "token", "--scope", "learner", "--sub", f"k{n}", "--locality", "00070", env=cli_env, cwd=tmp_path
        ).stdout.strip()
        for n in range(LEARNERS)
    ]
    sent: list[tuple[str, list[dict]]] = []
    acknowledged: list[list[dict]] = []
    stop = threading.Event()

    def learner(token: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as c:
            while not stop.is_set():
                batch = _batch()
                sent.append((token, batch))
                try:
                    if c.post("/api/v1/progress/events", json={"events": batch}, timeout=5).status_code == 200:
                        acknowledged.append(batch)
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=learner, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    time.sleep(3)
    os.killpg(server.pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    server.wait(timeout=10)
    assert len(acknowledged) > 10, "the load did not get going before the kill"

    server = start_server(cli_env, port, tmp_path)
    try:
        for token, batch in sent:  # an app resends everything it is not sure of
            reply = _resend(port, token, batch)
            assert reply["accepted"] + reply["duplicates"] == len(batch) and reply["rejected"] == []
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    url = cli_env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = {row[0] for row in connection.execute(text("SELECT event_id FROM progress_event"))}
        rows = connection.execute(text("SELECT count(*) FROM progress_event")).scalar()
    engine.dispose()
    every_id = {uuid.UUID(event["id"]) for _, batch in sent for event in batch}
    acked_ids = {uuid.UUID(event["id"]) for batch in acknowledged for event in batch}
    assert acked_ids <= {uuid.UUID(str(i)) for i in stored}  # nothing acknowledged was lost
    assert rows == len(stored) == len(every_id)  # everything resent is stored exactly once
    check = run_cli("stats", "rebuild", "--check", env=cli_env, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
