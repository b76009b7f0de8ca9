"""After an erasure, nothing readable stays in the database files.

Deleting rows is not enough: SQLite keeps the old pages in its write-ahead log until a checkpoint (and in
free pages unless secure_delete zeroes them; app.db turns it on), and PostgreSQL keeps dead tuples until
a vacuum. Each worker that served an erasure asks for a scrub; a background task runs it at most every
`ERASURE_SCRUB_SECONDS`, off the request path: a WAL checkpoint that truncates the log on SQLite, a
VACUUM of the tables that held the learner on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)
MIN_INTERVAL_SECONDS = 0.1

# Every table a learner's key or rows live in (certificates keep the row, unlinked).
LEARNER_TABLES = (
    "learner",
    "progress_event",
    "lesson_completion",
    "enrolment",
    "quiz_attempt",
    "rating",
    "certificate",
)


def scrub(engine: Engine) -> int:
    """Make deleted rows unreadable: checkpoint and truncate SQLite's WAL, or VACUUM PostgreSQL's tables.

    Returns what is left to do: SQLite's WAL frames not yet checkpointed, or the dead tuples the VACUUM could
    not remove because a transaction that started before the erasure still ran. More than 0: scrub again.
    """
    if engine.dialect.name == "sqlite":
        connection = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
        try:
            busy, frames, checkpointed = connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
        return max(frames - checkpointed, 0) if busy else 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.exec_driver_sql("VACUUM " + ", ".join(LEARNER_TABLES))
        dead = autocommit.exec_driver_sql(
            "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relname = ANY(%(tables)s)",
            {"tables": list(LEARNER_TABLES)},
        ).scalar_one()
    return int(dead)


class Scrubber:
    """One per worker: erasures ask, the background task scrubs once for all of them."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval_seconds = max(interval_seconds, MIN_INTERVAL_SECONDS)
        self.pending = False  # set from request threads, read by the loop: a plain flag is enough

    def request(self) -> None:
        self.pending = True

    async def run(self, engine: Engine) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)  # the erasures of one interval share one scrub
            if not self.pending:
                continue
            self.pending = False
            try:
                left = await run_in_threadpool(scrub, engine)
            except Exception:  # the next erasure asks again
                log.exception("scrub after erasure failed")
                continue
            if left:  # an older transaction still held the deleted rows: try again next interval
                log.info("scrub after erasure left %d rows to remove; trying again", left)
                self.pending = True


async def get_scrubber(request: Request) -> Scrubber:
    return request.app.state.scrubber


ScrubberDep = Annotated[Scrubber, Depends(get_scrubber)]
