"""The snapshot a worker serves, and the refresher that keeps it current off the request path.

Each worker checks a cheap revision query every `catalogue_refresh_seconds` in the background and
reloads when an import changed something, so a new version is served within seconds without a restart,
and no request ever waits on the database for the catalogue.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.catalogue.published import build_responses
from app.catalogue.service import Catalogue, catalogue_revision, load_catalogue
from app.errors import AppError
from app.http import Prebuilt

log = logging.getLogger(__name__)


class CatalogueUnavailable(AppError):
    status, code = 503, "catalogue_unavailable"


@dataclass(frozen=True)
class Snapshot:
    """What a worker serves: the catalogue and its prebuilt public responses."""

    catalogue: Catalogue
    responses: dict[tuple[str, ...], Prebuilt]


class CatalogueCache:
    """One per app: the current snapshot, replaced whole when an import changed the catalogue.

    Requests only read `current()`: no database, no lock. Freshness is checked off the request path,
    by the app's background refresher every `refresh_seconds` (and by tests, explicitly).
    """

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None

    def current(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise CatalogueUnavailable("the catalogue is loading; try again in a few seconds")
        return snapshot

    def refresh(self, session: Session) -> bool:
        """Reload if an import changed anything since the served snapshot; True when it did."""
        with self._lock:
            served = self._snapshot
            if served is not None and catalogue_revision(session) == served.catalogue.revision:
                return False
            catalogue = load_catalogue(session)
            self._snapshot = Snapshot(catalogue, build_responses(catalogue))
            return True

    def refresh_from(self, engine: Engine) -> bool:
        with Session(engine.execution_options(read_only=True)) as session:
            return self.refresh(session)

    async def keep_fresh(self, engine: Engine) -> None:
        """Check every refresh_seconds, forever (0: never; tests refresh explicitly)."""
        while self.refresh_seconds > 0:
            await asyncio.sleep(self.refresh_seconds)
            await self.keep_fresh_once(engine)

    async def keep_fresh_once(self, engine: Engine) -> None:
        try:
            if await run_in_threadpool(self.refresh_from, engine):
                log.info("catalogue snapshot loaded")
        except Exception:  # the next check tries again; the served snapshot stays
            log.exception("catalogue refresh failed")


def current_snapshot(request: Request) -> Snapshot:
    """The served snapshot. The hot read handlers call this directly: a dependency costs more than the read."""
    return request.app.state.catalogue.current()


async def get_snapshot(request: Request) -> Snapshot:
    return current_snapshot(request)


async def get_catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue.current().catalogue


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
