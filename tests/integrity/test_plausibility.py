"""Plausibility from what the server sees: arrival times and the issue times of quiz forms, not only the times a
device claims. The speed run of issue 23 is flagged; an honest learner offline for days who syncs once is not."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

from sqlmodel import select

from app.progress.models import Enrolment
from tests.integrity.conftest import COURSE, LESSONS, QUIZZES
from tests.quizzes.helpers import attempt_body, fetch_form

RIGHT = {
    "dien-thoai": {f"q{n}": ["abcd"[n % 4]] for n in range(1, 9)},
    "mang": {f"m{n}": ["abc"[(n + 1) % 3]] for n in range(1, 11)},
}


def lessons_done(client, headers, clock, *, over: timedelta) -> None:
    """Every lesson in one batch, the device's times spread evenly over `over` up to now."""
    step = over / (len(LESSONS) - 1)
    events = [
        {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": COURSE, "lesson": lesson,
         "at": (clock.utc() - over + n * step).isoformat()}
        for n, lesson in enumerate(LESSONS)
    ]  # fmt: skip
    assert client.post("/api/v1/progress/events", json={"events": events}, headers=headers).json()["accepted"] == 6


def send(client, headers, form: dict) -> dict:
    url = f"/api/v1/courses/{COURSE}/quizzes/{form['id']}/attempts"
    reply = client.post(url, json=attempt_body(form, RIGHT[form["id"]]), headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def enrolment(session, client, headers) -> Enrolment:
    client.get("/api/v1/me/progress", headers=headers)
    return session.exec(select(Enrolment).where(Enrolment.course_slug == COURSE)).one()


def test_the_speed_run_is_flagged_though_the_device_claims_an_hour(client, course, learner, clock, session):
    """Issue 23: every lesson in one batch, device times over 66 minutes; the quizzes passed minutes later."""
    headers = learner("sprinter")
    lessons_done(client, headers, clock, over=timedelta(minutes=66))
    clock.advance(120)
    replies = [send(client, headers, fetch_form(client, headers, COURSE, quiz)) for quiz in QUIZZES]
    assert all(reply["passed"] for reply in replies) and replies[-1]["certificate"]
    row = enrolment(session, client, headers)
    assert row.completed_at is not None and row.flagged
    assert (row.witnessed_at, row.started_at) != (None, None)


def test_an_offline_learner_who_studies_for_days_and_syncs_once_is_not_flagged(client, course, learner, clock, session):
    """Saves the course (a form per quiz, issued by the server), studies three days offline, answers the quizzes
    offline on those forms, and sends everything at once: lessons, then the queued attempts."""
    headers = learner("offline")
    saved = [fetch_form(client, headers, COURSE, quiz) for quiz in QUIZZES]  # "Tải về": online, day 0
    clock.advance(3 * 86400)
    lessons_done(client, headers, clock, over=timedelta(days=3))  # the sync, day 3
    replies = [send(client, headers, form) for form in saved]  # the outbox's attempts, seconds later
    assert replies[-1]["certificate"]
    row = enrolment(session, client, headers)
    assert row.completed_at is not None and not row.flagged
    assert row.witnessed_at < clock.utc() - timedelta(days=2)  # the forms' issue, not the sync


def test_an_online_learner_at_a_reading_pace_is_not_flagged(client, course, learner, clock, session):
    headers = learner("reader")
    for lesson in LESSONS:
        clock.advance(8 * 60)  # a little faster than the 10 minutes the author gave each lesson
        event = {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": COURSE, "lesson": lesson,
                 "at": clock.utc().isoformat()}  # fmt: skip
        assert client.post("/api/v1/progress/events", json={"events": [event]}, headers=headers).status_code == 200
    replies = [send(client, headers, fetch_form(client, headers, COURSE, quiz)) for quiz in QUIZZES]
    assert replies[-1]["certificate"]
    assert not enrolment(session, client, headers).flagged


def test_a_forged_early_form_does_not_help(client, course, learner, clock, session):
    """The issue time is inside the signed form: a form edited to look older is refused, not believed."""
    headers = learner("forger")
    form = fetch_form(client, headers, COURSE, "mang")
    body, _, mac = form["form"].partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload[-1] -= 30 * 86400
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode() + "." + mac
    url = f"/api/v1/courses/{COURSE}/quizzes/mang/attempts"
    reply = client.post(url, json={**attempt_body(form, RIGHT["mang"]), "form": forged}, headers=headers)
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "form_invalid"
