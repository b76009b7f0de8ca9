"""Named dependencies that count a call against the shared limiter before the handler runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Learner, StatsReader
from app.auth.tokens import Identity
from app.limits.limiter import LimiterDep


def learner_write(identity: Learner, limiter: LimiterDep) -> Identity:
    limiter.require("learner_write", identity.learner_key, "too many changes from this learner")
    return identity


def stats_read(identity: StatsReader, limiter: LimiterDep) -> Identity:
    limiter.require("stats_read", f"{identity.issuer}\n{identity.subject}", "too many statistics requests")
    return identity


LearnerWrite = Annotated[Identity, Depends(learner_write)]
StatsRead = Annotated[Identity, Depends(stats_read)]
