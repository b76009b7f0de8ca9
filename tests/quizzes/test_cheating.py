"""Playing the cheater: answer keys do not come out, option positions carry nothing, speed runs are flagged."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.progress.models import Enrolment
from tests.quizzes.helpers import attempt_body, fetch_form, option_texts

QUIZ = "/api/v1/courses/an-toan/quizzes/mat-khau"
SUBSETS = [["a"], ["b"], ["c"], ["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]]


def test_key_extraction_by_repeated_attempts_stops_at_the_limit(client, content, auth):
    """Main gave every key away in 79 attempts; now the third attempt is the last for ten minutes."""
    headers = auth("learner", sub="extractor")
    graded, learned = 0, {}
    for subset in SUBSETS * 3:
        form = fetch_form(client, headers, "an-toan", "mat-khau")
        reply = client.post(f"{QUIZ}/attempts", json=attempt_body(form, {"q-an-toan": subset}), headers=headers)
        if reply.status_code == 429:
            assert reply.json()["error"]["code"] == "attempt_limit"
            continue
        graded += 1
        for question in reply.json()["questions"]:
            assert question["right_options"] is None and question["explanation"] is None  # not passed: no key
            if question["id"] == "q-an-toan" and question["correct"]:
                learned["q-an-toan"] = subset
    assert graded == 3 and "q-an-toan" not in learned  # three guesses of seven, none of them the key


def test_the_right_options_position_carries_no_information(client, content, auth, app):
    """Chi-squared over many served forms: the right option of a 3-option question is anywhere, evenly."""
    app.state.form_secret = b"fixed-secret-so-the-draws-are-the-same-every-run"
    positions = Counter()
    for n in range(300):
        form = fetch_form(client, auth("learner", sub=f"s{n}"), "an-toan", "mat-khau")
        question = next(q for q in form["questions"] if q["id"] == "q-manh")
        right = option_texts("an-toan", "mat-khau")["q-manh"]["b"]
        positions[[o["text"] for o in question["options"]].index(right)] += 1
    expected = 300 / 3
    chi_squared = sum((positions[i] - expected) ** 2 / expected for i in range(3))
    assert chi_squared < 13.82, positions  # df = 2, p = 0.001: no position is favoured


def _complete_tu_chon(client, headers, first: datetime, second: datetime) -> dict:
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": "lesson_completed",
            "course": "tu-chon",
            "lesson": lesson,
            "at": at.isoformat(),
        }
        for lesson, at in (("bai-mot", first), ("bai-hai", second))
    ]
    return client.post("/api/v1/progress/events", json={"events": events}, headers=headers).json()


def test_a_one_second_speed_run_is_flagged_and_a_real_pace_is_not(client, content, auth, session):
    now = datetime.now(UTC)
    assert _complete_tu_chon(client, auth("learner", sub="sprinter"), now - timedelta(seconds=1), now)["accepted"] == 2
    assert _complete_tu_chon(client, auth("learner", sub="reader"), now - timedelta(hours=2), now)["accepted"] == 2
    flags = sorted(e.flagged for e in session.exec(select(Enrolment).where(Enrolment.completed_at.is_not(None))))
    assert flags == [False, True]
