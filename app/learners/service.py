"""A learner changes: lock their row, let the domains change their own rows, move the statistics by the difference.

Every change that can move the statistics (progress, completion, rating, a move to another commune,
erasure) goes through `changing`, which applies `contribution(after) - contribution(before)` for the one
learner concerned, in the caller's transaction. The hot writes (progress batches, quiz attempts) change
enrolments only and already hold them before and after: they report both to the change, so nothing is
read twice (their ratings are unchanged and cancel out of the difference).
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.auth.tokens import Identity
from app.catalogue.service import Catalogue
from app.certificates import service as certificate_service
from app.certificates.issuer import CertificateIssuer
from app.db import Writes, dialect_insert, table_of, utcnow
from app.errors import Conflict, Forbidden, Unprocessable
from app.learners.models import Learner
from app.limits.limiter import Limiter
from app.progress import completion
from app.progress import service as progress_service
from app.progress.events import Recorded, record_events
from app.progress.planning import Rules
from app.progress.schemas import EventIn
from app.progress.state import EnrolmentRow, read_state
from app.quizzes import forms
from app.quizzes import service as quiz_service
from app.quizzes.schemas import AttemptIn, AttemptOut, OptionOut, QuestionOut, QuizFormOut
from app.stats import ratings, rollups
from app.stats.cellkey import record_key


def contribution_of(session: Session, *, learner_key: str, commune: str) -> Counter:
    """What the learner's own rows add to the statistics, were they counted in `commune`."""
    return rollups.contribution(
        commune,
        progress_service.enrolments_of(session, learner_key=learner_key),
        ratings.ratings_of(session, learner_key=learner_key),
        record=record_key(learner_key),
    )


def _locked(session: Session, learner_key: str) -> Learner | None:
    return session.exec(select(Learner).where(Learner.key == learner_key).with_for_update()).first()


@dataclass
class LockedLearner:
    """The learner whose row this transaction holds; a write that changes only enrolments may `report` them."""

    key: str
    commune: str
    reported: tuple[list[EnrolmentRow], list[EnrolmentRow]] | None = None
    writes: Writes = field(default_factory=Writes)  # inserts sent together when the change ends

    def report(self, before: list[EnrolmentRow], after: list[EnrolmentRow]) -> None:
        """The enrolments before and after this change (which changed nothing else that is counted)."""
        self.reported = (before, after)


@lru_cache(maxsize=4)
def claiming(dialect: str):
    """Insert the learner or lock their existing row, returning its commune: one statement, built once.

    DO UPDATE (of nothing that changes) rather than DO NOTHING: the row comes back, locked, in one round trip.
    """
    table = table_of(Learner)
    insert = dialect_insert(dialect, table)
    return insert.on_conflict_do_update(index_elements=["key"], set_={"key": insert.excluded.key}).returning(
        table.c.commune, table.c.moves
    )


def ensure_learner(session: Session, *, identity: Identity, shards: int, counted_moves: int) -> LockedLearner:
    """Create or lock the caller's learner row in one statement; all changes of one learner queue here.

    The learner's commune is the one in their latest token: when it changes, their counts move
    from the old commune to the new one in the same transaction, for the first `counted_moves` moves;
    after those the statistics keep counting them where they were (the privacy bound of app/stats/privacy.py).
    """
    locality = require_locality(identity)
    dialect = session.get_bind().dialect.name
    commune, moves = (
        session.connection()
        .execute(claiming(dialect), {"key": identity.learner_key, "commune": locality, "created_at": utcnow()})
        .one()
    )
    if commune != locality and not counted_move(moves, counted_moves):
        return LockedLearner(identity.learner_key, commune)
    if commune != locality:
        enrolments = progress_service.enrolments_of(session, learner_key=identity.learner_key)
        own_ratings = ratings.ratings_of(session, learner_key=identity.learner_key)
        record = record_key(identity.learner_key)
        before = rollups.contribution(commune, enrolments, own_ratings, record=record)
        after = rollups.contribution(locality, enrolments, own_ratings, record=record)
        rollups.apply(session, rollups.difference(after, before), shards=shards)
        table = table_of(Learner)
        session.execute(
            update(table).where(table.c.key == identity.learner_key).values(commune=locality, moves=table.c.moves + 1)
        )
    return LockedLearner(identity.learner_key, locality)


