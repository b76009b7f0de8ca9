"""After any sequence of events, resends, ratings, moves and erasures, the rollups equal a rebuild."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import select

from app.auth.tokens import Identity
from app.errors import Conflict
from app.learners import rebuild
from app.learners import service as learners
from app.learners.models import Learner
from app.progress.models import Enrolment
from app.stats import rebuild as stats_rebuild
from app.stats.models import CompletionDaily, CompletionRollup, Rating
from tests.stats.seeding import LAUNCH, enrol

COMMUNES = ("00070", "00004", "00691")  # two in Hà Nội, one in Tuyên Quang
COURSES = ("an-toan", "tu-chon")
SHARDS = 3
MOVES, CHANGES = 1, 1  # the privacy bounds: moves and rating changes beyond these are not counted

learner = st.integers(0, 3)
moment = st.integers(0, 72).map(lambda hours: LAUNCH + timedelta(hours=hours))  # crosses Vietnam midnights
event = st.one_of(
    st.tuples(st.just("enrol"), learner, st.sampled_from(COURSES), moment),
    st.tuples(st.just("complete"), learner, st.sampled_from(COURSES), moment),
    st.tuples(st.just("rate"), learner, st.sampled_from(COURSES), st.integers(1, 5)),
    st.tuples(st.just("move"), learner, st.sampled_from(COMMUNES)),
    st.tuples(st.just("erase"), learner),
)


def _identity(number: int, commune: str) -> Identity:
    return Identity(
        issuer="https://id.test",
        subject=f"s{number}",
        scopes=frozenset({"learner"}),
        locality=commune,
        learner_key=f"{number:064x}",
    )


def _complete(session, identity: Identity, course: str, at) -> None:
    """As the progress code does: lock the learner, change their rows, apply the difference."""
    with learners.changing(session, identity=identity, shards=SHARDS, counted_moves=MOVES) as row:
        enrolment = session.get(Enrolment, (row.key, course)) or Enrolment(
            learner_key=row.key, course_slug=course, started_at=at
        )
        enrolment.completed_at = enrolment.completed_at or at  # a resent completion changes nothing
        session.add(enrolment)


def _run(session, events) -> None:
    home = dict.fromkeys(range(4), COMMUNES[0])
    for name, number, *args in events:
        identity = _identity(number, home[number])
        if name == "enrol":  # direct rows + rollups.apply, on the learner's current commune
            enrol(
                session,
                learner_key=identity.learner_key,
                commune=home[number],
                course=args[0],
                started_at=args[1],
                shards=SHARDS,
            )
        elif name == "complete":
            _complete(session, identity, args[0], args[1])
        elif name == "rate":
            try:  # a rating counts only from a learner who started the course
                with learners.changing(session, identity=identity, shards=SHARDS, counted_moves=MOVES) as row:
                    learners.rate(
                        session, learner_key=row.key, course_slug=args[0], stars=args[1], counted_changes=CHANGES
                    )
            except Conflict:
                pass
        elif name == "move":
            home[number] = args[0]
            learners.ensure_learner(session, identity=_identity(number, args[0]), shards=SHARDS, counted_moves=MOVES)
        else:
            learners.erase(session, learner_key=identity.learner_key, shards=SHARDS)
        session.flush()


def _clear(session) -> None:
    for table in (CompletionRollup, CompletionDaily, Rating, Enrolment, Learner):
        session.execute(delete(table))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event, max_size=25))
def test_rollups_equal_a_rebuild_after_any_events(session, events):
    _clear(session)
    _run(session, events)
    current, rebuilt = stats_rebuild.current_rollups(session), rebuild.rebuilt_rollups(session)
    assert stats_rebuild.differences(current, rebuilt) == []
    assert all(value > 0 for value in current.values())


def test_rebuild_reports_and_repairs_a_drifted_rollup(session, seed):
    seed("00070", started=3, completed=2)
    assert rebuild.rebuild(session, write=False) == []
    row = session.exec(select(CompletionRollup).where(CompletionRollup.course_slug == "an-toan")).first()
    row.completed += 5
    session.add(row)
    session.flush()
    found = rebuild.rebuild(session, write=True)
    assert [(d.key, d.rollup, d.rebuilt) for d in found] == [(("rollup", "an-toan", "00070", "completed"), 7, 2)]
    assert "rollup 7, rebuilt 2" in str(found[0])
    assert rebuild.rebuild(session, write=False) == []
