"""The limiter: moving windows from the `limits` package, in memory or shared through Redis.

Each category (client requests, a learner's writes, quiz attempts, statistics reads) has one or more
windows from the settings, written in the `limits` notation ("60/minute;600/hour"). Several windows make a
cooldown that grows: three quiz attempts in ten minutes, then wait; six in an hour, then wait longer.
With REDIS_URL set, every worker and replica counts in the same place; without it, each process counts
for itself (fine for one machine).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

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


class Limiter:
    def __init__(self, settings: Settings) -> None:
        self.storage = storage_from_string(settings.redis_url or "memory://")
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.windows: dict[str, list[RateLimitItem]] = {
            "client": parse_many(settings.rate_limit_client),
            "learner_write": parse_many(settings.rate_limit_learner_writes),
            "stats_read": parse_many(settings.rate_limit_stats_reads),
            "attempt": parse_many(settings.quiz_attempt_limits),
        }

    def hit(self, category: str, key: str) -> Decision:
        """Count one use of `category` by `key` unless a window is full (then nothing is counted)."""
        windows = self.windows[category]
        if all(self.strategy.test(window, category, key) for window in windows):
            for window in windows:
                self.strategy.hit(window, category, key)
            return self._decision(category, key, windows, allowed=True)
        return self._decision(category, key, windows, allowed=False)

    def _decision(self, category: str, key: str, windows: list[RateLimitItem], *, allowed: bool) -> Decision:
        now = time.time()
        stats = [(window, self.strategy.get_window_stats(window, category, key)) for window in windows]
        full = [(w, s) for w, s in stats if s.remaining <= 0]
        window, stat = (
            max(full, key=lambda ws: ws[1].reset_time) if full else min(stats, key=lambda ws: ws[1].remaining)
        )
        reset_after = max(1, math.ceil(stat.reset_time - now))
        return Decision(allowed, window.amount, max(stat.remaining, 0), reset_after, category)

    def require(self, category: str, key: str, message: str, *, code: str = "rate_limited") -> Decision:
        decision = self.hit(category, key)
        if not decision.allowed:
            raise Limited(decision, f"{message}; try again in {decision.reset_after} s", code=code)
        return decision


def get_limiter(request: Request) -> Limiter:
    return request.app.state.limiter


LimiterDep = Annotated[Limiter, Depends(get_limiter)]
