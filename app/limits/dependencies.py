"""Named dependencies that count a call against the shared limiter before the handler runs.

Like every cheap dependency here they are `async def`: a plain `def` dependency costs a thread-pool hop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.dependencies import BEARER, StatsReader, check_scope, read_identity
from app.auth.tokens import Identity
from app.limits.limiter import Limiter, LimiterDep


async def learner_write(request: Request, _scheme: Annotated[object, Depends(BEARER)] = None) -> Identity:
    """The learner's identity, their write counted: one dependency rather than a chain (identity, scope,
    limiter), since FastAPI charges about 15 µs for each one a request resolves (docs/SCALING.md)."""
    identity = check_scope(await read_identity(request), "learner")
    limiter: Limiter = request.app.state.limiter
    await limiter.arequire("learner_write", identity.learner_key, "too many changes from this learner")
    return identity


async def stats_read(identity: StatsReader, limiter: LimiterDep) -> Identity:
    await limiter.arequire("stats_read", f"{identity.issuer}\n{identity.subject}", "too many statistics requests")
    return identity


LearnerWrite = Annotated[Identity, Depends(learner_write)]
StatsRead = Annotated[Identity, Depends(stats_read)]
