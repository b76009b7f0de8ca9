"""The daily release: every worker keeps a timer; the release's unique slot lets exactly one compute it."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import utcnow
from app.stats import service

log = logging.getLogger(__name__)
MAX_JITTER_SECONDS = 30  # workers do not all hit the database in the same second


def release_slot(engine: Engine, settings: Settings, slot: datetime) -> None:
    """Publish the release of `slot` unless another process already has (the caller's own transaction)."""
    with Session(engine, expire_on_commit=False) as session:
        found = service.release_now(session, settings=settings, slot=slot.isoformat())
        session.commit()
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
