"""Publishing a release from a worker: the daily one (every worker keeps a timer; the release's unique slot lets
exactly one compute it) and `POST /admin/stats/releases`.

A national release is seconds of CPU work in Python (issue #24: 3.3 s). Computed in a thread of the worker, it
holds the interpreter's lock in 5 ms turns, and each of the worker's own requests waits for several of them: in
`python -m bench` lesson GETs on that worker went from p95 8.9 ms to 28.7 ms while one ran. So a worker computes
a release in a child process of its own (STATS_RELEASE_IN_CHILD, the default), which shares nothing with the
worker but the database, and waits for it in the thread pool; the worker's requests then share only the cores,
and not equally: the child lowers its own CPU priority by STATS_RELEASE_NICENESS (10 by default), so when the
cores are busy the requests come first and the release, a background job, takes longer.
Tests, whose one connection holds every change in a transaction that a child cannot see, publish in the
caller's session instead (STATS_RELEASE_IN_CHILD=false).
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import multiprocessing
import os
import random
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import Engine, make_url
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import make_unpooled_engine, utcnow
from app.errors import Conflict
from app.ops.logs import log_config
from app.stats import service
from app.stats.schemas import ReleaseOut

log = logging.getLogger(__name__)
MAX_JITTER_SECONDS = 30  # workers do not all hit the database in the same second


def publish(session: Session, settings: Settings, *, slot: str | None = None) -> ReleaseOut | None:
    """Publish a release of the counters as they are now (of `slot`, or a manual one): committed when this
    returns; None if `slot` was already released. In a child process unless STATS_RELEASE_IN_CHILD is off,
    then in `session`. Raises Conflict (409) as `service.release_now` does."""
    if not settings.stats_release_in_child or _in_memory(settings.database_url):
        found = service.release_now(session, settings=settings, slot=slot)
        session.commit()
        return None if found is None else service.release_out(found)
    outcome, value = _in_child(settings, slot)
    if outcome == "conflict":
        raise Conflict(value["message"], code=value["code"])
    if outcome == "failed":
        raise RuntimeError(f"the statistics release failed in its process: {value}")
    return None if value is None else ReleaseOut.model_validate(value)


def _in_child(settings: Settings, slot: str | None) -> tuple[str, Any]:
    """`_publish_here` in a spawned process, its answer back through a pipe. A plain Process and Pipe, not a
    ProcessPoolExecutor: they hold no semaphores, so a worker stopped during a release leaves nothing for
    multiprocessing's resource tracker to warn about on stderr (whose every line is JSON). The child is a daemon:
    a worker that exits ends it, and its uncommitted release with it."""
    context = multiprocessing.get_context("spawn")
    answers, sender = context.Pipe(duplex=False)
    child = context.Process(target=_publish_here, args=(settings, slot, sender), daemon=True)
    child.start()
    sender.close()  # the child holds the only sending end: EOF if it dies without answering
    try:
        answer = answers.recv()
    except EOFError:
        answer = ("failed", "the process ended without an answer")
    finally:
        answers.close()
        child.join()
    return answer


def _in_memory(url: str) -> bool:
    """An in-memory SQLite database exists only in this process: a child could not reach it."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _publish_here(settings: Settings, slot: str | None, sender: Connection) -> None:
    """The child's side of `publish`: its own connection and transaction, its logs as JSON lines like the
    worker's; sends back plain values."""
    logging.config.dictConfig(log_config())
    niceness = lower_priority(settings.stats_release_niceness)
    log.info("statistics release computing", extra={"fields": {"pid": os.getpid(), "niceness": niceness}})
    engine = make_unpooled_engine(settings.database_url, pgbouncer=settings.database_pgbouncer)
    try:
        with Session(engine, expire_on_commit=False) as session:
            found = service.release_now(session, settings=settings, slot=slot)
            session.commit()
            answer: tuple[str, Any] = (
                "published",
                None if found is None else service.release_out(found).model_dump(mode="json"),
            )
    except Conflict as exc:
        answer = "conflict", {"message": exc.message, "code": exc.code}
    except Exception as exc:
        log.exception("statistics release failed")
        answer = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
    sender.send(answer)
    sender.close()


def lower_priority(increment: int) -> int | None:
    """This process's CPU priority lowered by `increment` (`os.nice`); its niceness after, None where the platform
    has no `nice`. A process can always lower its own priority; only raising it back needs privileges."""
    if not hasattr(os, "nice"):
        return None
    return os.nice(increment)


def release_slot(engine: Engine, settings: Settings, slot: datetime) -> None:
    """Publish the release of `slot` unless another process already has."""
    with Session(engine, expire_on_commit=False) as session:
        found = publish(session, settings, slot=slot.isoformat())
    if found is not None:
        log.info("statistics release %s published for %s", found.id, slot.isoformat())


async def run_daily_releases(engine: Engine, settings: Settings) -> None:
    """Catch up on the latest scheduled slot at start, then wake at each next one."""
    while True:
        slot = service.scheduled_slot(utcnow(), settings)
        try:
            await run_in_threadpool(release_slot, engine, settings, slot)
        except Exception:  # the next slot tries again; statistics keep serving the last release
            log.exception("statistics release for %s failed", slot.isoformat())
        wait = (slot + timedelta(days=1) - utcnow()).total_seconds()
        await asyncio.sleep(max(wait, 1) + random.uniform(0, MAX_JITTER_SECONDS))  # noqa: S311 - load spreading
