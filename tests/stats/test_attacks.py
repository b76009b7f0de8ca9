"""The disclosure attacks of issue #9, played through the API against production-strength protection.

Each test is the attacker's script: learner accounts it controls, a `stats` token, and reasoning with the
published figures (tests/stats/attacker.py). Each asserts that the attacker cannot single anyone out. The
pepper is fixed so that the noise, a function of the learners' keys, is the same on every run.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from app.learners import service as learners
from app.localities.official import COMMUNES, COMMUNES_BY_PROVINCE
from tests.stats.attacker import Bound, bound_of, propagate
from tests.stats.seeding import enrol, new_key

K, NOISE = 10, 8
PROTECTION = {
    "suppression_k": K,
    "stats_noise_max": NOISE,
    "stats_noise_decay": 0.5,
    "stats_satisfaction_min_ratings": 20,
    "pepper": "attack-tests-fixed-pepper-7f3a9c1e5b2d4f60",
}
URL, SERIES = "/api/v1/stats/completion", "/api/v1/stats/timeseries"
EVENTS, RELEASES = "/api/v1/progress/events", "/api/v1/admin/stats/releases"
COURSE, LESSONS = "tu-chon", ("bai-mot", "bai-hai")  # two lessons, no quiz: both lessons complete it
QUANG_NINH = [c.code for c in COMMUNES_BY_PROVINCE["22"][:6]]
CAO_BANG = [c.code for c in COMMUNES_BY_PROVINCE["04"][:6]]


@pytest.fixture
def app_settings(settings):
    return settings.model_copy(update=PROTECTION)


class Attacker:
    def __init__(self, client, auth):
        self.client, self.auth = client, auth

    def study(self, sub: str, commune: str, *, complete: bool) -> None:
        now = datetime.now(UTC).isoformat()
        lessons = LESSONS if complete else LESSONS[:1]
        events = [
            {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": COURSE, "lesson": lesson, "at": now}
            for lesson in lessons
        ]
        response = self.client.post(EVENTS, json={"events": events}, headers=self.learner(sub, commune))
        assert response.status_code == 200 and response.json()["accepted"] == len(lessons), response.text

    def learner(self, sub: str, commune: str) -> dict:
        return self.auth("learner", sub=sub, locality=commune)

    def erase(self, sub: str, commune: str) -> None:
        assert self.client.delete("/api/v1/me", headers=self.learner(sub, commune)).status_code == 200

    def rate(self, sub: str, commune: str, stars: int) -> None:
        response = self.client.put(
            f"/api/v1/courses/{COURSE}/rating", json={"stars": stars}, headers=self.learner(sub, commune)
        )
        assert response.status_code == 200, response.text

    def release(self) -> int:
        response = self.client.post(RELEASES, headers=self.auth("admin"))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def table(self, **params) -> dict:
        response = self.client.get(URL, params={"course": COURSE, **params}, headers=self.auth("stats"))
        assert response.status_code == 200, response.text
        return response.json()

    def rows(self, **params) -> dict[str, dict]:
        return {row["code"]: row for row in self.table(**params)["rows"]}


@pytest.fixture
def attacker(client, auth, content) -> Attacker:
    return Attacker(client, auth)


def completed_bound(row: dict) -> Bound:
    learners = bound_of(row["learners"], k=K, noise=NOISE)
    return bound_of(row["completed"], k=K, noise=NOISE, cap=learners.hi)


def test_1_joint_constraint_of_one_table_pins_no_one(attacker):
    """Main: a withheld cell plus zeros and totals gave 'exactly 1 learner in province 04, not completed'."""
    attacker.study("lone", CAO_BANG[0], complete=False)
    for i in range(12):
        attacker.study(f"qn-{i}", QUANG_NINH[i % 3], complete=True)  # 'everyone in 22 completed'
    attacker.release()
    table = attacker.table()
    rows = table["rows"]
    by_code = {row["code"]: row for row in rows}
    lone = by_code["04"]
    assert lone["learners"] is None and lone["completed"] is None  # withheld together, never a revealing 0

    learners = {row["code"]: bound_of(row["learners"], k=K, noise=NOISE) for row in rows}
    national = bound_of(table["total"]["learners"], k=K, noise=NOISE)
    propagate([(national, list(learners.values()))])
    assert not learners["04"].determined and learners["04"].hi > 1  # "exactly one learner" is not derivable

    everyone = by_code["22"]
    completed, started = completed_bound(everyone), bound_of(everyone["learners"], k=K, noise=NOISE)
    # the attacker cannot tell "all of them completed" from "some did not"
    assert any(c < n for c in range(completed.lo, completed.hi + 1) for n in range(started.lo, started.hi + 1))


def test_2_live_differencing_sees_nothing_until_the_next_release_and_then_noise(attacker):
    """Main: one DELETE /me moved a commune 12/12 -> 11/11 and a series day by 1, live."""
    commune = QUANG_NINH[0]
    for i in range(12):
        attacker.study(f"dm-{i}", commune, complete=True)
    attacker.release()
    before_table = attacker.client.get(URL, params={"course": COURSE, "province": "22"}, headers=attacker.auth("stats"))
    before_series = attacker.client.get(SERIES, params={"course": COURSE}, headers=attacker.auth("stats"))
    attacker.erase("dm-5", commune)
    attacker.study("mover", QUANG_NINH[1], complete=True)
    attacker.study("mover", QUANG_NINH[2], complete=True)  # a commune move: the latest token's commune counts
    again = attacker.client.get(URL, params={"course": COURSE, "province": "22"}, headers=attacker.auth("stats"))
    assert again.content == before_table.content  # figures move only at releases
    assert attacker.client.get(SERIES, params={"course": COURSE}, headers=attacker.auth("stats")).content == (
        before_series.content
    )

    attacker.release()
    old = {row["code"]: row for row in before_table.json()["rows"]}
    new = attacker.rows(province="22")
    for code, change in ((commune, -1), (QUANG_NINH[1], 0), (QUANG_NINH[2], 1)):
        for measure in ("learners", "completed"):
            was = bound_of(old[code][measure], k=K, noise=NOISE)
            now = bound_of(new[code][measure], k=K, noise=NOISE)
            moves = {b - a for a in range(was.lo, was.hi + 1) for b in range(now.lo, now.hi + 1)}
            # the true move fits, and so do others: for the erasure, "nobody left" fits as well
            assert change in moves and len(moves) > 1, (code, measure)
            assert code != commune or 0 in moves, (code, measure)


def test_3_padding_a_small_cell_with_colluders_reveals_no_status(attacker):
    """Main: nine accounts lifted a withheld cell to 10, published; 10 - 9 = the target completed."""
    target_done, target_not = QUANG_NINH[3], QUANG_NINH[4]
    attacker.study("target-a", target_done, complete=True)
    attacker.study("target-b", target_not, complete=False)
    for commune in (target_done, target_not):
        for i in range(9):
            attacker.study(f"pad-{commune}-{i}", commune, complete=False)
    attacker.release()
    rows = attacker.rows(province="22")
    assert rows[target_done]["completed"] is None and rows[target_not]["completed"] is None
    for commune, status in ((target_done, 1), (target_not, 0)):
        feasible = {s for s in (0, 1) if completed_bound(rows[commune]).holds(0 + s)}  # the nine did not complete
        assert feasible == {0, 1}, (commune, status)

    for commune in (target_done, target_not):  # the colluders complete too, and look again
        for i in range(9):
            attacker.study(f"pad-{commune}-{i}", commune, complete=True)
    attacker.release()
    rows = attacker.rows(province="22")
    for commune in (target_done, target_not):
        feasible = {s for s in (0, 1) if completed_bound(rows[commune]).holds(9 + s)}
        assert feasible == {0, 1}, commune


def test_4_satisfaction_means_do_not_give_single_ratings_away(attacker):
    """Main: 4.00 -> 3.73, live and to 2 decimals, had one solution: a new 1-star rating."""
    commune = QUANG_NINH[5]
    for i in range(10):
        attacker.study(f"r-{i}", commune, complete=True)
        attacker.rate(f"r-{i}", commune, 4)
    attacker.release()
    assert attacker.rows(province="22")[commune]["satisfaction"] is None  # 10 ratings: below the minimum (20)
    for i in range(10, 24):
        attacker.study(f"r-{i}", commune, complete=True)
        attacker.rate(f"r-{i}", commune, 4)
    attacker.release()
    first = attacker.rows(province="22")[commune]["satisfaction"]
    attacker.study("victim", commune, complete=True)
    attacker.rate("victim", commune, 1)
    attacker.release()
    second = attacker.rows(province="22")[commune]["satisfaction"]
    assert first is not None and second is not None and round(second, 1) == second

    def fits(count: int, stars: int, published: float) -> bool:
        return any(
            round(min(5.0, max(1.0, (stars + s) / (count + c))), 1) == published
            for c in range(-NOISE, NOISE + 1)
            for s in range(-3 * NOISE, 3 * NOISE + 1)
            if count + c > 0
        )

    # Did a 25th learner rate 1 star, or did nothing happen? Both fit what was published.
    assert fits(25, 24 * 4 + 1, second) and fits(24, 24 * 4, second)


def test_5_linked_tables_do_not_give_withheld_cells_back(attacker, client, auth):
    """Main: table total - series tail gave a withheld day; nation - province gave a province day;
    all courses - one course gave a withheld cell."""
    for i in range(30):
        attacker.study(f"big-{i}", QUANG_NINH[i % 3], complete=True)
    attacker.study("small", CAO_BANG[1], complete=True)
    attacker.release()
    table = attacker.table()
    series = client.get(SERIES, params={"course": COURSE}, headers=auth("stats")).json()
    assert table["total"]["completed"] == series["rows"][-1]["running_total"]  # consistent by construction

    quang_ninh = client.get(SERIES, params={"course": COURSE, "province": "22"}, headers=auth("stats")).json()
    cao_bang = client.get(SERIES, params={"course": COURSE, "province": "04"}, headers=auth("stats")).json()
    today_nation, today_22 = series["rows"][-1]["completed"], quang_ninh["rows"][-1]["completed"]
    assert cao_bang["rows"][-1]["completed"] in (None, 0) or cao_bang["rows"][-1]["completed"] >= K
    if today_nation is not None and today_22 is not None:
        nation, province = bound_of(today_nation, k=K, noise=NOISE), bound_of(today_22, k=K, noise=NOISE)
        differences = {a - b for a in range(nation.lo, nation.hi + 1) for b in range(province.lo, province.hi + 1)}
        assert len({d for d in differences if d >= 0}) > 1  # Cao Bằng's day is not pinned

    everything = client.get(URL, headers=auth("stats")).json()
    one_course = attacker.table()
    cells = {row["code"]: row for row in everything["rows"]}, {row["code"]: row for row in one_course["rows"]}
    all_cb, course_cb = (
        bound_of(cells[0]["04"]["learners"], k=K, noise=NOISE),
        bound_of(cells[1]["04"]["learners"], k=K, noise=NOISE),
    )
    assert cells[1]["04"]["learners"] is None and not all_cb.determined and not course_cb.determined


def test_6_series_cost_is_bounded_whatever_the_dates(attacker, client, auth):
    """Main: from=9990-01-01&to=9999-12-31 took 9-14 s; one event dated year 1 made every series expensive."""
    attacker.study("early", QUANG_NINH[0], complete=True)
    attacker.release()
    for params in ({"from": "9990-01-01", "to": "9999-12-31"}, {"from": "0001-01-01"}):
        response = client.get(SERIES, params={"course": COURSE, **params}, headers=auth("stats"))
        assert response.status_code == 422
    body = client.get(SERIES, params={"course": COURSE}, headers=auth("stats")).json()
    method = body["release"]["method"]
    first = datetime.fromisoformat(method["programme_start"]).date()
    last = datetime.fromisoformat(body["release"]["as_of"]).date()
    assert len(body["rows"]) <= (last - first).days + 2  # bounded by the programme's length, not by any event date


def test_random_small_communes_no_figure_alone_or_combined_determines_a_small_count(client, auth, content, session):
    """Many small communes with known members, two releases: no small count is pinned; no one's status is."""
    rng = random.Random(9)
    provinces = ["22", "04", "08"]
    communes = [c.code for p in provinces for c in COMMUNES_BY_PROVINCE[p][:8]]
    members: dict[str, list[tuple[str, bool]]] = {}
    for commune in communes:
        for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 9, 11, 14, 25])):
            key, done = new_key(), rng.random() < 0.6
            enrol(
                session,
                learner_key=key,
                commune=commune,
                course=COURSE,
                completed_at=datetime(2026, 11, 20, 3, tzinfo=UTC) if done else None,
            )
            members.setdefault(commune, []).append((key, done))
    attacker = Attacker(client, auth)
    attacker.release()
    first = _published(attacker, provinces)
    truth = _truth(members)
    for measure in ("learners", "completed"):
        bounds = _propagated(first, provinces, measure)
        for code, bound in bounds.items():
            true = truth[code][measure]
            assert bound.holds(true), (code, measure, bound, true)  # the attacker's reasoning is sound
            if 0 < true < K:
                assert not bound.determined, (code, measure)
    completed = _propagated(first, provinces, "completed")
    for commune, people in members.items():  # an attacker who knows every other member's status
        known = sum(done for _, done in people[1:])
        assert {s for s in (0, 1) if completed[commune].holds(known + s)} == {0, 1}, commune

    changed = {}  # between the releases, one member of some communes leaves (erasure): can anyone tell?
    for commune, people in members.items():
        if rng.random() < 0.5:
            learners.erase(session, learner_key=people[0][0], shards=4)
            changed[commune] = -1
    attacker.release()
    second = _published(attacker, provinces)
    before, after = _propagated(first, provinces, "learners"), _propagated(second, provinces, "learners")
    for commune in communes:
        moves = {
            b - a
            for a in range(before[commune].lo, before[commune].hi + 1)
            for b in range(after[commune].lo, after[commune].hi + 1)
        }
        if commune in members:
            assert {0, -1} <= moves, commune  # "someone left" and "nobody left" both fit, whichever happened


