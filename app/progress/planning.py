"""Deciding a batch of progress events (pure): accept, duplicate or reject each one, in order of its time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.catalogue.service import Catalogue
from app.config import Settings
from app.progress.schemas import EventIn

LESSON_COMPLETED = "lesson_completed"


@dataclass
class BatchPlan:
    accepted: list[tuple[EventIn, datetime]] = field(default_factory=list)  # (event, its time in UTC, not future)
    duplicates: int = 0
    rejected: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (event id, reason)


@dataclass(frozen=True)
class Rules:
    """How much the service believes a device's clock and a learner's speed (from the settings)."""

    clock_tolerance: timedelta = timedelta(minutes=5)
    min_share_of_minutes: float = 0.25  # a completion faster than this share of the lessons' minutes is flagged

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(timedelta(seconds=settings.event_clock_tolerance_seconds), settings.completion_min_share)


def utc_time(moment: datetime) -> datetime | None:
    """The moment in UTC (naive means UTC), or None when it cannot be one (year 1 at +07:00, year 9999 at -07:00)."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        return None


def plan_batch(
    events: Iterable[EventIn],
    *,
    seen: set[uuid.UUID],
    catalogue: Catalogue,
    done: dict[str, set[str]],
    now: datetime,
    rules: Rules = Rules(),
) -> BatchPlan:
    """Decide each event (accept, duplicate, reject), in order of `at`, against what is done."""
    plan = BatchPlan()
    done = {course: set(lessons) for course, lessons in done.items()}
    seen = set(seen)
    timed = [(event, utc_time(event.at)) for event in events]
    for event, at in sorted(timed, key=lambda pair: pair[1] or now):
        if event.id in seen:
            plan.duplicates += 1
            continue
        reason = _rejection(event, at, catalogue, done, now=now, rules=rules)
        if reason:
            plan.rejected.append((event.id, reason))
            continue
        assert at is not None and event.lesson is not None  # _rejection refuses an event without either
        seen.add(event.id)
        done.setdefault(event.course, set()).add(event.lesson)
        plan.accepted.append((event, min(at, now)))
    return plan


def _rejection(
    event: EventIn, at: datetime | None, catalogue: Catalogue, done: dict[str, set[str]], *, now: datetime, rules: Rules
) -> str | None:
    if event.type != LESSON_COMPLETED:
        return "unsupported_type"
    course = catalogue.courses.get(event.course)
    if course is None:
        return "unknown_course"
    if event.lesson is None or event.lesson not in course.lessons:
        return "unknown_lesson"
    if at is None or at > now + rules.clock_tolerance:
        return "in_future" if at is not None or event.at.year > 1 else "before_publication"
    if course.first_published_at is not None and at < course.first_published_at - rules.clock_tolerance:
        return "before_publication"
    if course.sequential:
        completed = done.get(course.slug, set())
        for earlier in course.lesson_order:
            if earlier == event.lesson:
                break
            if earlier not in completed:
                return "locked"
    return None
