"""What a transaction's round trips cost a worker on each layer: psycopg alone, and SQLAlchemy's async bridge.

    .venv/bin/python -m bench.bridge [--url postgresql://postgres@127.0.0.1:5432/test]

Each side runs the same transaction, shaped like a progress batch's (docs/SCALING.md, round 4): three
statements and a COMMIT, five round trips with psycopg's BEGIN, 16 transactions in flight on one uvloop event
loop, one connection each. The statements are trivial (`SELECT n WHERE $1 > 0`), so the database's share is
small and the figure is the client's Python: this process's CPU µs per transaction, the best of `TURNS`
alternating turns.

- `psycopg`: psycopg's AsyncConnection, one statement after another;
- `psycopg_engine_pool`: the same on a connection checked out of the async engine's pool and returned to it, as
  `app.db.Transactions.direct` runs a progress batch (round 6);
- `psycopg_pipeline`: the same in pipeline mode, two flights (BEGIN, two statements; the third and COMMIT);
- `sqlalchemy_session`: `AsyncSession.run_sync`, as `app.db.Transactions` runs a learner's change;
- `sqlalchemy_connection`: `AsyncConnection.run_sync` with Core `text()` statements, no ORM session;
- `sqlalchemy_driver_sql`: the same with `exec_driver_sql` (no compilation, no cache lookup).

And the shape a batch would have if it took no lock (round 5): a read, then one write statement that holds every
write, each its own transaction in autocommit, two round trips with no BEGIN and no COMMIT:

- `psycopg_two`: on psycopg alone;
- `sqlalchemy_session_two`: `AsyncSession.run_sync` on the engine in AUTOCOMMIT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import psycopg
import uvloop
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

IN_FLIGHT = 16
TRANSACTIONS = 4000
TURNS = 3
STATEMENTS = [text(f"SELECT {n} WHERE :i > 0") for n in (1, 2, 3)]
RAW = [f"SELECT {n} WHERE %s::int > 0" for n in (1, 2, 3)]


async def _psycopg(conn: psycopg.AsyncConnection, i: int) -> None:
    async with conn.cursor() as cur:
        for sql in RAW[:2]:
            await cur.execute(sql, (i,))
            await cur.fetchall()
        await cur.execute(RAW[2], (i,))
    await conn.commit()


async def _pipelined(conn: psycopg.AsyncConnection, i: int) -> None:
    async with conn.pipeline() as pipeline:
        cursors = [conn.cursor(), conn.cursor()]
        for cur, sql in zip(cursors, RAW[:2], strict=True):
            await cur.execute(sql, (i,))
        await pipeline.sync()
        for cur in cursors:
            await cur.fetchall()
        await conn.execute(RAW[2], (i,))
        await conn.commit()


def _on_sqlalchemy(target, i: int, *, third: bool = True) -> None:
    """The transaction on a Session or a Connection (the same calls on both); `third=False` is the two-statement
    shape, whose COMMIT sends nothing in AUTOCOMMIT."""
    for statement in STATEMENTS[:2]:
        target.execute(statement, {"i": i}).all()
    if third:
        target.execute(STATEMENTS[2], {"i": i})
    target.commit()


async def _psycopg_two(conn: psycopg.AsyncConnection, i: int) -> None:
    async with conn.cursor() as cur:
        for sql in RAW[:2]:
            await cur.execute(sql, (i,))
            await cur.fetchall()


def _driver_sql(connection, i: int) -> None:
    for sql in RAW[:2]:
        connection.exec_driver_sql(sql.replace("%s", "%(i)s"), {"i": i}).all()
    connection.exec_driver_sql(RAW[2].replace("%s", "%(i)s"), {"i": i})
    connection.commit()


async def _turn(one: Callable[[int], Awaitable[None]], n: int) -> float:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    cpu = time.process_time()
    await asyncio.gather(*(gated(i) for i in range(n)))
    return (time.process_time() - cpu) / n * 1e6


async def _measure(url: str) -> dict[str, float]:
    raw_url = url.replace("postgresql+psycopg://", "postgresql://")
    engine: AsyncEngine = create_async_engine(
        raw_url.replace("postgresql://", "postgresql+psycopg://"), pool_size=IN_FLIGHT
    )
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    pool: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
    auto_pool: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
    for _ in range(IN_FLIGHT):
        pool.put_nowait(await psycopg.AsyncConnection.connect(raw_url))
        auto_pool.put_nowait(await psycopg.AsyncConnection.connect(raw_url, autocommit=True))

    def on_pool(transaction: Callable[[psycopg.AsyncConnection, int], Awaitable[None]], pool=pool):
        async def one(i: int) -> None:
            conn = await pool.get()
            try:
                await transaction(conn, i)
            finally:
                pool.put_nowait(conn)

        return one

    async def session(i: int) -> None:
        async with AsyncSession(engine, expire_on_commit=False) as s:
            await s.run_sync(_on_sqlalchemy, i)

    async def session_two(i: int) -> None:
        async with AsyncSession(autocommit, expire_on_commit=False) as s:
            await s.run_sync(_on_sqlalchemy, i, third=False)

    def on_connection(work: Callable[..., None]):
        async def one(i: int) -> None:
            async with engine.connect() as connection:
                await connection.run_sync(work, i)

        return one

    async def on_engine_pool(i: int) -> None:
        pooled = await greenlet_spawn(engine.sync_engine.raw_connection)
        try:
            await _psycopg(pooled.driver_connection, i)
        finally:
            await greenlet_spawn(pooled.close)

    sides: dict[str, Callable[[int], Awaitable[None]]] = {
        "psycopg": on_pool(_psycopg),
        "psycopg_engine_pool": on_engine_pool,
        "psycopg_pipeline": on_pool(_pipelined),
        "sqlalchemy_session": session,
        "sqlalchemy_connection": on_connection(_on_sqlalchemy),
        "sqlalchemy_driver_sql": on_connection(_driver_sql),
        "psycopg_two": on_pool(_psycopg_two, auto_pool),
        "sqlalchemy_session_two": session_two,
    }
    best = {name: float("inf") for name in sides}
    try:
        for one in sides.values():  # warm-up: connections, prepared statements, compiled cache
            await _turn(one, 200)
        for _ in range(TURNS):
            for name, one in sides.items():
                best[name] = min(best[name], await _turn(one, TRANSACTIONS))
    finally:
        for connections in (pool, auto_pool):
            while not connections.empty():
                await connections.get_nowait().close()
        await engine.dispose()
    return {f"bridge_{name}_cpu_us": round(us) for name, us in best.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    figures = uvloop.run(_measure(parser.parse_args().url))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
