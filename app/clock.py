"""Vietnam's civil time (UTC+7, no daylight saving): the day a learner lives in, for dates people see."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def today() -> date:
    return datetime.now(VIETNAM).date()
