"""A progress batch on psycopg's own connection (PostgreSQL): the commonest learner change, with no SQLAlchemy
between its statements (`Transactions.direct`, app/db.py).

It makes the same change as `service.changing` with `service.record_progress`, from the same parts: the same
statements (the learner's claim and the state's UNION ALL, compiled once from the same Core objects by
`psycopg_sql`), the same decisions (`events.decide`), the same writes (`Writes`, one statement) and the same
counters (`service.enrolments_delta`, `rollups.add_rows`), under the same lock on the learner's row. Round trips:
BEGIN, the claim, the state, the writes, COMMIT.

It makes only a batch that adds rows. A batch that would move the learner's counts to another commune, move a
stored completion back, change a stored enrolment, read quiz passes or complete a course is `Deferred`: rolled
back, then made on the session path, which makes every batch. Those are a few batches in a learner's life (one
completion per course); docs/SCALING.md (round 6) measures both.
"""

from __future__ import annotations

import random
from datetime import datetime

import psycopg
from psycopg.rows import namedtuple_row

from app.auth.tokens import Identity
from app.catalogue.service import Catalogue
from app.db import Deferred, Writes, psycopg_sql
from app.learners.service import claiming, counted_move, enrolments_delta, require_locality
from app.progress import events as batches
from app.progress.planning import BatchPlan, Rules
from app.progress.schemas import EventIn
from app.progress.state import state_of, state_params, state_query
from app.stats import rollups

POSTGRESQL = "postgresql"
CLAIMED = ("key", "commune", "created_at")  # the columns the learner's claim inserts


async def record_progress(
    connection: psycopg.AsyncConnection,
    *,
    identity: Identity,
    catalogue: Catalogue,
    events: list[EventIn],
    shards: int,
    counted_moves: int,
    max_stored: int,
    now: datetime,
    rules: Rules,
) -> BatchPlan:
    """Lock (or create) the learner, read their state, decide the batch and write it in one statement; raises
    `Deferred` for a batch that changes a stored row (module docstring)."""
    locality = require_locality(identity)
    key = identity.learner_key
    async with connection.cursor(row_factory=namedtuple_row) as cursor:
        sql, literals = psycopg_sql(claiming(POSTGRESQL), CLAIMED)
        await cursor.execute(sql, literals | {"key": key, "commune": locality, "created_at": now})
        claimed = await cursor.fetchone()
        assert claimed is not None  # INSERT ... ON CONFLICT DO UPDATE ... RETURNING gives the row either way
        commune, moves = claimed
        if commune != locality and counted_move(moves, counted_moves):
            raise Deferred("the learner moved: their counts move with them (service.ensure_learner)")
        sql, literals = psycopg_sql(state_query(POSTGRESQL))
        await cursor.execute(sql, literals | state_params(key, *batches.asked(events, catalogue)))
        state = state_of(await cursor.fetchall())
        before = list(state.enrolments.values())
        decided = batches.decide(
            state, learner_key=key, catalogue=catalogue, events=events, max_stored=max_stored, now=now, rules=rules
        )
        enrolments = batches.inserts_only(decided, now=now, rules=rules)
        if enrolments is None:
            raise Deferred("the batch changes a stored row or completes a course")
        writes = Writes()
        batches.add_rows(writes, decided, learner_key=key, enrolments=enrolments)
        after = before + enrolments
        shard = random.randrange(shards)  # noqa: S311 - spreading load over the counter rows, as rollups.apply
        rollups.add_rows(writes, enrolments_delta(key, commune, before, after), shard=shard, dialect=POSTGRESQL)
        statement = writes.statement()
        if statement is not None:
            await cursor.execute(*statement)
    return decided.plan