def _published(attacker: Attacker, provinces: list[str]) -> dict[str, dict]:
    out = {"national": attacker.table()["total"]}
    for province in provinces:
        table = attacker.table(province=province)
        out[province] = table["province"]
        out.update({row["code"]: row for row in table["rows"]})
    return out


def _truth(members: dict[str, list[tuple[str, bool]]]) -> dict[str, Counter]:
    truth: dict[str, Counter] = {}
    for commune, people in members.items():
        for code in (commune, COMMUNES[commune].province, "national"):
            truth.setdefault(code, Counter()).update(learners=len(people), completed=sum(d for _, d in people))
    return {code: truth.get(code, Counter()) for code in truth} | {
        c: Counter() for p in ("22", "04", "08") for c in (x.code for x in COMMUNES_BY_PROVINCE[p]) if c not in truth
    }


def _propagated(published: dict[str, dict], provinces: list[str], measure: str) -> dict[str, Bound]:
    def bound(code: str) -> Bound:
        row = published[code]
        if measure == "learners":
            return bound_of(row["learners"], k=K, noise=NOISE)
        return completed_bound(row)

    bounds = {code: bound(code) for code in published}
    hierarchy = []
    for province in provinces:
        parts = [bounds[c.code] for c in COMMUNES_BY_PROVINCE[province]]
        hierarchy.append((bounds[province], parts))
    propagate(hierarchy)
    return bounds
