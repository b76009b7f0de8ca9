"""Engine, metadata naming convention, sessions and schema migration."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import psycopg
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic_core import to_json
from sqlalchemy import (
    ClauseElement,
    Column,
    ColumnElement,
    DateTime,
    Engine,
    Insert,
    Select,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    literal,
    null,
    orm,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROOT = Path(__file__).resolve().parent.parent
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_KEY = 7_243_001  # PostgreSQL advisory lock shared by every migrating process
ROW_ID_MAX = 2**31 - 1  # the largest id an INTEGER primary key holds on PostgreSQL: the bound on ids a caller sends


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE so concurrent writers wait instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: an acknowledged batch survives a power cut (apps drop their offline queue on 200).
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted content is overwritten with zeros, so an erased learner leaves no bytes in free pages.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A deferred transaction that later writes can fail with "database is locked"
        # without waiting; taking the write lock up front makes writers queue politely.
        # Read-only work (GET requests, readiness) keeps WAL's concurrent readers.
        read_only = connection.get_execution_options().get("read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 10, pre_ping: bool = False, pgbouncer: bool = False
) -> Engine:
    """An engine for any SQLAlchemy URL, tuned for SQLite or PostgreSQL.

    The pool keeps `pool_size` connections open: size it to the requests one worker runs at once, since
    a connection opened beyond it (overflow) is closed again when returned, and opening one costs more
    than the whole write it serves.

    Without `pre_ping` a connection that died while pooled fails the one request that finds it (503
    database_unavailable, with Retry-After) and SQLAlchemy then discards every connection older than the
    failure; with it, every checkout costs a round trip (about a tenth of a progress batch).

    `pgbouncer`: the URL leads to PgBouncer in transaction pooling (DATABASE_PGBOUNCER); see `_connect_args`."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        pool_pre_ping=pre_ping,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args=_connect_args(pgbouncer=pgbouncer),
    )


def make_async_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 10, pre_ping: bool = False, pgbouncer: bool = False
) -> AsyncEngine | None:
    """The engine of the learners' writes (`Transactions`) on PostgreSQL: psycopg's async connections, pooled
    like `make_engine`'s (its own pool of `pool_size`); None for SQLite, whose driver has no async form."""
    if not url.startswith("postgresql"):
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_async_engine(  # postgresql+psycopg: SQLAlchemy picks the dialect's async variant
        url,
        pool_pre_ping=pre_ping,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args=_connect_args(pgbouncer=pgbouncer),
    )


def make_unpooled_engine(url: str, *, pgbouncer: bool = False) -> Engine:
    """A short-lived engine (CLI, migrations) that keeps no connections open."""
    if url.startswith("sqlite"):
        return make_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, poolclass=NullPool, connect_args=_connect_args(pgbouncer=pgbouncer))


