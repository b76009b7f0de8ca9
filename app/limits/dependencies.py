"""Named dependencies that count a call against the shared limiter before the handler runs.

Like every cheap dependency here they are `async def`: a plain `def` dependency costs a thread-pool hop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Learner, StatsReader
from app.auth.tokens import Identity
from app.limits.limiter import LimiterDep


async def learner_write(identity: Learner, limiter: LimiterDep) -> Identity:
    await limiter.arequire("learner_write", identity.learner_key, "too many changes from this learner")
    return identity


async def stats_read(identity: StatsReader, limiter: LimiterDep) -> Identity:
    await limiter.arequire("stats_read", f"{identity.issuer}\n{identity.subject}", "too many statistics requests")
    return identity


LearnerWrite = Annotated[Identity, Depends(learner_write)]
StatsRead = Annotated[Identity, Depends(stats_read)]
