"""PgBouncer in transaction pooling (Debian's 1.18) in front of PostgreSQL: what breaks behind it, and that the
service works through it with DATABASE_PGBOUNCER on (docs/operations.md).

Runs on PostgreSQL (TEST_DATABASE_URL) with pgbouncer installed; without pgbouncer it is skipped, and in CI
(CI=1) or with TEST_PGBOUNCER=1 that is a failure. The run's PgBouncer hands out server connections round robin,
so after `_spread` each transaction of one client lands on another server connection, as it does under load.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.catalogue.importer import import_content
from app.db import MIGRATION_LOCK_KEY, make_engine, migrate, schema_status
from app.main import create_app
from tests.conftest import CONTENT


@pytest.fixture
def bouncer_url(pgbouncer, fresh_database_url) -> str:
    """An empty database reached through the run's PgBouncer."""
    return pgbouncer(fresh_database_url)


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _spread(url: str, servers: int = 3) -> None:
    """Make PgBouncer open `servers` server connections to this database: as many transactions at once."""
    clients = [psycopg.connect(_plain(url), prepare_threshold=None) for _ in range(servers)]
    try:
        pids = {client.execute("SELECT pg_backend_pid()").fetchone()[0] for client in clients}  # all in a transaction
        assert len(pids) == servers
    finally:
        for client in clients:
            client.rollback()  # a client leaving in a transaction takes its server connection with it
            client.close()


def _ten_transactions(engine) -> set[int]:
    """One statement run in ten transactions in a row on one pooled connection; the server processes seen."""
    pids = set()
    for n in range(10):
        with engine.begin() as connection:
            assert connection.execute(text("SELECT CAST(:n AS integer) + 1"), {"n": n}).scalar_one() == n + 1
            pids.add(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    return pids


def test_prepared_statements_break_across_transactions_unless_the_engine_prepares_none(bouncer_url):
    _spread(bouncer_url)
    default = make_engine(bouncer_url, pool_size=1, max_overflow=0)
    try:
        # psycopg prepares the statement on its 5th run; the next transaction is on another server connection.
        with pytest.raises(DBAPIError, match="prepared statement .* does not exist"):
            _ten_transactions(default)
    finally:
        default.dispose()
    behind_pgbouncer = make_engine(bouncer_url, pool_size=1, max_overflow=0, pgbouncer=True)
    try:
        assert len(_ten_transactions(behind_pgbouncer)) > 1  # one client, several server connections, no error
    finally:
        behind_pgbouncer.dispose()


def test_the_service_records_progress_through_pgbouncer(bouncer_url, settings, auth):
    engine = make_engine(bouncer_url, pgbouncer=True)
    migrate(engine)
    with Session(engine) as session:
        import_content(session, CONTENT)
        session.commit()
    _spread(bouncer_url)
    app = create_app(settings.model_copy(update={"database_url": bouncer_url, "database_pgbouncer": True}))
    lessons = ("mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao")
    learners = [auth("learner", sub=f"pgbouncer-{n}") for n in range(12)]
    try:
        with TestClient(app) as client:
            # Batches in a row (a read in between would roll back, and psycopg forgets its prepared statements
            # on a rollback): their statements are prepared by the 5th batch unless the engine prepares none.
            for headers in learners:
                events = [
                    {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "an-toan", "lesson": lesson}
                    | {"at": datetime(2026, 11, 1, 8, minute, tzinfo=UTC).isoformat()}
                    for minute, lesson in enumerate(lessons)
                ]
                reply = client.post("/api/v1/progress/events", json={"events": events}, headers=headers)
                assert reply.status_code == 200, reply.text
                assert reply.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
            for headers in learners:
                mine = client.get("/api/v1/me/progress", headers=headers).json()["courses"]
                assert next(c for c in mine if c["course"] == "an-toan")["lessons_done"] == 3
    finally:
        app.state.engine.dispose()
        engine.dispose()


def test_a_migration_waits_for_the_migration_lock_held_through_pgbouncer(bouncer_url):
    """The lock lives as long as its transaction (pg_advisory_xact_lock), which PgBouncer keeps on one server
    connection; a session-level lock would stay behind on a server connection other clients then get."""
    holder = psycopg.connect(_plain(bouncer_url), prepare_threshold=None)
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
    engine = make_engine(bouncer_url, pgbouncer=True)
    outcome: dict = {}
    migrating = threading.Thread(target=lambda: outcome.update(status=migrate(engine)))
    migrating.start()
    try:
        with psycopg.connect(_plain(bouncer_url), autocommit=True, prepare_threshold=None) as observer:
            deadline = time.monotonic() + 30
            while not observer.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
                (MIGRATION_LOCK_KEY,),
            ).fetchone()[0]:
                assert time.monotonic() < deadline, "the migration never waited for the lock"
                time.sleep(0.05)
        assert migrating.is_alive() and schema_status(engine).state == "behind"
    finally:
        holder.commit()  # releases the lock
        migrating.join(timeout=120)
        holder.close()
    try:
        assert outcome["status"].state == "at_head"
        assert schema_status(engine).state == "at_head"
    finally:
        engine.dispose()
