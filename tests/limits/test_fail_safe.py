"""The limiter fails safe when Redis is away or hangs: never a 500, never a long wait, the choice per
category as documented (quiz attempts refused with 503 and Retry-After, everything else let through)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from app.limits.limiter import Limiter, RedisUnavailable
from app.main import create_app
from tests.quizzes.helpers import answer

EVENT = {"type": "lesson_completed", "course": "tu-chon", "lesson": "bai-mot", "at": "2026-11-23T08:00:00Z"}


def _url_of(sock: socket.socket) -> str:
    """A Redis URL naming the socket this test bound itself (never a real Redis: the tests' own is TEST_REDIS_URL)."""
    host, port = sock.getsockname()[:2]
    return f"redis://{host}:{port}/0"


@pytest.fixture
def closed_redis() -> str:
    """The URL of a port on which nothing listens (Redis stopped): bound on the loopback's free port, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return _url_of(s)


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """The URL of a port that accepts connections and never answers (Redis hanging), served by this fixture."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield _url_of(server)
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def _limiter(settings, redis_url: str, **update) -> Limiter:
    return Limiter(settings.model_copy(update={"redis_url": redis_url, **update}))


@pytest.mark.parametrize("redis_fixture", ["closed_redis", "silent_redis"])
def test_each_category_gets_its_documented_choice_quickly(settings, redis_fixture, request):
    limiter = _limiter(settings, request.getfixturevalue(redis_fixture))
    started = time.monotonic()
    assert limiter.take("client", "10.0.0.1") is None  # let through (and logged)
    first = time.monotonic() - started
    assert first < 1.5  # one connect or read timeout of 0.2 s, not redis-py's default of none
    started = time.monotonic()
    for category in ("client", "learner_write", "stats_read"):
        for n in range(50):
            assert limiter.take(category, f"key-{n}") is None
    with pytest.raises(RedisUnavailable) as refused:
        limiter.take("attempt", "learner\nquiz")
    assert refused.value.status == 503 and 1 <= int(refused.value.headers["Retry-After"]) <= 5
    assert time.monotonic() - started < 0.5  # within REDIS_RETRY_SECONDS Redis is not tried again
    assert limiter.available() is False


@pytest.mark.parametrize("redis_fixture", ["closed_redis", "silent_redis"])
def test_the_event_loops_checks_make_the_same_choices_quickly(settings, redis_fixture, request):
    """`atake` (redis-py's asyncio client: the client limit, learner writes, statistics reads) fails safe like
    `take`: one timeout, then the breaker; let through, except the fail-closed attempts."""
    limiter = _limiter(settings, request.getfixturevalue(redis_fixture))

    async def checks() -> None:
        started = time.monotonic()
        assert await limiter.atake("client", "10.0.0.1") is None
        assert time.monotonic() - started < 1.5
        started = time.monotonic()
        for category in ("client", "learner_write", "stats_read"):
            for n in range(50):
                assert await limiter.atake(category, f"key-{n}") is None
        with pytest.raises(RedisUnavailable) as refused:
            await limiter.arequire("attempt", "learner\nquiz", "no more attempts")
        assert refused.value.status == 503
        assert time.monotonic() - started < 0.5

    asyncio.run(checks())


def test_the_breaker_tries_redis_again_after_the_retry_interval(settings, closed_redis):
    limiter = _limiter(settings, closed_redis, redis_retry_seconds=0.05)
    assert limiter.take("learner_write", "a") is None
    tried_again = limiter.down_until
    deadline = time.monotonic() + 10
    while time.monotonic() < limiter.down_until and time.monotonic() < deadline:
        time.sleep(0.01)
    assert limiter.take("learner_write", "a") is None
    assert limiter.down_until > tried_again  # it asked Redis again, failed again, and waits again


@pytest.mark.parametrize("redis_fixture", ["closed_redis", "silent_redis"])
def test_over_http_redis_away_is_never_a_500(settings, engine, content, auth, client, app, redis_fixture, request):
    app.state.limiter = _limiter(settings, request.getfixturevalue(redis_fixture))
    headers = auth("learner", sub="redis-away")

    batch = {"events": [{**EVENT, "id": str(uuid.uuid4())}]}
    written = client.post("/api/v1/progress/events", json=batch, headers=headers)
    assert written.status_code == 200 and written.json()["accepted"] == 1  # learner writes let through

    refused = answer(client, headers, "an-toan", "lua-dao", {"q1": ["a"]})
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "rate_limiter_unavailable"
    assert 1 <= int(refused.headers["retry-after"]) <= 5

    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["redis"] == "unreachable"


def test_a_fail_closed_client_limit_answers_503_from_the_middleware(settings, engine, closed_redis):
    from fastapi.testclient import TestClient

    update = {"redis_url": closed_redis, "rate_limit_fail_closed": "client,attempt"}
    with TestClient(create_app(settings.model_copy(update=update), engine=engine)) as client:
        response = client.get("/api/v1/me/progress")
        assert response.status_code == 503 and response.json()["error"]["code"] == "rate_limiter_unavailable"
        assert client.get("/healthz").status_code == 200  # probes are never limited
