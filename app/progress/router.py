"""The learner's own progress summary (reads only; writes go through app.learners)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request

from app.auth.dependencies import Learner
from app.catalogue.cache import current_snapshot
from app.config import API_PREFIX
from app.db import transactions
from app.errors import error_responses
from app.progress import summary
from app.progress.schemas import ProgressOut

router = APIRouter(prefix=API_PREFIX, tags=["learner"], responses=error_responses(401, 403, 422, 429, 503))


@router.get("/me/progress", response_model=ProgressOut)
async def my_progress(identity: Learner, request: Request) -> ProgressOut:
    """Per course: lessons and quizzes done, completion, the next lesson to resume at, the certificate."""
    read = partial(summary.summary, learner_key=identity.learner_key, catalogue=current_snapshot(request).catalogue)
    return await transactions(request).run(read, read_only=True)  # as the writes: on the event loop (app/db.py)
