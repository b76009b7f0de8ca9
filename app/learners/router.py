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

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlmodel import Session
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from app.auth.dependencies import OPTIONAL_TOKEN, MaybeLearner
from app.auth.tokens import Identity
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
from app.limits.dependencies import LearnerWrite, learner_write
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
    return await record_batch(request, body, identity)


async def record_batch(request: Request, body: EventBatchIn, identity: Identity) -> Response:
    """The batch recorded and its reply (`post_events`, and `DirectBatches` before it)."""
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


class DirectBatches:
    """POST /progress/events as a plain ASGI route matched before the declared one (`post_events`), for the
    commonest write: the same `record_batch` without FastAPI's walk to it (its request handler, dependency
    resolution and exit stack, and JSON parsed by Python before validation): with the direct COMMIT, 1,432 to
    1,108 µs of CPU per batch in-process, two runs apart (docs/SCALING.md, round 6). A JSON body that is a valid
    batch is read here, in Rust (`model_validate_json`), and the caller checked by `learner_write` as the route
    checks it; every other request (another content type, a body that is not a valid batch) goes to the declared
    route with its body replayed, so FastAPI answers it exactly as before. Errors raised here (a token, a limit,
    the database) reach the app's exception handlers as the route's do. tests/learners/test_direct_route.py."""

    def __init__(self, declared: APIRoute) -> None:
        self.declared = declared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.declared  # metrics and the access log label it with the declared route's template
        request = Request(scope, receive, send)
        raw = await request.body()
        body = _batch(request.headers.get("content-type"), raw)
        if body is None:
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return await receive()  # (a disconnect, as the declared route would see it)
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}

            return await self.declared.handle(scope, replay, send)
        response = await record_batch(request, body, await learner_write(request))
        await response(scope, receive, send)


def _batch(content_type: str | None, raw: bytes) -> EventBatchIn | None:
    """The body as a batch when it is one sent as JSON, else None (the declared route answers it)."""
    if content_type is None or content_type.split(";", 1)[0].strip().lower() != "application/json":
        return None
    try:
        return EventBatchIn.model_validate_json(raw)
    except ValidationError:
        return None


def direct_batches(app: FastAPI) -> None:
    """Put `DirectBatches` before the app's routes (after `add_routes` has declared `post_events`)."""
    path = f"{API_PREFIX}/progress/events"
    declared = next(r for r in app.router.routes if isinstance(r, APIRoute) and r.path == path)
    if declared.methods != {"POST"}:
        raise ValueError(f"{path} is declared for {declared.methods}: DirectBatches answers POST only")
    app.router.routes.insert(0, Route(path, DirectBatches(declared), methods=["POST"], include_in_schema=False))


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
