"""The limiter: sliding-window counters from the `limits` package, in memory or shared through Redis.

Each category (client requests, a learner's writes, quiz attempts, statistics reads, authors' uploads) has one or more
windows from the settings, written in the `limits` notation ("60/minute;600/hour"). Several windows make a
cooldown that grows: three quiz attempts in ten minutes, then wait; six in an hour, then wait longer.
With REDIS_URL set, every worker and replica counts in the same place; without it, each process counts
for itself (fine for one machine). On Redis, the checks made on the event loop (the client limit, a learner's
writes, statistics reads, authors' uploads: `atake`) go through redis-py's asyncio client and cost no
thread-pool hop; a quiz attempt's limit, checked inside its transaction in the thread pool, through the
blocking client (`take`). Both count under the same keys.

Small windows (up to EXACT_UP_TO hits: the quiz attempts' "3/10 minutes") are exact moving windows: the
timestamps of the last hits, so "three, then wait" holds at every instant, including across a window's
edge, where a counter would let a fourth attempt through early. Larger windows are sliding-window
counters (two counters per key and window, the current window's and the previous one's, weighted by how
far the current window has run): a learner's "1000/day" costs two numbers, not up to a thousand
timestamps, in memory and in Redis, and a burst at the edge still cannot double the limit.

Redis fails safe: every round trip has a 200 ms connect and read timeout, and after a failure Redis is left
alone for REDIS_RETRY_SECONDS, so a dead or hanging Redis costs one slow request per worker in that time,
not every request. While it is unavailable, the categories in RATE_LIMIT_FAIL_CLOSED (quiz attempts by
default: the attempt limit is what makes guessing slow) are refused with 503 and Retry-After; the others
(client requests, learner writes, statistics reads: protections against floods, which the database's own
limits and the per-learner event cap still bound) are let through and logged. Never a 500.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from limits import RateLimitItem, WindowStats, aio, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from app.config import Settings
from app.errors import AppError, Unavailable

log = logging.getLogger("app.limits")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int  # of the tightest window
    remaining: int
    reset_after: int  # seconds until the tightest window has room again
    category: str

    def headers(self) -> dict[str, str]:
        """IETF RateLimit fields, and Retry-After when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_after)
        return headers


class Limited(AppError):
    status, code = 429, "rate_limited"

    def __init__(self, decision: Decision, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.headers = decision.headers()


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, with its sweep of expired keys once every SWEEP_SECONDS instead of every 10 ms.

    The sweep walks every key; at 100 sweeps a second it took most of a core once a worker held a few
    thousand learners' counters (measured by the bench). Every read checks its own key's expiry, so the
    sweep only frees memory, and a slower one changes no decision.
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()  # the 10 ms timer limits starts; ours replaces it
        self._start_sweep()

    def _start_sweep(self) -> None:
        self.timer = threading.Timer(self.SWEEP_SECONDS, self.sweep)
        self.timer.daemon = True
        self.timer.start()

    # limits 5.8 (pinned) schedules its sweep through this private (name-mangled) method.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self._start_sweep()

    def sweep(self) -> None:
        """Free every expired window: counters past their expiry, and moving windows whose hits have all
        expired (limits' own sweep empties such a window's list but keeps its key for ever)."""
        now = time.time()
        for key in _snapshot(self.events):
            with self.locks[key]:
                live = [event for event in self.events.get(key, []) if event.expiry > now]
                if live:
                    self.events[key] = live
                else:
                    self.events.pop(key, None)
            if key not in self.events and key not in self.storage:
                self.locks.pop(key, None)
        for key in _snapshot(self.expirations):
            if self.expirations.get(key, now + 1) <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                if key not in self.events:
                    self.locks.pop(key, None)

    def size(self) -> int:
        """Keys held (windows, counters and their locks), for tests and memory checks."""
        return len(self.events) + len(self.storage) + len(self.expirations) + len(self.locks)


def _snapshot(mapping: dict) -> list:
    """The keys of a dict other threads write to: copying can meet a resize mid-way (RuntimeError); retry."""
    while True:
        try:
            return list(mapping)
        except RuntimeError:
            continue


def make_storage(settings: Settings) -> Storage:
    """The counters' storage for synchronous callers (a quiz attempt's limit, checked in its transaction)."""
    if not settings.redis_url:
        return SweptMemoryStorage()
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    storage = _on_redis(settings.redis_url, settings, Retry(NoBackoff(), 0))
    if not isinstance(storage, Storage):  # an async+redis:// URL gives a storage whose calls return coroutines
        scheme = settings.redis_url.partition("://")[0]  # not the whole URL: it may hold a password
        raise ValueError(f"REDIS_URL must name a synchronous storage (redis://, rediss://...), not {scheme}://")
    return storage


def make_async_storage(settings: Settings) -> aio.storage.Storage:
    """The same Redis (the same keys) for the event loop's callers, on redis-py's asyncio client: a check costs
    no thread-pool hop. Its connections belong to the loop that first uses them: one per worker."""
    assert settings.redis_url  # only with a shared store; in memory the sync storage runs inline
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # redis-py (pinned) rather than limits' default for async, coredis
    storage = _on_redis(f"async+{settings.redis_url}", settings, Retry(NoBackoff(), 0), implementation="redispy")
    assert isinstance(storage, aio.storage.Storage)
    return storage


def _on_redis(url: str, settings: Settings, retry: Any, **extra: str) -> Storage | aio.storage.Storage:
    """limits' storage on `url` with the options both clients share: every Redis failure arrives as limits'
    StorageError; connect and read time out after REDIS_TIMEOUT_SECONDS; `retry` (the client's own Retry,
    with no retries: inside a request the breaker decides) goes on to redis-py, which limits types as a
    scalar option."""
    return storage_from_string(
        url,
        wrap_exceptions=True,
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        retry=retry,
        **extra,
    )


class RedisUnavailable(Unavailable):
    code = "rate_limiter_unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the rate limiter's store is unavailable; try again in {retry_after} s")
        self.headers = {"Retry-After": str(retry_after)}