def counted_move(moves: int, counted_moves: int) -> bool:
    """Does the statistics follow a learner who has moved `moves` times to a new commune (STATS_COUNTED_MOVES)?"""
    return moves < counted_moves


def enrolments_delta(learner_key: str, commune: str, before: list[EnrolmentRow], after: list[EnrolmentRow]) -> Counter:
    """How the statistics move when a change that changed only enrolments took them from `before` to `after`."""
    record = record_key(learner_key)
    return rollups.difference(
        rollups.contribution(commune, [row.counted() for row in after], (), record=record),
        rollups.contribution(commune, [row.counted() for row in before], (), record=record),
    )


def require_locality(identity: Identity) -> str:
    """The commune of the caller's token: a learner change is counted there, so a token without one is refused."""
    if identity.locality is None:
        raise Forbidden("a learner token with a 'locality' is needed", code="insufficient_scope")
    return identity.locality


@contextmanager
def changing(
    session: Session, *, identity: Identity, shards: int, counted_moves: int, reports: bool = False
) -> Iterator[LockedLearner]:
    """Lock the learner, let the caller change their rows, then move the rollups by the difference.

    With `reports`, the caller changes enrolments only and must `report` them before and after; the
    difference is computed from those, without reading the learner's rows again.
    """
    learner = ensure_learner(session, identity=identity, shards=shards, counted_moves=counted_moves)
    before = None if reports else contribution_of(session, learner_key=learner.key, commune=learner.commune)
    yield learner
    if reports:
        if learner.reported is None:
            raise RuntimeError("a change with reports=True must report its enrolments")
        delta = enrolments_delta(learner.key, learner.commune, *learner.reported)
    else:
        assert before is not None  # read before the yield whenever reports is False
        session.flush()
        after = contribution_of(session, learner_key=learner.key, commune=learner.commune)
        delta = rollups.difference(after, before)
    if delta:
        rollups.apply(session, delta, shards=shards, writes=learner.writes)
    learner.writes.send(session)


def erase(session: Session, *, learner_key: str, shards: int) -> int:
    """Every domain forgets the learner, in the caller's transaction; returns the certificates revoked.

    The rollups lose exactly what the learner contributed; certificates are revoked and unlinked.
    """
    learner = _locked(session, learner_key)
    if learner is None:
        return 0
    before = contribution_of(session, learner_key=learner_key, commune=learner.commune)
    rollups.apply(session, rollups.difference(Counter(), before), shards=shards)
    revoked = certificate_service.revoke_and_unlink(session, learner_key=learner_key, now=utcnow(), reason="erased")
    progress_service.forget(session, learner_key=learner_key)
    quiz_service.forget(session, learner_key=learner_key)
    ratings.forget(session, learner_key=learner_key)
    session.execute(delete(Learner).where(col(Learner.key) == learner_key))
    session.flush()
    return revoked


def quiz_form(
    session: Session, *, catalogue: Catalogue, course_slug: str, quiz_slug: str, learner_key: str | None, secret: bytes
) -> QuizFormOut:
    """A learner's attempt form (the same draw until an attempt is graded), or an anonymous preview."""
    course = catalogue.course(course_slug)
    quiz = course.quiz(quiz_slug)
    if learner_key is None:  # a preview shows the whole pool, shuffled anew, and cannot be submitted
        signed = None
        _, questions = forms.draw(
            replace(quiz, ask=None),
            secret=secrets.token_bytes(16),  # a throw-away key: the preview's option ids score on no form
            learner_key="",
            course=course.slug,
            number=0,
            now=utcnow(),
        )
    else:
        number = quiz_service.count(session, learner_key=learner_key, course_slug=course.slug, quiz_slug=quiz.slug)
        form, questions = forms.draw(
            quiz, secret=secret, learner_key=learner_key, course=course.slug, number=number, now=utcnow()
        )
        signed = forms.sign(form, secret)
    return QuizFormOut(
        id=quiz.slug,
        course=course.slug,
        title=quiz.title,
        pass_ratio=quiz.pass_ratio,
        content_hash=quiz.content_hash,
        ask=quiz.asked,
        review=quiz.review,
        form=signed,
        questions=[
            QuestionOut(
                id=q.id, text=q.text, multiple=q.multiple, options=[OptionOut(id=o.id, text=o.text) for o in q.options]
            )
            for q in questions
        ],
    )


