"""GET /stats/completion and /stats/timeseries: the figures a steering committee reads (k = 3 in tests)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.stats.seeding import LAUNCH, enrol

URL = "/api/v1/stats/completion"
SERIES = "/api/v1/stats/timeseries"
HOAN_KIEM, BA_DINH, GIANG_VO = "00070", "00004", "00025"  # Hà Nội (01)
THU_DAU_MOT = "25747"  # TP Hồ Chí Minh (79)
HA_GIANG_2 = "00691"  # Tuyên Quang (08)


D = 1  # the tests' STATS_NOISE_MAX


@pytest.fixture
def country(content, seed, release):
    """01: 5 started / 4 completed; 79: 2 / 1 (small); 08: 10 / 6; then a release."""
    seed(HOAN_KIEM, started=5, completed=4)
    seed(THU_DAU_MOT, started=2, completed=1)
    seed(HA_GIANG_2, started=10, completed=6)
    return release()


def _rows(body):
    return {row["code"]: row for row in body["rows"]}


def near(published, true) -> bool:
    return published is not None and abs(published - true) <= D


def test_stats_need_the_stats_scope(client, auth):
    assert client.get(URL).json()["error"]["code"] == "missing_token"
    response = client.get(URL, headers=auth("learner"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_before_any_release_statistics_say_so(client, auth, content):
    response = client.get(URL, headers=auth("stats"))
    assert response.status_code == 503 and response.json()["error"]["code"] == "no_release"


def test_every_province_from_the_release_small_rows_withheld_whole(client, auth, country):
    response = client.get(URL, params={"course": "an-toan"}, headers=auth("stats"))
    assert response.status_code == 200
    body = response.json()
    rows = _rows(body)
    assert body["release"]["id"] == country and body["release"]["method"]["k"] == 3
    assert len(rows) == 34 and rows["01"]["name"] == "Thành phố Hà Nội"
    assert near(rows["08"]["learners"], 10) and near(rows["08"]["completed"], 6)
    assert rows["08"]["completion_rate"] == round(rows["08"]["completed"] / rows["08"]["learners"], 3)
    assert near(rows["01"]["learners"], 5) and near(rows["01"]["completed"], 4)
    # 2 learners in 79: fewer than k, so the whole row (learners, completed, rates) is withheld together.
    assert [rows["79"][m] for m in ("learners", "completed", "flagged", "completion_rate")] == [None] * 4
    assert rows["12"]["learners"] is None and rows["12"]["completion_rate"] is None  # nobody: withheld as well
    assert near(body["total"]["learners"], 17) and near(body["total"]["completed"], 11)
    assert body["level"] == "province" and body["suppression_k"] == 3


def test_communes_of_one_province_every_one_listed(client, auth, country, seed, release):
    seed(BA_DINH, started=1, completed=0)
    release()
    body = client.get(URL, params={"course": "an-toan", "province": "01"}, headers=auth("stats")).json()
    rows = _rows(body)
    assert body["level"] == "commune" and len(rows) == 126
    assert rows[GIANG_VO]["learners"] is None
    assert rows[BA_DINH]["learners"] is None and rows[BA_DINH]["completed"] is None
    assert near(rows[HOAN_KIEM]["learners"], 5)
    assert near(body["province"]["learners"], 6)


def test_a_learner_in_two_courses_counts_once_in_all_courses(client, auth, content, seed, session, release):
    keys = seed(HA_GIANG_2, started=4, completed=4, course="an-toan")
    for key in keys:
        enrol(session, learner_key=key, commune=HA_GIANG_2, course="tu-chon", completed_at=LAUNCH)
    release()
    everything = client.get(URL, headers=auth("stats")).json()
    assert near(everything["total"]["learners"], 4) and near(everything["total"]["completed"], 4)
    tu_chon = client.get(URL, params={"course": "tu-chon"}, headers=auth("stats")).json()
    assert near(tu_chon["total"]["completed"], 4)


def test_figures_change_only_at_releases(client, auth, country, seed, release):
    before = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).content
    seed(HA_GIANG_2, started=25, completed=20)
    assert client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).content == before
    release()
    after = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()
    assert near(_rows(after)["08"]["learners"], 35)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"course": "nope"}, 404, "course_not_found"),
        ({"province": "99"}, 404, "province_not_found"),
        ({"level": "commune"}, 422, "province_required"),
        ({"level": "province", "province": "01"}, 422, "province_unexpected"),
        ({"level": "district"}, 422, "invalid_request"),
        ({"format": "xlsx"}, 422, "invalid_request"),
        ({"province": "0001"}, 422, "invalid_request"),
    ],
)
def test_bad_queries_are_clear_json_errors(client, auth, content, params, status, code):
    response = client.get(URL, params=params, headers=auth("stats"))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_csv_for_excel_names_the_release(client, auth, country):
    response = client.get(URL, params={"course": "an-toan", "format": "csv"}, headers=auth("stats"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="completion_an-toan_provinces_release-{country}.csv"')
    assert "filename*=UTF-8''" in disposition
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "code",
        "name",
        "learners",
        "completed",
        "flagged",
        "completion_rate",
        "target",
        "coverage_rate",
        "satisfaction",
        "release",
        "as_of",
    ]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["79"][1] == "Thành phố Hồ Chí Minh" and by_code["79"][2] == ""  # withheld: empty cell
    assert near(int(by_code["08"][2]), 10) and by_code["08"][9] == str(country)
    assert len(rows) == 1 + 34 + 1


def test_etag_and_cache_control_let_dashboards_poll_cheaply(client, auth, country, seed, release):
    first = client.get(URL, headers=auth("stats"))
    assert first.headers["cache-control"].startswith("private, max-age=")
    etag = first.headers["etag"]
    again = client.get(URL, headers={**auth("stats"), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    seed(HA_GIANG_2, started=1)
    release()
    changed = client.get(URL, headers={**auth("stats"), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_timeseries_running_totals_from_the_release(client, auth, content, seed, release):
    seed(HA_GIANG_2, started=5, completed=5)
    seed(HA_GIANG_2, started=1, completed=1, completed_at=LAUNCH + timedelta(days=1))
    seed(HA_GIANG_2, started=4, completed=4, completed_at=LAUNCH + timedelta(days=3))
    release()
    params = {"course": "an-toan", "province": "08", "from": "2026-05-01", "to": "2026-05-05"}
    body = client.get(SERIES, params=params, headers=auth("stats")).json()
    assert body["name"] == "Tuyên Quang" and body["release"]["id"]
    rows = body["rows"]
    assert [r["day"] for r in rows] == ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"]
    totals = [r["running_total"] for r in rows]
    assert near(totals[0], 5) and near(totals[-1], 10) and totals == sorted(totals)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["completed"] == after["running_total"] - before["running_total"]
    table = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()
    assert _rows(table)["08"]["completed"] == totals[-1]  # the series tail is the table total
    later = client.get(SERIES, params={**params, "from": "2026-05-03"}, headers=auth("stats")).json()
    assert later["rows"] == rows[2:]  # the same figures whatever the window


def test_timeseries_of_a_small_province_is_withheld(client, auth, country):
    body = client.get(SERIES, params={"province": "79", "course": "an-toan"}, headers=auth("stats")).json()
    assert all(r["running_total"] is None and r["completed"] is None for r in body["rows"])


def test_timeseries_csv_and_bounded_ranges(client, auth, country):
    response = client.get(
        SERIES, params={"format": "csv", "from": "2026-05-01", "to": "2026-05-02"}, headers=auth("stats")
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "day,code,name,completed,running_total,release,as_of" and len(lines) == 3
    for params, code in [
        ({"from": "0001-01-01"}, "before_programme"),
        ({"from": "9990-01-01", "to": "9999-12-31"}, "after_release"),
        ({"from": "2026-05-03", "to": "2026-05-01"}, "invalid_range"),
        ({"from": "not-a-date"}, "invalid_request"),
    ]:
        response = client.get(SERIES, params=params, headers=auth("stats"))
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == code
