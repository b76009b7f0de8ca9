"""A few thousand learners across several provinces: every published figure near the truth, every small one withheld."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from app.learners import rebuild
from app.learners.models import Learner
from app.localities.official import COMMUNES, COMMUNES_BY_PROVINCE
from app.progress.models import Enrolment
from tests.stats.seeding import LAUNCH, new_key

URL = "/api/v1/stats/completion"
K = 3  # the tests' SUPPRESSION_K


def _seed(session, rng: random.Random) -> list[tuple[str, bool]]:
    """(commune, completed) per learner, in the 'an-toan' course; the rollups built by a rebuild."""
    communes = [c.code for p in ("01", "08", "79", "12") for c in COMMUNES_BY_PROVINCE[p][:12]]
    tiny = [COMMUNES_BY_PROVINCE[p][20].code for p in ("01", "08", "79")] + [COMMUNES_BY_PROVINCE["04"][0].code]
    people, enrolments = [], []
    for number in range(2500):
        # some communes crowded, some with a handful, a few (and province 04) with one or two learners
        commune = tiny[number % 4] if number < 6 else rng.choice(communes[: rng.choice([2, 10, 48])])
        key, completed = new_key(), rng.random() < 0.6
        session.add(Learner(key=key, commune=commune, created_at=LAUNCH))
        at = LAUNCH + timedelta(hours=rng.randrange(200))
        enrolments.append(
            Enrolment(learner_key=key, course_slug="an-toan", started_at=at, completed_at=at if completed else None)
        )
        people.append((commune, completed))
    session.flush()  # learners first: enrolments refer to them
    session.add_all(enrolments)
    session.flush()
    rebuild.rebuild(session, write=True)
    return people


def _check(rows: dict, truth: dict[str, Counter], k: int, noise: int) -> None:
    """Every published count within ±noise of the truth; every row with 1..k-1 learners withheld whole."""
    for code, row in rows.items():
        true = truth[code]
        if true["learners"] < k - noise:  # zero included: no perturbation can reach k
            assert row["learners"] is None and row["completed"] is None, code
        for measure in ("learners", "completed"):
            if row[measure] is not None:
                assert abs(row[measure] - true[measure]) <= noise, (code, measure)
                assert row[measure] >= k  # never a small count


def test_a_seeded_country_gives_near_figures_and_withholds_small_ones(client, auth, content, session, release):
    people = _seed(session, random.Random(4))
    release()
    by_commune: dict[str, Counter] = {}
    for commune, completed in people:
        for code in (commune, COMMUNES[commune].province, "national"):
            by_commune.setdefault(code, Counter()).update(learners=1, completed=int(completed))
    truth = lambda code: by_commune.get(code, Counter())  # noqa: E731

    body = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()
    noise = 0  # noise off in tests: exact figures (tests/stats/test_privacy.py runs the production noise)
    _check({"national": body["total"]}, {"national": truth("national")}, K, noise)
    provinces = {row["code"]: row for row in body["rows"]}
    _check(provinces, {code: truth(code) for code in provinces}, K, noise)
    assert provinces["04"]["learners"] is None  # one or two learners there
    withheld = 0
    for province in ("01", "08", "79", "12"):
        body = client.get(URL, params={"province": province}, headers=auth("stats")).json()  # all courses
        communes = {row["code"]: row for row in body["rows"]}
        _check(communes, {code: truth(code) for code in communes}, K, noise)
        withheld += sum(1 for row in communes.values() if row["learners"] is None)
    assert withheld >= 3  # the tiny communes
