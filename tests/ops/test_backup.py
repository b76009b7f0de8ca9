"""The backup runbook of docs/operations.md, rehearsed: a backup taken while learners send progress (pg_dump -Fc
on PostgreSQL, `python -m app backup` on SQLite), restored into a new database, holds every event acknowledged
before the backup began, and its statistics counters agree with a rebuild from its raw rows."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.test_cli_and_processes import _free_port, run_cli, start_server

LEARNERS = 3
BEFORE_BACKUP = 20  # batches acknowledged before the backup starts
AFTER_BACKUP = 10  # and after it ends: the service took writes throughout


class Load:
    """Learners sending progress batches until stopped; remembers which batches were acknowledged (200)."""

    def __init__(self, port: int, tokens: list[str]) -> None:
        self.port, self.tokens = port, tokens
        self.sent: list[dict] = []
        self.acknowledged: list[dict] = []
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._learner, args=(t,)) for t in tokens]

    def _learner(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=headers, timeout=10) as client:
            while not self.stop.is_set():
                now = datetime.now(UTC).isoformat()
                batch = [
                    {
                        "id": str(uuid.uuid4()),
                        "type": "lesson_completed",
                        "course": "tu-chon",
                        "lesson": slug,
                        "at": now,
                    }
                    for slug in ("bai-mot", "bai-hai")
                ]
                with self.changed:
                    self.sent.extend(batch)
                reply = client.post("/api/v1/progress/events", json={"events": batch})
                assert reply.status_code == 200, reply.text
                with self.changed:
                    self.acknowledged.extend(batch)
                    self.changed.notify_all()

    def wait_for(self, batches: int) -> None:
        with self.changed:
            reached = self.changed.wait_for(lambda: len(self.acknowledged) >= 2 * batches, timeout=60)
        assert reached, f"only {len(self.acknowledged) // 2} batches acknowledged in 60 s"
        assert all(t.is_alive() for t in self.threads), "a learner stopped (see its assertion above)"

    def acknowledged_ids(self) -> set[uuid.UUID]:
        with self.changed:
            return {uuid.UUID(event["id"]) for event in self.acknowledged}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _backup(database_url: str, tmp_path) -> Callable[[], tuple[str, Callable[[], None]]]:
    """Take the backup now (the load keeps running); returns how to restore it into a new database, which gives
    the new database's URL and how to remove it."""
    if make_url(database_url).get_backend_name() == "postgresql":
        dump = tmp_path / "bdhvs.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "-d", _libpq(database_url)], check=True, timeout=120)  # noqa: S603, S607

        def restore() -> tuple[str, Callable[[], None]]:
            url = make_url(database_url)
            restored = f"{url.database}_restored"
            admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{restored}"'))
            target = url.set(database=restored).render_as_string(hide_password=False)

            def drop() -> None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
                admin.dispose()

            try:
                subprocess.run(  # noqa: S603
                    ["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(target), str(dump)],  # noqa: S607
                    check=True,
                    timeout=120,
                )
            except BaseException:
                drop()
                raise
            return target, drop

        return restore
    copy = tmp_path / "bdhvs-backup.db"
    result = run_cli("backup", str(copy), env={**os.environ, "DATABASE_URL": database_url}, cwd=tmp_path)
    assert result.returncode == 0 and "integrity ok" in result.stdout, result.stdout + result.stderr

    def restore() -> tuple[str, Callable[[], None]]:
        (tmp_path / "restored").mkdir()
        shutil.copyfile(copy, tmp_path / "restored" / "bdhvs.db")
        return f"sqlite:///{tmp_path / 'restored' / 'bdhvs.db'}", lambda: None

    return restore


def _stored_event_ids(url: str) -> set[uuid.UUID]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        stored = {uuid.UUID(str(row[0])) for row in connection.execute(text("SELECT event_id FROM progress_event"))}
    engine.dispose()
    return stored


def test_a_backup_taken_under_load_restores_every_acknowledged_event(cli_env, tmp_path):
    port = _free_port()
    tokens = [
        run_cli(
            "token", "--scope", "learner", "--sub", f"b{n}", "--locality", "00070", env=cli_env, cwd=tmp_path
        ).stdout.strip()
        for n in range(LEARNERS)
    ]
    server = start_server(cli_env, port, tmp_path)
    load = Load(port, tokens)
    try:
        for thread in load.threads:
            thread.start()
        load.wait_for(BEFORE_BACKUP)
        acknowledged_before_backup = load.acknowledged_ids()
        restore = _backup(cli_env["DATABASE_URL"], tmp_path)
        acknowledged_when_done = len(load.acknowledged_ids()) // 2
        load.wait_for(acknowledged_when_done + AFTER_BACKUP)
    finally:
        load.stop.set()
        for thread in load.threads:
            thread.join(timeout=30)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    restored_url, drop = restore()
    try:
        stored = _stored_event_ids(restored_url)
        missing = acknowledged_before_backup - stored
        assert not missing, f"{len(missing)} events acknowledged before the backup are not in the restored copy"
        assert stored <= {uuid.UUID(event["id"]) for event in load.sent}  # nothing else came back
        assert len(stored) < len(load.acknowledged_ids())  # the copy is of a moment, not of the end
        check = run_cli("stats", "rebuild", "--check", env={**cli_env, "DATABASE_URL": restored_url}, cwd=tmp_path)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        drop()
