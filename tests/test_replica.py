"""A real PostgreSQL streaming replica (pg_basebackup -R, pg_ctl) serves the statistics reads.

Runs only on PostgreSQL (TEST_DATABASE_URL=postgresql://...). The primary must allow replication
connections from 127.0.0.1: when its pg_hba.conf has no such rule and the file is writable here, the
test adds `host replication postgres 127.0.0.1/32 trust` (the same trust the server already gives
`host all all 127.0.0.1/32`) and reloads, which needs no restart.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlmodel import Session

from app.auth.tokens import mint_dev_token
from app.db import make_engine, migrate, replica_lag_seconds
from app.main import create_app
from app.stats import service as stats_service

PG_BIN = Path("/usr/lib/postgresql/15/bin")
URL = "/api/v1/stats/completion"
HBA_RULE = "host replication postgres 127.0.0.1/32 trust"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL's server tools refuse root: run them as the postgres OS user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _allow_replication(admin) -> None:
    rules = admin.execute(text("SELECT database FROM pg_hba_file_rules WHERE type IN ('host', 'hostssl')")).all()
    if any("replication" in (row.database or []) for row in rules):
        return
    hba_file = Path(admin.execute(text("SHOW hba_file")).scalar_one())
    if not os.access(hba_file, os.W_OK):
        pytest.fail(f"{hba_file} has no replication rule for 127.0.0.1 and is not writable here; add: {HBA_RULE}")
    with hba_file.open("a") as handle:
        handle.write(f"\n# added by tests/test_replica.py (reload only)\n{HBA_RULE}\n")
    admin.execute(text("SELECT pg_reload_conf()"))
    time.sleep(0.5)


@pytest.fixture
def primary_url(fresh_database_url) -> str:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("streaming replication needs PostgreSQL (set TEST_DATABASE_URL)")
    return fresh_database_url


@pytest.fixture
def replica_url(primary_url) -> Iterator[str]:
    """A hot standby of the whole test server on a free port, removed afterwards."""
    primary = make_url(primary_url)
    engine = make_engine(primary_url)
    with engine.connect() as admin:
        admin.execute(text("COMMIT"))
        assert admin.execute(text("SHOW wal_level")).scalar_one() in ("replica", "logical")
        assert int(admin.execute(text("SHOW max_wal_senders")).scalar_one()) > 0
        _allow_replication(admin)
        # A standby refuses to start with any of these below the primary's.
        matched = {
            name: admin.execute(text(f"SHOW {name}")).scalar_one()
            for name in ("max_connections", "max_worker_processes", "max_wal_senders")
            + ("max_prepared_transactions", "max_locks_per_transaction")
        }
    engine.dispose()

    data = Path(tempfile.mkdtemp(prefix="bdhvs-replica-"))
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(data, pg.pw_uid, pg.pw_gid)
    data.chmod(0o700)
    port = _free_port()
    host, user = primary.host or "127.0.0.1", primary.username or "postgres"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_basebackup"), "-h", host, "-p", str(primary.port or 5432), "-U", user]
            + ["-D", str(data), "-R", "-X", "stream", "-c", "fast"]
        ),
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Debian keeps the configuration outside the data directory: the standby gets its own, minimal one.
    (data / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
        "hot_standby = on\nshared_buffers = 32MB\nfsync = off\n"
        + "".join(f"{name} = {value}\n" for name, value in matched.items())
    )
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (data / "pg_ident.conf").write_text("")
    for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
        shutil.chown(data / name, "postgres", "postgres") if os.geteuid() == 0 else None
    log = data / "server.log"
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"]),
        check=True,
        capture_output=True,
        timeout=90,
    )
    try:
        yield primary.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(data, ignore_errors=True)


def _wait_for(predicate, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the replica did not catch up in time")
        time.sleep(0.1)


def _wait_until_replayed(primary, replica, *, timeout: float = 60.0) -> None:
    """Wait until the standby has replayed every WAL record the primary had written when called.

    Waiting on the WAL position, not on a query of the replica's tables: a table the migration created
    does not exist on the standby until the migration's WAL has been replayed there.
    """
    with primary.connect() as connection:
        target = connection.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar_one()
    deadline = time.monotonic() + timeout
    while True:
        with replica.connect() as connection:
            done = connection.exec_driver_sql(
                "SELECT pg_last_wal_replay_lsn() >= CAST(%(target)s AS pg_lsn)", {"target": target}
            ).scalar_one()
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica did not replay the primary's WAL up to {target} in {timeout} s")
        time.sleep(0.1)


def _publish(engine, settings) -> int:
    with Session(engine) as session:
        release = stats_service.release_now(session, settings=settings)
        session.commit()
        return release.id


def _release_on(engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT max(id) FROM stats_release")).scalar()


def test_statistics_are_read_from_the_streaming_replica(primary_url, replica_url, settings) -> None:
    primary = make_engine(primary_url)
    migrate(primary)
    replica_settings = settings.model_copy(
        update={"database_url": primary_url, "database_replica_url": replica_url, "replica_max_lag_seconds": 0.2}
    )
    app = create_app(replica_settings, engine=primary)
    replica = app.state.replica_engine
    token = mint_dev_token(replica_settings, scopes=["stats"], subject="analyst", locality=None, expires_in=600)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        _wait_until_replayed(primary, replica)  # the migration's tables exist on the standby from here on
        first = _publish(primary, replica_settings)
        _wait_until_replayed(primary, replica)
        assert _release_on(replica) == first
        with TestClient(app) as client:
            assert client.get(URL, headers=headers).json()["release"]["id"] == first

            # Replay paused: the primary publishes a newer release the replica cannot have yet.
            with replica.connect() as connection:
                connection.execute(text("SELECT pg_wal_replay_pause()"))
                connection.commit()
            second = _publish(primary, replica_settings)
            assert _release_on(primary) == second
            time.sleep(0.3)
            assert client.get(URL, headers=headers).json()["release"]["id"] == first
            lag = replica_lag_seconds(replica)
            assert isinstance(lag, float) and lag > 0
            _wait_for(lambda: client.get("/readyz").json()["replica"]["status"] == "lagging")
            ready = client.get("/readyz")  # the primary serves: ready, with the replica's lag reported
            assert ready.status_code == 200 and ready.json()["replica"]["lag_seconds"] > 0.2

            with replica.connect() as connection:
                connection.execute(text("SELECT pg_wal_replay_resume()"))
                connection.commit()
            _wait_for(lambda: _release_on(replica) == second)
            assert client.get(URL, headers=headers).json()["release"]["id"] == second
            _wait_for(lambda: replica_lag_seconds(replica) < 5)
            _wait_for(lambda: client.get("/readyz").json()["replica"]["status"] == "ok")
        assert replica_lag_seconds(primary) is None
    finally:
        replica.dispose()
        primary.dispose()