def _connect_args(*, pgbouncer: bool) -> dict:
    """psycopg's arguments. psycopg prepares a statement on the server once a connection has run it 5 times
    (`prepare_threshold`) and then executes it by name; PgBouncer in transaction pooling (1.18) gives the next
    transaction whichever server connection is free, where that name does not exist ("prepared statement
    _pg3_0 does not exist"). Behind it psycopg prepares nothing (None). Nothing else the service relies on
    outlives a transaction: its advisory locks are pg_advisory_xact_lock, and it uses no SET, LISTEN or
    temporary table (tests/test_pgbouncer.py)."""
    return {"prepare_threshold": None} if pgbouncer else {}


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` behind a `table=True` model, for Core statements (INSERT ... ON CONFLICT, bulk UPDATE)."""
    return model.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table models, never declares it


class _Identified(Protocol):
    id: int | None


def row_id(row: _Identified) -> int:
    """The autoincrement id of a row read from the database or flushed to it (None only before that)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it before using its id")
    return row.id


def insert_for(session: Session, table: Table):
    """An INSERT that knows `on_conflict_do_*` on either backend (both dialects spell it the same)."""
    return dialect_insert(session.get_bind().dialect.name, table)


@lru_cache(maxsize=32)
def inserting(model) -> Insert:
    """A plain INSERT of `model`'s table, built once (its compiled form is cached); executed with rows."""
    return insert(model.__table__)


def dialect_insert(dialect: str, table: Table):
    """`insert_for` by dialect name: for statements built once and reused (their compiled form is cached)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Rows per statement on PostgreSQL: a request's writes go in one statement; a national `stats rebuild`
# (millions of counter rows) goes in statements of this many rows each, well under a parameter's 1 GB.
MAX_ROWS_PER_STATEMENT = 10_000


class Writes:
    """Inserts of one change, sent together at its end: on PostgreSQL as one statement (each insert a
    data-modifying CTE reading its rows from JSON: one round trip, one prepared plan per shape), elsewhere
    one executemany after another. Whatever reads or changes these rows before the end calls `send` first.

    An insert may add to existing rows instead (`adding=(conflict keys, fields)`: ON CONFLICT DO UPDATE SET
    field = field + excluded.field), as the statistics counters do.
    """

    def __init__(self) -> None:
        self.items: list[tuple[Insert, list[dict], tuple[tuple[str, ...], tuple[str, ...]] | None]] = []

    def add(
        self, statement: Insert, rows: list[dict], *, adding: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    ) -> None:
        if rows:
            self.items.append((statement, rows, adding))

    def send(self, session: Session) -> None:
        items, self.items = self.items, []
        if not items:
            return
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            for statement, rows, _ in items:
                connection.execute(statement, rows)
            return
        if any(len(rows) > MAX_ROWS_PER_STATEMENT for _, rows, _ in items):  # a rebuild, not a request
            for statement, rows, adding in items:
                sql = _from_json_sql(statement.table, tuple(rows[0]), adding)
                for start in range(0, len(rows), MAX_ROWS_PER_STATEMENT):
                    chunk = rows[start : start + MAX_ROWS_PER_STATEMENT]
                    connection.exec_driver_sql(sql, (to_json(chunk).decode(),))
            return
        connection.exec_driver_sql(*_one_statement(items))

    def statement(self) -> tuple[str, tuple[str, ...]] | None:
        """What `send` sends on PostgreSQL for a request's writes, as psycopg's text and parameters (None: nothing
        to write), for a connection without a session (`Transactions.direct`); the writes are taken."""
        items, self.items = self.items, []
        if not items:
            return None
        if any(len(rows) > MAX_ROWS_PER_STATEMENT for _, rows, _ in items):
            raise ValueError(f"more than {MAX_ROWS_PER_STATEMENT} rows in one insert: send them with `send`")
        return _one_statement(items)


def _one_statement(items: list) -> tuple[str, tuple[str, ...]]:
    """Every insert of `items` in one statement, each a data-modifying CTE reading its rows from one JSON
    parameter."""
    parts, params = [], []
    for n, (statement, rows, adding) in enumerate(items):
        parts.append(f"w{n} AS ({_from_json_sql(statement.table, tuple(rows[0]), adding)})")
        params.append(to_json(rows).decode())
    return f"WITH {', '.join(parts)} SELECT 1", tuple(params)


@lru_cache(maxsize=256)
def _from_json_sql(
    table: Table, columns: tuple[str, ...], adding: tuple[tuple[str, ...], tuple[str, ...]] | None
) -> str:
    """An INSERT for PostgreSQL whose rows come as one JSON array (`json_populate_recordset` reads it into the
    table's own row type), made once per shape.

    The text is the same whatever the number of rows, so psycopg keeps its parsed form and, once used a few
    times, the server its plan (a prepared statement); the rows cost one parameter, encoded in Rust
    (pydantic_core), never near the 65,535 parameters a statement may bind. Names come from the models'
    tables, never from input."""
    names = ", ".join(columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table.name}, %s)"  # noqa: S608 - names from the models, values bound
    if adding is not None:
        keys, fields = adding
        sets = ", ".join(f"{f} = {table.name}.{f} + excluded.{f}" for f in fields)
        sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    return sql


def tagged(kind: str, columns: Mapping[str, Any], **given: Any) -> Select:
    """One part of a tagged UNION ALL (several reads in one round trip): a `kind` column saying what the row
    holds, then every column of `columns` (name -> type) by name, a typed NULL where not `given`; each part
    lists the same columns, so the union keeps their types and a reader takes them by name (`row.course`)."""
    values = [given.get(name, cast(null(), type_)).label(name) for name, type_ in columns.items()]
    return select(literal(kind).label("kind"), *values)


def one_of(column: ColumnElement, name: str, item_type: Any, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the list bound as `name`. On PostgreSQL `column = ANY(:name)`, the list one array
    parameter, so the statement's text is the same whatever the list's length: compiled once, never expanded
    per call (an expanding IN renders a typed placeholder per item on every execution), and one prepared plan.
    Elsewhere (SQLite) an expanding IN."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(item_type)))
    return column.in_(bindparam(name, expanding=True))


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _session_for(engine: Engine) -> AsyncIterator[Session]:
    """A session opened on the event loop (no I/O: it connects on first use, in the handler's thread) and
    closed there too when its work was committed; only a transaction still open (a read, or a write cut
    short by an error) is closed in the thread pool, since its rollback is a round trip."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; the engine comes from the app (tests swap it)."""
    engine = request.app.state.engine
    if request.method in ("GET", "HEAD"):
        engine = engine.execution_options(read_only=True)
    async for session in _session_for(engine):
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

T = TypeVar("T")


class Deferred(Exception):
    """Raised by work on `Transactions.direct` that the direct path does not make: rolled back, made with `run`."""


@lru_cache(maxsize=16)
def psycopg_sql(statement: ClauseElement, column_keys: tuple[str, ...] | None = None) -> tuple[str, dict[str, Any]]:
    """A Core statement compiled once for psycopg on PostgreSQL, for `Transactions.direct`: its text, with
    `%(name)s` placeholders, and the values of the literals it binds itself. The caller's values go to psycopg as
    they are, with no SQLAlchemy type processing: strings, UUIDs, lists of them and aware datetimes, which psycopg
    adapts as SQLAlchemy's psycopg dialect would. `column_keys`: the columns an INSERT is given."""
    compiled = statement.compile(dialect=_PSYCOPG, column_keys=list(column_keys) if column_keys else None)
    assert isinstance(compiled, SQLCompiler)
    literals = {compiled.bind_names[bind]: bind.value for bind in compiled.binds.values() if not bind.required}
    return compiled.string, literals


_PSYCOPG = PGDialect_psycopg()


class Transactions:
    """Runs a learner's change or read: `await transactions.run(work)`, where `work(session)` does it with the
    ordinary synchronous Session (and commits, for a change).

    On PostgreSQL the session runs on psycopg's async connection, driven from the event loop through
    SQLAlchemy's greenlet bridge (`AsyncSession.run_sync`): the same code as everywhere else, each round trip
    awaited without holding the loop, and no hand-off to the thread pool. That hand-off (a thread woken, the
    GIL passed back and forth at every round trip, the loop woken with the result) cost a worker as much CPU
    as the batch's own statements (docs/SCALING.md, round 3). `work` must not block but on the database: it
    runs on the event loop. Without an async engine (SQLite; a test's joined connection) `work` runs in the
    thread pool on a session from `sessions`, or from `readers` with `read_only` (on SQLite a plain BEGIN
    rather than the writer's BEGIN IMMEDIATE)."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        async_engine: AsyncEngine | None = None,
        *,
        readers: Callable[[], Session] | None = None,
    ) -> None:
        self.sessions = sessions
        self.readers = readers or sessions
        self.async_engine = async_engine

    async def direct(self, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T | None:
        """`work` on psycopg's own connection, checked out of the async engine's pool, with no SQLAlchemy between
        its statements (they come from `psycopg_sql` and `Writes.statement`): a learner's commonest change on
        PostgreSQL, for what SQLAlchemy's session costs a worker per transaction (docs/SCALING.md, round 6).
        `work` runs in one transaction, committed when it returns. `Deferred` raised by it rolls back and gives
        None, as does having no async engine (SQLite; a test's joined connection): the caller then makes the
        change with `run`. A connection that fails is discarded (503 database_unavailable, app/errors.py)."""
        if self.async_engine is None:
            return None
        pooled = await greenlet_spawn(self.async_engine.sync_engine.raw_connection)
        try:
            connection = pooled.driver_connection
            assert isinstance(connection, psycopg.AsyncConnection)
            try:
                found = await work(connection)  # psycopg sends BEGIN before its first statement
            except Deferred:
                await connection.rollback()
                return None
            await connection.commit()  # (any other error: rolled back as the pool takes the connection back)
            return found
        except psycopg.OperationalError as exc:
            pooled.invalidate(exc)
            raise
        finally:
            await greenlet_spawn(pooled.close)

    async def run(self, work: Callable[[Session], T], *, read_only: bool = False) -> T:
        if self.async_engine is None:
            return await run_in_threadpool(self._in_thread, work, self.readers if read_only else self.sessions)
        async with AsyncSession(self.async_engine, expire_on_commit=False) as session:
            return await session.run_sync(_handed, work)

    @staticmethod
    def _in_thread(work: Callable[[Session], T], sessions: Callable[[], Session]) -> T:
        with sessions() as session:
            return work(session)


def _handed(session: orm.Session, work: Callable[[Session], T]) -> T:
    """`work` on the session `run_sync` hands over: sqlmodel's AsyncSession makes it a sqlmodel Session."""
    assert isinstance(session, Session)
    return work(session)


def transactions(request: Request) -> Transactions:
    """The app's `Transactions` (tests bind theirs to the test's connection)."""
    return request.app.state.transactions


def read_engine(request: Request) -> Engine:
    """The replica engine when DATABASE_REPLICA_URL is set, else the primary (read-only either way)."""
    engine = getattr(request.app.state, "replica_engine", None) or request.app.state.engine
    return engine.execution_options(read_only=True)


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only session on the replica: for reads that may lag a few seconds (statistics, catalogue)."""
    async for session in _session_for(read_engine(request)):
        yield session


# Never for anything a learner must read back right after writing: that stays on SessionDep.
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def make_replica_engine(url: str | None, *, pgbouncer: bool = False) -> Engine | None:
    """The streaming replica's engine, or None when no replica is configured."""
    return make_engine(url, pgbouncer=pgbouncer) if url else None


def replica_lag_seconds(engine: Engine) -> float | None:
    """Seconds since the last replayed transaction on a PostgreSQL standby; 0 when fully caught up.

    None when the engine is not a standby (or not PostgreSQL). A standby with no WAL to replay
    reports 0, not the age of the last transaction, so an idle primary does not look like lag.
    """
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT pg_is_in_recovery(),"
            " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
            " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
        ).one()
        connection.rollback()
    in_recovery, lag = row
    if not in_recovery:
        return None
    return max(0.0, float(lag or 0.0))


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class SchemaMismatch(RuntimeError):
    """The database was migrated by a newer release that this code cannot serve."""


def migrate(engine: Engine) -> SchemaStatus:
    """Bring the schema to head; safe when several processes start at once.

    A database already ahead of this code (a newer release applied its expand migration) is left alone when
    it declares this release compatible, so the previous release's workers still start during a rolling
    upgrade; otherwise SchemaMismatch says why."""
    from alembic import command

    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # judge and migrate under the lock env.py takes too
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        status = _schema_status_on(connection)
        if status.state in ("at_head", "behind"):
            command.upgrade(alembic_config(connection), "head")
            return SchemaStatus("at_head", status.head, status.head, "database at this release's head")
        connection.rollback()
    if status.state == "ahead_compatible":
        logging.getLogger(__name__).warning("schema not migrated: %s", status.detail)
        return status
    raise SchemaMismatch(status.detail)


# The schema compatibility marker: the code revisions (releases) that may serve the database's schema. Written
# by migrations/env.py after every upgrade or downgrade, read by a release that finds the database ahead of it
# (it cannot read the newer revisions' files: it does not have them).
schema_compat = Table("schema_compat", SQLModel.metadata, Column("revision", String(32), primary_key=True))


@dataclass(frozen=True)
class SchemaStatus:
    """How the database's schema stands to this code: `state` for machines, `detail` for people."""

    state: str  # at_head, ahead_compatible | behind, ahead_incompatible, unknown_revision
    current: tuple[str, ...]
    head: tuple[str, ...]
    detail: str

    @property
    def servable(self) -> bool:
        return self.state in ("at_head", "ahead_compatible")


def _names(revisions) -> str:
    return ", ".join(sorted(revisions)) or "none"


def judge_schema(current: set[str], *, head: set[str], known: set[str], compatible: set[str] | None) -> SchemaStatus:
    """Compare the database's revisions with this code's (pure). `compatible` is the database's marker (None
    when it has none): the code revisions that may serve it."""

    def status(state: str, detail: str) -> SchemaStatus:
        return SchemaStatus(state, tuple(sorted(current)), tuple(sorted(head)), detail)

    if current == head:
        return status("at_head", "database at this release's head")
    if current <= known:
        return status(
            "behind", f"behind: run migrations (database at {_names(current)}, this release needs {_names(head)})"
        )
    unknown = _names(current - known)
    if compatible is None:
        return status(
            "unknown_revision",
            f"unknown revision {unknown}: not in this release and no compatibility marker in the database"
            " (a database of another application, or one migrated by a newer release without markers)",
        )
    if head <= compatible:
        return status(
            "ahead_compatible", f"ahead, compatible: database at {unknown} declares {_names(head)} compatible"
        )
    return status(
        "ahead_incompatible",
        f"ahead and incompatible with this release: finish the upgrade (database at {unknown} works with code at"
        f" {_names(compatible)}; this release is at {_names(head)})",
    )


@lru_cache(maxsize=1)
def _code_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(head revisions, every revision) of this code's migrations; read once: they do not change while it runs."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions())


def _schema_status_on(connection) -> SchemaStatus:
    from alembic.runtime.migration import MigrationContext

    head, known = _code_revisions()
    current = set(MigrationContext.configure(connection).get_current_heads())
    compatible = None
    if not current <= known and inspect(connection).has_table(schema_compat.name):
        compatible = set(connection.execute(select(schema_compat.c.revision)).scalars())
    return judge_schema(current, head=set(head), known=set(known), compatible=compatible)


def schema_status(engine: Engine) -> SchemaStatus:
    """How the database's schema stands to this code (readiness; read-only)."""
    with engine.connect() as connection:
        connection.execution_options(read_only=True)
        found = _schema_status_on(connection)
        connection.rollback()
    return found


def compatible_code_revisions(script, heads: tuple[str, ...]) -> set[str]:
    """The code revisions that may serve a database at `heads`: each head declares the oldest one with a module
    attribute `compatible_with` (absent: only its own code), and every revision in between may serve too."""
    found = None
    for head in heads:
        revision = script.get_revision(head)
        oldest = getattr(revision.module, "compatible_with", None) or head
        try:
            between = {rev.revision for rev in script.iterate_revisions(head, oldest)}
        except Exception as exc:  # noqa: BLE001 - alembic raises several kinds for a revision off the path
            raise ValueError(f"revision {head}: compatible_with = {oldest!r} is not one of its ancestors") from exc
        found = (between | {oldest}) if found is None else found & (between | {oldest})
    return found or set()


def record_schema_compat(connection, script, heads: tuple[str, ...]) -> None:
    """Rewrite the marker for the database's new `heads` (migrations/env.py, in the migration's transaction)."""
    if not inspect(connection).has_table(schema_compat.name):  # before the revision that creates it
        return
    connection.execute(delete(schema_compat))
    revisions = compatible_code_revisions(script, heads)
    if revisions:
        connection.execute(insert(schema_compat), [{"revision": name} for name in sorted(revisions)])


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