class Limiter:
    EXACT_UP_TO = 20  # hits; a window this small is kept as its hits' timestamps

    def __init__(self, settings: Settings) -> None:
        self.storage = make_storage(settings)
        self.shared = not isinstance(self.storage, MemoryStorage)
        self.retry_seconds = settings.redis_retry_seconds
        self.fail_closed = {name.strip() for name in settings.rate_limit_fail_closed.split(",") if name.strip()}
        self.down_until = 0.0  # monotonic time before which Redis is not tried again
        self.exact = MovingWindowRateLimiter(self.storage)
        self.counter = SlidingWindowCounterRateLimiter(self.storage)
        if self.shared:  # the event loop's callers count in the same Redis without leaving the loop
            storage = make_async_storage(settings)
            self.async_exact: aio.strategies.RateLimiter = aio.strategies.MovingWindowRateLimiter(storage)
            self.async_counter: aio.strategies.RateLimiter = aio.strategies.SlidingWindowCounterRateLimiter(storage)
        self.windows: dict[str, list[RateLimitItem]] = {
            "client": parse_many(settings.rate_limit_client),
            "learner_write": parse_many(settings.rate_limit_learner_writes),
            "stats_read": parse_many(settings.rate_limit_stats_reads),
            "attempt": parse_many(settings.quiz_attempt_limits),
            "author_upload": parse_many(settings.rate_limit_author_uploads),  # drafts per author (app.author)
        }
        for windows in self.windows.values():  # shortest first: see `_take`
            windows.sort(key=lambda window: window.get_expiry())

    def take(self, category: str, key: str) -> Decision | None:
        """Count one use of `category` by `key` unless a window is full (then nothing is counted and the
        refusal is returned); None when counted, without working out the figures no one reads then.

        With Redis unavailable: RedisUnavailable for a fail-closed category, None (let through) otherwise."""
        if not self.shared:
            return self._take(category, key)
        if time.monotonic() < self.down_until:
            self._unavailable(category)
            return None
        try:
            return self._take(category, key)
        except StorageError as exc:
            self._failed(exc, category)
            return None

    def _failed(self, exc: StorageError, category: str) -> None:
        """Redis failed: leave it alone for the retry interval, then answer as `_unavailable`."""
        self.down_until = time.monotonic() + self.retry_seconds
        log.warning(
            "rate limiter store unavailable (%s); for %s s %s are refused, the rest let through",
            type(exc.storage_error).__name__,
            self.retry_seconds,
            sorted(self.fail_closed) or "none",
        )
        self._unavailable(category)

    def _unavailable(self, category: str) -> None:
        """Raise RedisUnavailable for a fail-closed category; return (let the request through) otherwise."""
        if category in self.fail_closed:
            raise RedisUnavailable(max(1, math.ceil(self.down_until - time.monotonic())))

    def available(self) -> bool | None:
        """Whether the shared store answers a ping now (None without one); for /readyz."""
        if not self.shared:
            return None
        try:
            ok = bool(self.storage.check())
        except Exception:
            ok = False
        if not ok:
            self.down_until = max(self.down_until, time.monotonic() + self.retry_seconds)
        return ok

    def _take(self, category: str, key: str) -> Decision | None:
        windows = self.windows[category]
        if len(windows) == 1:  # one window: its hit is the test
            if self._strategy(windows[0]).hit(windows[0], category, key):
                return None
        elif all(self._strategy(window).test(window, category, key) for window in windows):
            # At a window's exact edge `test` and `hit` can disagree (limits reads the edge one way for each):
            # a hit refused there refuses the use, so nothing gets through uncounted. Windows are hit from the
            # shortest (the one whose edge comes first) and the first refusal stops the rest.
            if all(self._strategy(window).hit(window, category, key) for window in windows):
                return None
        return self._decision(category, key, windows, allowed=False)

    def hit(self, category: str, key: str) -> Decision:
        """`take`, with the figures (limit, remaining, reset) of an allowed use too."""
        refused = self.take(category, key)
        if refused is not None:
            return refused
        try:
            return self._decision(category, key, self.windows[category], allowed=True)
        except StorageError:  # counted (or let through); the figures are a courtesy
            return Decision(True, self.windows[category][0].amount, 0, 1, category)

    def _strategy(self, window: RateLimitItem) -> RateLimiter:
        return self.exact if window.amount <= self.EXACT_UP_TO else self.counter

    def _decision(self, category: str, key: str, windows: list[RateLimitItem], *, allowed: bool) -> Decision:
        stats = [(window, self._strategy(window).get_window_stats(window, category, key)) for window in windows]
        return _decided(category, stats, allowed=allowed)

    async def atake(self, category: str, key: str) -> Decision | None:
        """`take` for the event loop: in memory it runs inline (microseconds); with Redis, on the asyncio client
        (the same keys, the same breaker), so a round trip never holds the loop and costs no thread."""
        if not self.shared:
            return self._take(category, key)
        if time.monotonic() < self.down_until:
            self._unavailable(category)
            return None
        try:
            return await self._atake(category, key)
        except StorageError as exc:
            self._failed(exc, category)
            return None

    async def _atake(self, category: str, key: str) -> Decision | None:
        """`_take` on the asyncio client: the same windows, in the same order, with the same edge rule."""
        windows = self.windows[category]
        if len(windows) == 1:
            if await self._async_strategy(windows[0]).hit(windows[0], category, key):
                return None
        elif await _all(self._async_strategy(window).test(window, category, key) for window in windows):
            if await _all(self._async_strategy(window).hit(window, category, key) for window in windows):
                return None
        stats = [
            (window, await self._async_strategy(window).get_window_stats(window, category, key)) for window in windows
        ]
        return _decided(category, stats, allowed=False)

    def _async_strategy(self, window: RateLimitItem) -> aio.strategies.RateLimiter:
        return self.async_exact if window.amount <= self.EXACT_UP_TO else self.async_counter

    async def arequire(self, category: str, key: str, message: str, *, code: str = "rate_limited") -> None:
        """`require` for the event loop (see `atake`)."""
        refused = await self.atake(category, key)
        if refused is not None:
            raise Limited(refused, f"{message}; try again in {refused.reset_after} s", code=code)

    def require(self, category: str, key: str, message: str, *, code: str = "rate_limited") -> None:
        refused = self.take(category, key)
        if refused is not None:
            raise Limited(refused, f"{message}; try again in {refused.reset_after} s", code=code)


async def _all(checks) -> bool:
    """`all()` over awaitables, stopping at the first false one (nothing after it is sent)."""
    for check in checks:
        if not await check:
            return False
    return True


def _decided(category: str, stats: list[tuple[RateLimitItem, WindowStats]], *, allowed: bool) -> Decision:
    """The figures of a use from its windows' state: the tightest full window when refused, else the one with the
    least room."""
    now = time.time()
    full = [(w, s) for w, s in stats if s.remaining <= 0]
    window, stat = max(full, key=lambda ws: ws[1].reset_time) if full else min(stats, key=lambda ws: ws[1].remaining)
    # Whole seconds, rounded so that a client waiting exactly this long lands past the window's edge.
    reset_after = max(1, math.floor(stat.reset_time - now) + 1)
    return Decision(allowed, window.amount, max(stat.remaining, 0), reset_after, category)


async def get_limiter(request: Request) -> Limiter:
    return request.app.state.limiter


LimiterDep = Annotated[Limiter, Depends(get_limiter)]
