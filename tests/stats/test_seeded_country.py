"""A few thousand learners across several provinces: every published figure is exact, every small one withheld."""

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


def _check(rows: dict, truth: dict[str, Counter]) -> None:
    for measure in ("learners", "completed"):
        withheld = [code for code, row in rows.items() if row[measure] is None]
        for code, row in rows.items():
            true = truth[code][measure]
            assert row[measure] in (None, true)
            if 0 < true < K:
                assert row[measure] is None
        if withheld:
            assert len(withheld) >= 2 or all(truth[c][measure] == 0 for c in rows if c not in withheld)
            assert sum(truth[c][measure] for c in withheld) >= K or len(withheld) == sum(
                1 for c in rows if truth[c][measure]
            )


def test_a_seeded_country_gives_exact_figures_with_suppression(client, auth, content, session):
    people = _seed(session, random.Random(4))
    by_commune: dict[str, Counter] = {}
    for commune, completed in people:
        for code in (commune, COMMUNES[commune].province, "national"):
            by_commune.setdefault(code, Counter()).update(learners=1, completed=int(completed))
    truth = lambda code: by_commune.get(code, Counter())  # noqa: E731

    body = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()
    assert body["total"]["learners"] == len(people)
    assert body["total"]["completed"] == sum(completed for _, completed in people)
    provinces = {row["code"]: row for row in body["rows"]}
    _check(provinces, {code: truth(code) for code in provinces})
    assert provinces["01"]["learners"] == truth("01")["learners"] > 0

    smallest = min(("01", "08", "79", "12"), key=lambda code: (truth(code)["learners"], code))
    assert {code for code, row in provinces.items() if row["learners"] is None} == {"04", smallest}
    withheld = 0
    for province in ("01", "08", "79", "12"):
        body = client.get(URL, params={"course": "an-toan", "province": province}, headers=auth("stats")).json()
        communes = {row["code"]: row for row in body["rows"]}
        _check(communes, {code: truth(code) for code in communes})
        assert sum(1 for row in communes.values() if row["learners"] is None) < len(communes)
        withheld += sum(1 for row in communes.values() if row["learners"] is None or row["completed"] is None)
    assert withheld >= 6  # the small communes, and their complements
