"""One limiter for every limit: in memory by default, shared through Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from app.limits.limiter import Limiter

# Redis tests opt in: .ci/run starts a private redis-server and names it here; no shared Redis is touched unasked.
REDIS_URL = os.environ.get("TEST_REDIS_URL")


EDGE = 1_800_000_000.0  # a multiple of every window here (minute, ten minutes, hour)


@pytest.fixture
def clock(monkeypatch):
    """time.time as the test sets it (limits, and the token checks, read the clock through the time module);
    it starts 1 s after an edge of every window, so no window turns over unless the test moves it."""
    now = [EDGE + 1]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


def test_a_learner_hammering_writes_is_refused_with_retry_after(client, auth, content, clock):
    headers = auth("learner", sub="hammer")
    statuses = []
    for _ in range(300):
        response = client.put("/api/v1/courses/an-toan/rating", json={"stars": 9}, headers=headers)  # 422, but counted
        statuses.append(response.status_code)
    assert statuses.count(429) == 300 - 60  # RATE_LIMIT_LEARNER_WRITES: 60 a minute
    refused = client.put("/api/v1/courses/an-toan/rating", json={"stars": 4}, headers=headers)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "60" and refused.headers["ratelimit-remaining"] == "0"
    other = client.put("/api/v1/courses/an-toan/rating", json={"stars": 9}, headers=auth("learner", sub="calm"))
    assert other.status_code == 422  # another learner is not affected


def test_one_client_address_is_limited_before_any_routing(settings, engine):
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(settings.model_copy(update={"rate_limit_client": "5/minute"}), engine=engine)
    with TestClient(app) as client:
        statuses = [client.get("/api/v1/me/progress").status_code for _ in range(8)]
        assert statuses == [401] * 5 + [429] * 3  # counted before any routing or authentication
        assert client.get("/api/v1/localities").status_code == 200  # prebuilt public reads are not counted
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_several_windows_make_a_growing_cooldown(settings, clock):
    clock[0] = EDGE - 2  # 2 s before a ten-minute edge
    limiter = Limiter(settings.model_copy(update={"quiz_attempt_limits": "3/10 minutes;5/hour"}))
    key = str(uuid.uuid4())
    decisions = [limiter.hit("attempt", key) for _ in range(3)]
    clock[0] += 3  # across the ten-minute window's edge: a counter would let a fourth attempt through here
    decisions.append(limiter.hit("attempt", key))
    assert [d.allowed for d in decisions] == [True, True, True, False]
    # The first three leave the window 597 s from now; Retry-After rounds up past that edge.
    assert decisions[-1].reset_after == 598 and decisions[-1].headers()["Retry-After"] == "598"
    clock[0] += 597  # exactly at the edge: still refused, and the refusal counts nothing
    assert not limiter.hit("attempt", key).allowed
    clock[0] += 1  # as long as Retry-After said
    assert limiter.hit("attempt", key).allowed and limiter.hit("attempt", key).allowed  # 4 and 5 in the hour
    clock[0] += 600
    refused = limiter.hit("attempt", key)  # the hour's five are used: the cooldown grows to the hour's end
    assert not refused.allowed and refused.reset_after == 3600 - 1201 + 1


def test_workers_share_counts_through_redis(settings):
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_REDIS_URL (.ci/run starts a private redis-server)")
        pytest.skip("set TEST_REDIS_URL=redis://... to run the Redis tests")
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "quiz_attempt_limits": "4/minute"})
    one, two = Limiter(shared), Limiter(shared)  # as two workers would
    key = str(uuid.uuid4())
    allowed = [limiter.hit("attempt", key).allowed for limiter in (one, two, one, two, one)]
    assert allowed == [True, True, True, True, False]
    assert one.available() is True


def test_the_event_loop_and_the_thread_pool_count_the_same_keys_in_redis(settings):
    """`atake` (asyncio client) and `take` (blocking client) are two clients of one count, for a moving window
    and for several windows of sliding counters alike."""
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_REDIS_URL (.ci/run starts a private redis-server)")
        pytest.skip("set TEST_REDIS_URL=redis://... to run the Redis tests")
    update = {"redis_url": REDIS_URL, "rate_limit_learner_writes": "3/minute", "rate_limit_client": "30/minute;40/hour"}
    limiter = Limiter(settings.model_copy(update=update))
    key = str(uuid.uuid4())

    async def alternately(category: str, uses: int) -> list[bool]:
        allowed = []
        for n in range(uses):
            if n % 2:
                allowed.append(limiter.take(category, key) is None)
            else:
                allowed.append(await limiter.atake(category, key) is None)
        return allowed

    def blocking(category: str, key: str):
        raise AssertionError("an event-loop check used the blocking client")

    async def uses() -> tuple:  # one event loop, as in a worker: the asyncio client's connections belong to it
        writes, requests = await alternately("learner_write", 5), await alternately("client", 32)
        refused = await limiter.atake("client", key)
        limiter._take = blocking  # the blocking path (and a thread to run it in) is never taken from the loop
        fresh = await limiter.atake("learner_write", str(uuid.uuid4()))
        return writes, requests, refused, fresh

    writes, requests, refused, fresh = asyncio.run(uses())
    assert writes == [True, True, True, False, False]
    assert requests == [True] * 30 + [False, False]
    assert refused is not None and refused.limit == 30 and refused.remaining == 0 and refused.reset_after >= 1
    assert fresh is None


def test_stored_events_per_learner_are_capped(client, content, auth, app, settings):
    app.state.settings = settings.model_copy(update={"max_events_per_learner": 12})
    headers = auth("learner", sub="quota")

    def batch(n: int) -> dict:
        event = {"type": "lesson_completed", "course": "tu-chon", "lesson": "bai-mot", "at": "2026-11-23T08:00:00Z"}
        return {"events": [{**event, "id": str(uuid.uuid4())} for _ in range(n)]}

    assert client.post("/api/v1/progress/events", json=batch(10), headers=headers).status_code == 200
    refused = client.post("/api/v1/progress/events", json=batch(5), headers=headers)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "event_quota"
    assert client.post("/api/v1/progress/events", json=batch(2), headers=headers).status_code == 200


def test_the_memory_storage_sweeps_once_a_second_and_expired_windows_open_again(settings, clock):
    limiter = Limiter(settings.model_copy(update={"quiz_attempt_limits": "2/second", "redis_url": None}))
    key = str(uuid.uuid4())
    assert [limiter.hit("attempt", key).allowed for _ in range(3)] == [True, True, False]
    timer = limiter.storage.timer
    assert timer.interval == limiter.storage.SWEEP_SECONDS == 1.0 and timer.daemon  # not limits' 10 ms
    clock[0] += 1.01  # the window has moved past both hits: room again
    assert limiter.hit("attempt", key).allowed


def test_the_memory_storage_frees_every_expired_window(settings, clock):
    """20,000 learner x quiz windows and a learner-write counter each: once they pass, memory is back to empty."""
    limiter = Limiter(settings.model_copy(update={"redis_url": None}))
    storage = limiter.storage
    assert storage.size() == 0
    for n in range(20_000):
        limiter.take("attempt", f"learner-{n}\nquiz")  # exact moving windows (3/10 minutes;6/hour;10/day)
        limiter.take("learner_write", f"learner-{n}")  # sliding-window counters (60/minute;1000/day)
    assert storage.size() >= 40_000
    clock[0] += 3600  # the ten-minute and hour windows have passed, the day's have not
    storage.sweep()
    assert storage.size() >= 20_000  # the day windows still hold their hits: they must not be forgotten
    assert not limiter.take("attempt", "learner-1\nquiz")  # still counted: the 2nd of the day's ten
    clock[0] += 2 * 86400  # every window, and a counter's previous window, has passed
    storage.sweep()
    assert storage.size() == 0
