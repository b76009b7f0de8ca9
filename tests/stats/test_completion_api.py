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


@pytest.fixture
def country(content, seed):
    """01: 5 started / 4 completed; 79: 2 / 1 (small); 08: 10 / 6."""
    seed(HOAN_KIEM, started=5, completed=4)
    seed(THU_DAU_MOT, started=2, completed=1)
    seed(HA_GIANG_2, started=10, completed=6)


def _rows(body):
    return {row["code"]: row for row in body["rows"]}


def test_stats_need_the_stats_scope(client, auth):
    assert client.get(URL).json()["error"]["code"] == "missing_token"
    response = client.get(URL, headers=auth("learner"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_every_province_with_small_cells_and_their_complements_withheld(client, auth, country):
    response = client.get(URL, params={"course": "an-toan"}, headers=auth("stats"))
    assert response.status_code == 200
    body = response.json()
    rows = _rows(body)
    assert len(rows) == 34 and rows["01"]["name"] == "Thành phố Hà Nội"
    # learners: 79 has 2 (< 3), so the next smallest, 01 (5), goes with it; 08 (10) stays.
    assert (rows["79"]["learners"], rows["01"]["learners"], rows["08"]["learners"]) == (None, None, 10)
    assert (rows["79"]["completed"], rows["01"]["completed"], rows["08"]["completed"]) == (None, None, 6)
    assert rows["08"]["completion_rate"] == 0.6 and rows["01"]["completion_rate"] is None
    assert rows["12"]["learners"] == 0 and rows["12"]["completion_rate"] is None
    assert body["total"]["learners"] == 17 and body["total"]["completed"] == 11
    assert body["level"] == "province" and body["suppression_k"] == 3


def test_communes_of_one_province_zeros_included(client, auth, country, seed):
    seed(BA_DINH, started=1, completed=0)
    body = client.get(URL, params={"course": "an-toan", "province": "01"}, headers=auth("stats")).json()
    rows = _rows(body)
    assert body["level"] == "commune" and len(rows) == 126
    assert rows[GIANG_VO]["learners"] == 0
    # Hà Nội (6) is withheld in the province table, so its communes must not add up to it.
    assert body["province"]["learners"] is None
    assert rows[BA_DINH]["learners"] is None and rows[HOAN_KIEM]["learners"] is None
    assert rows[HOAN_KIEM]["completed"] is None  # 4 alone would equal the withheld province figure


def test_a_learner_in_two_courses_counts_once_in_all_courses(client, auth, content, seed, session):
    keys = seed(HA_GIANG_2, started=4, completed=4, course="an-toan")
    for key in keys:
        enrol(session, learner_key=key, commune=HA_GIANG_2, course="tu-chon", completed_at=LAUNCH)
    everything = client.get(URL, headers=auth("stats")).json()
    assert everything["total"]["learners"] == 4 and everything["total"]["completed"] == 4
    tu_chon = client.get(URL, params={"course": "tu-chon"}, headers=auth("stats")).json()
    assert tu_chon["total"]["completed"] == 4


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


def test_csv_for_excel(client, auth, country):
    response = client.get(URL, params={"course": "an-toan", "format": "csv"}, headers=auth("stats"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="completion_an-toan_provinces_')
    assert disposition.endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "code",
        "name",
        "learners",
        "completed",
        "completion_rate",
        "target",
        "coverage_rate",
        "satisfaction",
    ]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["79"][1] == "Thành phố Hồ Chí Minh" and by_code["79"][2] == ""  # withheld: empty cell
    assert by_code["08"][2:4] == ["10", "6"]
    assert by_code["national"][2] == "17" and len(rows) == 1 + 34 + 1


def test_etag_and_cache_control_let_dashboards_poll_cheaply(client, auth, country, seed):
    first = client.get(URL, headers=auth("stats"))
    assert first.headers["cache-control"].startswith("private, max-age=")
    etag = first.headers["etag"]
    again = client.get(URL, headers={**auth("stats"), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    seed(HA_GIANG_2, started=1)
    changed = client.get(URL, headers={**auth("stats"), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_timeseries_daily_completions_and_running_total(client, auth, content, seed):
    day2 = LAUNCH + timedelta(days=1)
    seed(HA_GIANG_2, started=5, completed=5)
    seed(HA_GIANG_2, started=1, completed=1, completed_at=day2)
    seed(HA_GIANG_2, started=4, completed=4, completed_at=LAUNCH + timedelta(days=3))
    params = {"course": "an-toan", "province": "08", "from": "2026-05-01", "to": "2026-05-05"}
    body = client.get(SERIES, params=params, headers=auth("stats")).json()
    assert body["name"] == "Tuyên Quang" and body["withheld"] is False
    rows = [(r["day"], r["completed"], r["running_total"]) for r in body["rows"]]
    assert rows == [
        ("2026-05-01", 5, 5),
        ("2026-05-02", None, None),
        ("2026-05-03", 0, None),
        ("2026-05-04", None, 10),
        ("2026-05-05", 0, 10),
    ]
    later = client.get(SERIES, params={**params, "from": "2026-05-03"}, headers=auth("stats")).json()
    assert later["rows"] == body["rows"][2:]  # the same figures whatever the window


def test_timeseries_of_a_withheld_province_is_withheld(client, auth, country):
    body = client.get(SERIES, params={"province": "79", "course": "an-toan"}, headers=auth("stats")).json()
    assert body["withheld"] is True
    assert all(r["completed"] is None and r["running_total"] is None for r in body["rows"])


def test_timeseries_csv_and_bad_ranges(client, auth, country):
    response = client.get(
        SERIES, params={"format": "csv", "from": "2026-05-01", "to": "2026-05-02"}, headers=auth("stats")
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert (
        'filename="timeseries_all-courses_national_2026-05-01_2026-05-02.csv"'
        in response.headers["content-disposition"]
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "day,code,name,completed,running_total" and lines[1] == "2026-05-01,,Toàn quốc,11,11"
    for params, code in [
        ({"from": "2026-05-02", "to": "2026-05-01"}, "invalid_range"),
        ({"from": "2000-01-01", "to": "2026-05-01"}, "range_too_long"),
        ({"from": "yesterday"}, "invalid_request"),
    ]:
        response = client.get(SERIES, params=params, headers=auth("stats"))
        assert response.status_code == 422 and response.json()["error"]["code"] == code
