"""The limiter: sliding-window counters from the `limits` package, in memory or shared through Redis.

Each category (client requests, a learner's writes, quiz attempts, statistics reads) has one or more
windows from the settings, written in the `limits` notation ("60/minute;600/hour"). Several windows make a
cooldown that grows: three quiz attempts in ten minutes, then wait; six in an hour, then wait longer.
With REDIS_URL set, every worker and replica counts in the same place; without it, each process counts
for itself (fine for one machine).

Small windows (up to EXACT_UP_TO hits: the quiz attempts' "3/10 minutes") are exact moving windows: the
timestamps of the last hits, so "three, then wait" holds at every instant, including across a window's
edge, where a counter would let a fourth attempt through early. Larger windows are sliding-window
counters (two counters per key and window, the current window's and the previous one's, weighted by how
far the current window has run): a learner's "1000/day" costs two numbers, not up to a thousand
timestamps, in memory and in Redis, and a burst at the edge still cannot double the limit.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from app.config import Settings
from app.errors import AppError


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
        self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
        self.timer.daemon = True
        self.timer.start()

    # limits 5.8 (pinned) schedules its sweep through this private (name-mangled) method.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self._start_sweep()


def make_storage(redis_url: str | None) -> Storage:
    return storage_from_string(redis_url) if redis_url else SweptMemoryStorage()


class Limiter:
    EXACT_UP_TO = 20  # hits; a window this small is kept as its hits' timestamps

    def __init__(self, settings: Settings) -> None:
        self.storage = make_storage(settings.redis_url)
        self.exact = MovingWindowRateLimiter(self.storage)
        self.counter = SlidingWindowCounterRateLimiter(self.storage)
        self.windows: dict[str, list[RateLimitItem]] = {
            "client": parse_many(settings.rate_limit_client),
            "learner_write": parse_many(settings.rate_limit_learner_writes),
            "stats_read": parse_many(settings.rate_limit_stats_reads),
            "attempt": parse_many(settings.quiz_attempt_limits),
        }

    def take(self, category: str, key: str) -> Decision | None:
        """Count one use of `category` by `key` unless a window is full (then nothing is counted and the
        refusal is returned); None when counted, without working out the figures no one reads then."""
        windows = self.windows[category]
        if len(windows) == 1:  # one window: its hit is the test
            if self._strategy(windows[0]).hit(windows[0], category, key):
                return None
        elif all(self._strategy(window).test(window, category, key) for window in windows):
            for window in windows:
                self._strategy(window).hit(window, category, key)
            return None
        return self._decision(category, key, windows, allowed=False)

    def hit(self, category: str, key: str) -> Decision:
        """`take`, with the figures (limit, remaining, reset) of an allowed use too."""
        refused = self.take(category, key)
        return refused or self._decision(category, key, self.windows[category], allowed=True)

    def _strategy(self, window: RateLimitItem) -> RateLimiter:
        return self.exact if window.amount <= self.EXACT_UP_TO else self.counter

    def _decision(self, category: str, key: str, windows: list[RateLimitItem], *, allowed: bool) -> Decision:
        now = time.time()
        stats = [(window, self._strategy(window).get_window_stats(window, category, key)) for window in windows]
        full = [(w, s) for w, s in stats if s.remaining <= 0]
        window, stat = (
            max(full, key=lambda ws: ws[1].reset_time) if full else min(stats, key=lambda ws: ws[1].remaining)
        )
        reset_after = max(1, math.ceil(stat.reset_time - now))
        return Decision(allowed, window.amount, max(stat.remaining, 0), reset_after, category)

    async def atake(self, category: str, key: str) -> Decision | None:
        """`take` for async code: in memory it runs inline (microseconds); with Redis, in the thread pool, so
        its round trips never hold the event loop."""
        if isinstance(self.storage, MemoryStorage):
            return self.take(category, key)
        return await run_in_threadpool(self.take, category, key)

    async def arequire(self, category: str, key: str, message: str, *, code: str = "rate_limited") -> None:
        """`require` for async dependencies (see `atake`)."""
        if isinstance(self.storage, MemoryStorage):
            return self.require(category, key, message, code=code)
        return await run_in_threadpool(self.require, category, key, message, code=code)

    def require(self, category: str, key: str, message: str, *, code: str = "rate_limited") -> None:
        refused = self.take(category, key)
        if refused is not None:
            raise Limited(refused, f"{message}; try again in {refused.reset_after} s", code=code)


async def get_limiter(request: Request) -> Limiter:
    return request.app.state.limiter


LimiterDep = Annotated[Limiter, Depends(get_limiter)]
