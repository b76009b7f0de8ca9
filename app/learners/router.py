"""Learner actions that change several domains at once: progress batches, quiz attempts, ratings, erasure.

Each handler locks the learner (`changing`), calls the domains through the learner service, and commits
once before replying. Progress batches, ratings and erasure run as `Transactions` (app/db.py: on PostgreSQL
on the event loop, over psycopg's async connection; a batch that only adds rows on psycopg's connection
directly, app/learners/direct.py); a quiz attempt stays in the thread pool, because its
attempt limit is checked inside its transaction and that check is a synchronous round trip to Redis.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from app.auth.dependencies import OPTIONAL_TOKEN, MaybeLearner
from app.catalogue.cache import current_snapshot
from app.catalogue.dependencies import CatalogueDep
from app.certificates.issuer import CertificateIssuer, IssuerDep
from app.config import API_PREFIX, Settings
from app.db import SessionDep, transactions, utcnow
from app.dependencies import SettingsDep
from app.errors import PayloadTooLarge, error_responses
from app.learners import direct, service
from app.learners.schemas import ErasureOut
from app.learners.scrub import ScrubberDep
from app.limits.dependencies import LearnerWrite
from app.limits.limiter import LimiterDep
from app.progress.planning import BatchPlan, Rules
from app.progress.schemas import EventBatchIn, EventBatchOut, Rejected
from app.quizzes.dependencies import FormSecretDep
from app.quizzes.schemas import AttemptIn, AttemptOut, QuizFormOut
from app.stats.schemas import RatingIn, RatingOut

router = APIRouter(
    prefix=API_PREFIX, tags=["learner"], responses=error_responses(401, 403, 404, 409, 413, 422, 429, 503)
)


@router.post("/progress/events", response_model=EventBatchOut)
async def post_events(body: EventBatchIn, identity: LearnerWrite, request: Request) -> Response:
    """A batch of offline events: resent ids change nothing; events that cannot apply are listed in `rejected`."""
    settings: Settings = request.app.state.settings
    if len(body.events) > settings.max_events_per_batch:
        raise PayloadTooLarge(
            f"at most {settings.max_events_per_batch} events per batch; send the rest in another batch",
            code="batch_too_large",
        )
    catalogue = current_snapshot(request).catalogue
    issuer: CertificateIssuer = request.app.state.issuer
    rules = Rules.from_settings(settings)

    def record(session: Session) -> BatchPlan:
        with service.changing(
            session,
            identity=identity,
            shards=settings.rollup_shards,
            counted_moves=settings.stats_counted_moves,
            reports=True,
        ) as learner:
            plan = service.record_progress(
                session,
                learner=learner,
                catalogue=catalogue,
                events=body.events,
                issuer=issuer,
                max_stored=settings.max_events_per_learner,
                rules=rules,
            ).plan
        session.commit()
        return plan

    plan = await transactions(request).direct(
        partial(
            direct.record_progress,
            identity=identity,
            catalogue=catalogue,
            events=body.events,
            shards=settings.rollup_shards,
            counted_moves=settings.stats_counted_moves,
            max_stored=settings.max_events_per_learner,
            now=utcnow(),
            rules=rules,
        )
    )
    if plan is None:  # SQLite, or a batch that changes stored rows (app/learners/direct.py)
        plan = await transactions(request).run(record)
    reply = EventBatchOut(
        accepted=len(plan.accepted),
        duplicates=plan.duplicates,
        rejected=[Rejected(id=i, reason=r) for i, r in plan.rejected],
    )
    # Encoded here, once: FastAPI would validate the model it was just built from a second time.
    return Response(reply.model_dump_json(), media_type="application/json")


@router.get("/courses/{course}/quizzes/{quiz}", response_model=QuizFormOut, openapi_extra=OPTIONAL_TOKEN)
def get_quiz(
    course: str, quiz: str, identity: MaybeLearner, catalogue: CatalogueDep, session: SessionDep, secret: FormSecretDep
) -> QuizFormOut:
    """With a learner token: the learner's attempt form (drawn questions, shuffled options, `form` to send back).
    Without: a preview that cannot be submitted. Never the answers."""
    return service.quiz_form(
        session,
        catalogue=catalogue,
        course_slug=course,
        quiz_slug=quiz,
        learner_key=identity.learner_key if identity else None,
        secret=secret,
    )


@router.post("/courses/{course}/quizzes/{quiz}/attempts", response_model=AttemptOut)
def submit_attempt(
    course: str,
    quiz: str,
    body: AttemptIn,
    identity: LearnerWrite,
    catalogue: CatalogueDep,
    session: SessionDep,
    settings: SettingsDep,
    issuer: IssuerDep,
    secret: FormSecretDep,
    limiter: LimiterDep,
) -> AttemptOut:
    """Graded on the server against the form; the same attempt id sent again returns the first reply."""
    catalogue.course(course).quiz(quiz)  # 404 before anything is stored
    with service.changing(
        session,
        identity=identity,
        shards=settings.rollup_shards,
        counted_moves=settings.stats_counted_moves,
        reports=True,
    ) as learner:
        reply = service.submit_attempt(
            session,
            learner=learner,
            catalogue=catalogue,
            course_slug=course,
            quiz_slug=quiz,
            attempt=body,
            issuer=issuer,
            secret=secret,
            limiter=limiter,
            rules=Rules.from_settings(settings),
        )
    session.commit()
    return reply


@router.put("/courses/{course}/rating", response_model=RatingOut)
async def put_rating(
    course: str, body: RatingIn, identity: LearnerWrite, catalogue: CatalogueDep, request: Request
) -> RatingOut:
    """The learner's satisfaction with a course they started, 1 to 5 stars; sending again changes it."""
    settings: Settings = request.app.state.settings
    slug = catalogue.course(course).slug

    def rate(session: Session) -> datetime:
        with service.changing(
            session, identity=identity, shards=settings.rollup_shards, counted_moves=settings.stats_counted_moves
        ) as learner:
            rated_at = service.rate(
                session,
                learner_key=learner.key,
                course_slug=slug,
                stars=body.stars,
                counted_changes=settings.stats_counted_rating_changes,
            )
        session.commit()
        return rated_at

    return RatingOut(course=slug, stars=body.stars, rated_at=await transactions(request).run(rate))


@router.delete("/me", response_model=ErasureOut)
async def erase_me(identity: LearnerWrite, request: Request, scrubber: ScrubberDep) -> ErasureOut:
    """Erase everything stored about the caller; certificates are revoked; statistics keep anonymous counts.
    Within ERASURE_SCRUB_SECONDS the database files are scrubbed too (app/learners/scrub.py)."""
    shards = request.app.state.settings.rollup_shards

    def erase(session: Session) -> int:
        revoked = service.erase(session, learner_key=identity.learner_key, shards=shards)
        session.commit()
        return revoked

    revoked = await transactions(request).run(erase)
    scrubber.request()
    return ErasureOut(erased=True, certificates_revoked=revoked)