def record_progress(
    session: Session,
    *,
    learner: LockedLearner,
    catalogue: Catalogue,
    events: list[EventIn],
    issuer: CertificateIssuer,
    max_stored: int,
    rules: Rules = Rules(),
) -> Recorded:
    """A batch of progress events for the locked learner; its enrolments are reported to the change."""
    recorded = record_events(
        session,
        learner_key=learner.key,
        catalogue=catalogue,
        events=events,
        issuer=issuer,
        max_stored=max_stored,
        writes=learner.writes,
        now=utcnow(),
        rules=rules,
    )
    learner.report(recorded.before, recorded.after)
    return recorded


def submit_attempt(
    session: Session,
    *,
    learner: LockedLearner,
    catalogue: Catalogue,
    course_slug: str,
    quiz_slug: str,
    attempt: AttemptIn,
    issuer: CertificateIssuer,
    secret: bytes,
    limiter: Limiter,
    rules: Rules = Rules(),
) -> AttemptOut:
    """Grade an attempt against the form it answers, within the attempt limit; then let progress settle the
    course. A resent attempt id returns the first reply and costs nothing. Every outcome is decided in memory
    and each row written once: the attempt (with the certificate, if it completed the course) and the
    enrolment. The learner's enrolments are reported to the change (`changing(..., reports=True)`)."""
    learner_key = learner.key
    course = catalogue.course(course_slug)
    quiz = course.quiz(quiz_slug)
    known = quiz_service.attempt_state(
        session, learner_key=learner_key, attempt_id=attempt.id, course_slug=course.slug, quiz_slug=quiz.slug
    )
    previous = quiz_service.previous_reply(known, course_slug=course.slug, quiz_slug=quiz.slug)
    if previous is not None:
        learner.report([], [])
        return previous
    form = forms.verify(attempt.form, secret)
    if form is None or (form.learner_key, form.course, form.quiz) != (learner_key, course.slug, quiz.slug):
        raise Unprocessable("this form was not issued for you and this quiz; fetch a new one", code="form_invalid")
    if form.quiz_hash != quiz.content_hash:
        raise Unprocessable("the quiz has changed since this form was issued; fetch a new one", code="form_invalid")
    if form.number != known.made:
        raise Conflict("this form has already been answered; fetch a new one", code="form_used")
    limiter.require(
        "attempt",
        f"{learner_key}\n{course.slug}\n{quiz.slug}",
        "no more attempts at this quiz for now",
        code="attempt_limit",
    )
    now = utcnow()
    graded = quiz_service.grade_attempt(
        learner_key=learner_key,
        course_slug=course.slug,
        quiz=forms.served_quiz(quiz, form, secret=secret),
        attempt_id=attempt.id or uuid.uuid4(),
        answers=attempt.answers,
        now=now,
        passed_before=known.passed,
    )
    passes = dict(known.first_passes)
    if graded.reply.passed:
        passes.setdefault(quiz.slug, now)
    state = read_state(session, learner_key=learner_key, course_slugs=[course.slug], event_ids=[])
    before = state.enrolments.get(course.slug)
    witnessed = min(form.issued, now)  # the server issued this form: the learner was at the quiz by then
    enrolment, code = completion.settle(
        session,
        learner_key=learner_key,
        course=course,
        known=before,
        enrolment=completion.arrive(before, course_slug=course.slug, at=now, witnessed=witnessed),
        lessons=state.lessons.get(course.slug, {}),
        passes=passes,
        issuer=issuer,
        now=now,
        rules=rules,
        writes=learner.writes,
    )
    learner.report([before] if before else [], [enrolment])
    if code is not None:
        graded = graded.completing(code)
    quiz_service.store(graded, writes=learner.writes)
    return graded.reply


def rate(session: Session, *, learner_key: str, course_slug: str, stars: int, counted_changes: int) -> datetime:
    """The learner's rating of a course they have started (a rating without learning is refused)."""
    if not progress_service.has_started(session, learner_key=learner_key, course_slug=course_slug):
        raise Conflict("rate a course after starting it", code="course_not_started")
    now = utcnow()
    ratings.set_rating(
        session, learner_key=learner_key, course_slug=course_slug, stars=stars, now=now, counted_changes=counted_changes
    )
    return now
