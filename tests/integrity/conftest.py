"""A simulated clock and a course built to be cheated on (tests/fixtures/integrity)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.catalogue.importer import import_content
from app.learners import service as learner_service

INTEGRITY = Path(__file__).resolve().parent.parent / "fixtures" / "integrity"
COURSE = "hoc-that"
QUIZZES = ("dien-thoai", "mang")
LESSONS = ("khoa-man-hinh", "cap-nhat", "sao-luu", "wifi", "duong-link", "mat-khau")
COURSE_MINUTES = 60  # six lessons of 10 minutes


class Clock:
    """The server's clocks, moved by the test: the limiter and tokens read time.time, the services utcnow."""

    def __init__(self) -> None:
        self.started = self.now = time.time()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    @property
    def elapsed(self) -> float:
        return self.now - self.started


def serve_on(clock: Clock, setattr) -> None:
    """Make the server read `clock`; setattr is monkeypatch.setattr here, the builtin in scripts/guesser_report.py."""
    setattr(time, "time", lambda: clock.now)
    setattr(learner_service, "utcnow", clock.utc)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    serve_on(clock, monkeypatch.setattr)
    return clock


@pytest.fixture
def app_settings(settings):
    """A fixed pepper: learner keys, hence every draw, are the same in every run."""
    return settings.model_copy(update={"pepper": "a fixed pepper for the integrity tests, 32+ characters"})


@pytest.fixture
def course(session, app):
    """The integrity fixture course imported and served (inside the test's transaction)."""
    import_content(session, INTEGRITY)
    app.state.catalogue.refresh(session)
    app.state.form_secret = b"a fixed form key, so every run draws the same forms"
    return COURSE


@pytest.fixture
def learner(make_token):
    """learner("sub") -> headers whose token outlives any simulated stretch (minted before the clock moves)."""

    def headers(sub: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token('learner', sub=sub, expires_in=40 * 86400)}"}

    return headers
