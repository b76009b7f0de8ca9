"""A worker computes a statistics release in a child process (app/stats/schedule.py), not in its own threads."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.db import make_engine, migrate
from app.errors import Conflict
from app.stats import schedule, service
from app.stats.models import StatsRelease


@pytest.fixture
def own_database(fresh_database_url, settings):
    """A migrated database of its own (a child process sees only what is committed) and settings for it."""
    engine = make_engine(fresh_database_url)
    migrate(engine)
    yield (
        engine,
        settings.model_copy(
            update={"database_url": fresh_database_url, "stats_release_in_child": True, "stats_horizon_releases": 2}
        ),
    )
    engine.dispose()


def test_the_release_is_computed_and_committed_in_another_process(own_database, monkeypatch):
    engine, settings = own_database

    def in_this_process(*args, **kwargs):
        raise AssertionError("the release was computed in the worker's own process")

    monkeypatch.setattr(service, "release_now", in_this_process)  # a spawned child imports its own, unpatched
    with Session(engine) as session:
        published = schedule.publish(session, settings)
        assert published is not None and published.edition == 2
    with Session(engine) as session:
        stored = session.exec(select(StatsRelease)).all()
    assert [release.id for release in stored] == [published.id]


@pytest.mark.parametrize("increment", [7, 0])
def test_the_child_yields_the_cores_to_the_workers_requests(own_database, capfd, increment):
    """The child lowers its CPU priority by STATS_RELEASE_NICENESS and says so in its first log line (JSON on
    the stderr it shares with the worker)."""
    import json
    import os

    engine, settings = own_database
    capfd.readouterr()
    with Session(engine) as session:
        assert schedule.publish(session, settings.model_copy(update={"stats_release_niceness": increment}))
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    computing = [line for line in lines if line["message"] == "statistics release computing"]
    assert len(computing) == 1
    assert computing[0]["pid"] != os.getpid()
    assert computing[0]["niceness"] == min(19, os.nice(0) + increment)


def test_a_refusal_in_the_child_is_the_same_409_for_the_caller(own_database):
    engine, settings = own_database
    with Session(engine) as session:
        for _ in range(2):  # the whole horizon of 2 releases
            assert schedule.publish(session, settings) is not None
        with pytest.raises(Conflict) as refused:
            schedule.publish(session, settings)
    assert refused.value.code == "privacy_budget_spent"


def test_an_in_memory_database_is_released_in_the_callers_process(settings):
    """A child process cannot reach an in-memory SQLite database, so the release is computed where it is."""
    engine = make_engine("sqlite://")
    migrate(engine)
    in_memory = settings.model_copy(update={"database_url": "sqlite://", "stats_release_in_child": True})
    with Session(engine) as session:
        published = schedule.publish(session, in_memory)
        assert published is not None
        assert session.exec(select(StatsRelease.id)).all() == [published.id]
    engine.dispose()


LEAVER = """
import multiprocessing, sys, threading, time
from sqlmodel import Session
from app.config import Settings
from app.db import make_engine
from app.stats import schedule

settings = Settings.model_validate_json(sys.argv[1])
engine = make_engine(settings.database_url)


def release():
    # The process leaves in the middle of this on purpose, and the release may then fail (its child is gone).
    # That failure is not what is tested: in a worker it reaches the request or the timer, never stderr as
    # text, but a bare thread's uncaught exception is printed as text by threading's hook.
    try:
        schedule.publish(Session(engine), settings)
    except BaseException:
        pass


threading.Thread(target=release, daemon=True).start()
while not multiprocessing.active_children():  # the release's process has started: leave in the middle of it
    time.sleep(0.01)
"""


def test_a_worker_that_exits_during_a_release_writes_nothing_but_json_to_stderr(own_database):
    """A served worker's every stderr line is JSON (docs/operations.md). Stopped while its child computes a
    release, it must not leave multiprocessing's resource tracker a leaked semaphore to warn about."""
    import json
    import subprocess
    import sys

    _, settings = own_database
    exposed = settings.model_dump_json()
    done = subprocess.run([sys.executable, "-c", LEAVER, exposed], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for line in filter(str.strip, done.stderr.splitlines()):
        assert isinstance(json.loads(line), dict), line
