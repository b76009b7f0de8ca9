"""Fixtures: the database is migrated once per session; each test runs in a transaction rolled back at the end.

SQLite by default (a temporary file). With TEST_DATABASE_URL=postgresql://... the suite creates a fresh
database on that server for the run and drops it afterwards; an unreachable server is an error, never a skip.
With TEST_PGBOUNCER=1 as well, the app, its engine and the processes tests start reach those databases through one
PgBouncer in transaction pooling (tests/pgbouncer.py) started for the run, with DATABASE_PGBOUNCER on.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.catalogue.importer import import_content
from app.config import Settings
from app.db import Transactions, get_read_session, get_session, make_engine, migrate
from app.main import create_app
from tests import pgbouncer as pgbouncer_process

FIXTURES = Path(__file__).parent / "fixtures"
CONTENT = FIXTURES / "content"
PGBOUNCER = os.environ.get("TEST_PGBOUNCER", "") not in ("", "0")


def _fresh_postgres(admin_url: str) -> tuple[str, callable]:
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"bdhvs_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@contextmanager
def _empty_database(sqlite_file: Path) -> Iterator[str]:
    """A fresh database on the TEST_DATABASE_URL PostgreSQL server, or else a new SQLite file."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured and configured.startswith("postgresql"):
        url, drop = _fresh_postgres(configured)
        try:
            yield url
        finally:
            drop()
    else:
        yield f"sqlite:///{sqlite_file}"


@pytest.fixture(scope="session")
def pgbouncer():
    """`pgbouncer(url)`: the same database of the TEST_DATABASE_URL server through a PgBouncer in transaction
    pooling, started once for the run. Missing pgbouncer: a failure with TEST_PGBOUNCER or in CI, else a skip."""
    configured = os.environ.get("TEST_DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        needed = "PgBouncer needs PostgreSQL (set TEST_DATABASE_URL)"
        pytest.fail(needed) if PGBOUNCER else pytest.skip(needed)
    if pgbouncer_process.binary() is None:
        missing = "pgbouncer is not installed (Debian: apt-get install pgbouncer)"
        pytest.fail(missing) if PGBOUNCER or os.environ.get("CI") else pytest.skip(missing)
    with pgbouncer_process.running(configured) as through:
        bouncer = make_url(through)
        yield lambda url: make_url(url).set(host=bouncer.host, port=bouncer.port).render_as_string(hide_password=False)


def _routed(request, url: str) -> str:
    """`url`, or with TEST_PGBOUNCER the same database through the run's PgBouncer."""
    return request.getfixturevalue("pgbouncer")(url) if PGBOUNCER else url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, request) -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured and configured.startswith("sqlite"):
        yield configured
        return
    with _empty_database(tmp_path_factory.mktemp("db") / "test.db") as url:
        yield _routed(request, url)


@pytest.fixture
def fresh_database_url(tmp_path, request) -> Iterator[str]:
    """An empty database of the configured kind, for tests that run real processes against it."""
    with _empty_database(tmp_path / "fresh.db") as url:
        yield _routed(request, url)


@pytest.fixture
def another_database_url(tmp_path, request) -> Iterator[str]:
    """A second empty database, beside `fresh_database_url` (a test comparing two ways of serving)."""
    with _empty_database(tmp_path / "another.db") as url:
        yield _routed(request, url)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url, pgbouncer=PGBOUNCER)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return Settings(
        database_url=database_url,
        database_pgbouncer=PGBOUNCER,
        app_env="test",
        dev_secrets_file=tmp_path_factory.mktemp("secrets") / "dev-secrets.json",
        catalogue_refresh_seconds=0,
        max_body_bytes=64 * 1024,
        max_events_per_batch=50,
        suppression_k=3,
        dev_tokens=True,
        # fixture events are dated in the past of content imported a moment ago: trust device clocks widely
        event_clock_tolerance_seconds=400 * 86400,
        stats_sigma_commune=0,  # exact figures in tests; tests/stats/test_privacy.py measures the noise
        stats_sigma_area=0,
        stats_satisfaction_min_ratings=3,
        stats_release_auto=False,  # tests publish releases when they mean to
        stats_release_in_child=False,  # in the test's own transaction (a child process could not see it)
    )


@pytest.fixture
def connection(engine):
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app_settings(settings) -> Settings:
    """The settings the test app is created with; a test module overrides this fixture to change them."""
    return settings


def on_connection(app: FastAPI, connection: Connection) -> FastAPI:
    """The app's sessions, and its learners' writes, all on the test's connection, inside its transaction.

    The writes then run in the thread pool; tests/learners/test_async_writes.py runs them as served, on
    psycopg's async connections, against a committed database."""
    joined = partial(Session, bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    def test_session() -> Iterator[Session]:
        with joined() as s:
            yield s

    app.dependency_overrides[get_session] = test_session
    app.dependency_overrides[get_read_session] = test_session  # no replica in these tests: one connection
    app.state.transactions = Transactions(joined)
    return app


@pytest.fixture
def app(app_settings, engine, connection):
    return on_connection(create_app(app_settings, engine=engine), connection)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def content(session, app):
    """The fixture courses imported (inside the test's transaction) and served by the app's snapshot."""
    report = import_content(session, CONTENT)
    app.state.catalogue.refresh(session)
    return report


@pytest.fixture
def make_token(settings):
    """make_token("learner", sub="a", locality="00070") -> a development bearer token."""
    from app.auth.tokens import mint_dev_token

    def make(*scopes: str, sub: str = "learner-1", locality: str | None = "00070", expires_in: int = 600) -> str:
        return mint_dev_token(settings, scopes=list(scopes), subject=sub, locality=locality, expires_in=expires_in)

    return make


@pytest.fixture
def auth(make_token):
    """auth("learner", sub=...) -> headers with a bearer token."""

    def headers(*scopes: str, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(*scopes, **kwargs)}"}

    return headers


@pytest.fixture
def cli_env(fresh_database_url, tmp_path) -> dict:
    """The environment of real `python -m app` processes on a fresh database, with development tokens."""
    return {
        **os.environ,
        "DATABASE_URL": fresh_database_url,
        "DATABASE_PGBOUNCER": "true" if PGBOUNCER else "false",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "APP_ENV": "development",
        "DEV_TOKENS": "true",
        "CONTENT_DIR": str(CONTENT),
    }
