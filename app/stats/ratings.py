"""Learners' satisfaction ratings (1-5 stars, one per learner and course): rows of this domain only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.stats.models import Rating


def set_rating(
    session: Session, *, learner_key: str, course_slug: str, stars: int, now: datetime, counted_changes: int
) -> None:
    """Create or change the learner's rating of the course; the statistics count a change only while the
    learner has made fewer than `counted_changes` (the privacy bound of app/stats/privacy.py)."""
    rating = session.get(Rating, (learner_key, course_slug))
    if rating is None:
        rating = Rating(
            learner_key=learner_key, course_slug=course_slug, stars=stars, counted_stars=stars, rated_at=now
        )
    elif stars != rating.stars:
        if rating.changes < counted_changes:
            rating.counted_stars = stars
        rating.stars, rating.changes, rating.rated_at = stars, rating.changes + 1, now
    else:
        rating.rated_at = now
    session.add(rating)
    session.flush()


def ratings_of(session: Session, *, learner_key: str) -> list[tuple[str, int]]:
    """(course, stars as the statistics count them) of the learner's ratings."""
    query = select(Rating.course_slug, func.coalesce(Rating.counted_stars, Rating.stars)).where(
        Rating.learner_key == learner_key
    )
    return [(course, int(stars)) for course, stars in session.exec(query).all()]


def all_ratings(session: Session, *, batch: int) -> Iterator[tuple[str, str, int]]:
    """(learner, course, stars) of every rating, ordered by learner, streamed (for `stats rebuild`)."""
    query = select(Rating.learner_key, Rating.course_slug, func.coalesce(Rating.counted_stars, Rating.stars)).order_by(
        Rating.learner_key, Rating.course_slug
    )
    yield from session.execute(query.execution_options(yield_per=batch))


def forget(session: Session, *, learner_key: str) -> None:
    """Erasure: the learner's ratings are deleted."""
    session.execute(delete(Rating).where(col(Rating.learner_key) == learner_key))
