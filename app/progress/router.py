"""Learner progress: event batches, the progress summary, erasure."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.auth.dependencies import Learner
from app.catalogue.dependencies import CatalogueDep
from app.certificates import service as certificate_service
from app.config import API_PREFIX
from app.db import SessionDep
from app.errors import PayloadTooLarge
from app.progress import service
from app.progress.learners import changing
from app.progress.schemas import CourseProgressOut, EventBatchIn, EventBatchOut, ProgressOut, Rejected

router = APIRouter(prefix=API_PREFIX, tags=["learner"])


@router.post("/progress/events", response_model=EventBatchOut)
def post_events(
    body: EventBatchIn, identity: Learner, catalogue: CatalogueDep, session: SessionDep, request: Request
) -> EventBatchOut:
    settings = request.app.state.settings
    if len(body.events) > settings.max_events_per_batch:
        raise PayloadTooLarge(
            f"at most {settings.max_events_per_batch} events per batch; send the rest in another batch",
            code="batch_too_large",
        )
    with changing(session, identity=identity, shards=settings.rollup_shards) as learner:
        plan = service.record_events(
            session,
            learner=learner,
            catalogue=catalogue,
            events=body.events,
            signer=request.app.state.signer,
            base_url=settings.public_base_url,
        )
    session.commit()
    return EventBatchOut(
        accepted=len(plan.accepted),
        duplicates=plan.duplicates,
        rejected=[Rejected(id=i, reason=r) for i, r in plan.rejected],
    )


@router.get("/me/progress", response_model=ProgressOut)
def my_progress(identity: Learner, catalogue: CatalogueDep, session: SessionDep) -> ProgressOut:
    states = service.course_states(session, learner_key=identity.learner_key)
    certificates = {
        c.course_slug: c.code for c in certificate_service.for_learner(session, learner_key=identity.learner_key)
    }
    courses = []
    for course in catalogue.courses.values():
        state = states.get(course.slug, service.CourseState())
        lessons, quizzes = service.remaining(course, state)
        completed_at = state.enrolment.completed_at if state.enrolment else None
        courses.append(
            CourseProgressOut(
                course=course.slug,
                title=course.title,
                lessons_done=len(course.lessons) - len(lessons),
                lessons_total=len(course.lessons),
                quizzes_passed=len(course.quizzes) - len(quizzes),
                quizzes_total=len(course.quizzes),
                completed=completed_at is not None,
                completed_at=completed_at,
                next_lesson=lessons[0] if lessons else None,
                next_quiz=quizzes[0] if quizzes else None,
                certificate=certificates.get(course.slug),
            )
        )
    return ProgressOut(courses=courses)


@router.delete("/me")
def erase_me(identity: Learner, session: SessionDep, request: Request) -> dict:
    summary = service.erase(session, learner_key=identity.learner_key, shards=request.app.state.settings.rollup_shards)
    session.commit()
    return {"erased": True, **summary}
