"""The learner row: created on first use, locked for every change, moved when the token's commune changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app.auth.tokens import Identity
from app.db import utcnow
from app.errors import Forbidden
from app.progress.models import Learner
from app.stats import rollups


def ensure_learner(session: Session, *, identity: Identity, shards: int) -> Learner:
    """Lock (creating if needed) the caller's learner row; all changes of one learner queue here.

    The learner's commune is the one in their latest token: when it changes, their counts move
    from the old commune to the new one in the same transaction.
    """
    if identity.locality is None:
        raise Forbidden("a learner token with a 'locality' is needed", code="insufficient_scope")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Learner.__table__)
        .values(key=identity.learner_key, commune=identity.locality, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    learner = session.exec(select(Learner).where(Learner.key == identity.learner_key).with_for_update()).one()
    session.refresh(learner)
    if learner.commune != identity.locality:
        before = rollups.learner_contribution(session, learner_key=learner.key, commune=learner.commune)
        after = rollups.learner_contribution(session, learner_key=learner.key, commune=identity.locality)
        rollups.apply(session, rollups.difference(after, before), shards=shards)
        learner.commune = identity.locality
        session.add(learner)
        session.flush()
    return learner


@contextmanager
def changing(session: Session, *, identity: Identity, shards: int) -> Iterator[Learner]:
    """Lock the learner, let the caller change their rows, then move the rollups by the difference."""
    learner = ensure_learner(session, identity=identity, shards=shards)
    before = rollups.learner_contribution(session, learner_key=learner.key, commune=learner.commune)
    yield learner
    session.flush()
    after = rollups.learner_contribution(session, learner_key=learner.key, commune=learner.commune)
    rollups.apply(session, rollups.difference(after, before), shards=shards)
