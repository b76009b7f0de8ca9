"""GET /stats/completion and /stats/timeseries: the figures a steering committee reads (k = 3 in tests)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from app.stats import dictionary, xlsx
from app.stats import release as releasing
from tests.stats.seeding import LAUNCH, enrol

URL = "/api/v1/stats/completion"
SERIES = "/api/v1/stats/timeseries"
HOAN_KIEM, BA_DINH, GIANG_VO = "00070", "00004", "00025"  # Hà Nội (01)
THU_DAU_MOT = "25747"  # TP Hồ Chí Minh (79)
HA_GIANG_2 = "00691"  # Tuyên Quang (08)


D = 0  # tests run with the noise off (tests/conftest.py); tests/stats/test_privacy.py measures it


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
    assert rows["08"]["completion_rate"] == 0.6 and rows["08"]["completion_rate_margin"] == 0
    assert rows["08"]["level"] == "province" and body["total"]["level"] == "national"
    assert body["total"]["code"] == "national" and body["release"]["edition"] == 2
    assert body["release"]["as_of"].endswith("+07:00")  # Vietnam time, like the days
    assert near(rows["01"]["learners"], 5) and near(rows["01"]["completed"], 4)
    # 2 learners in 79: fewer than k, so the whole row (learners, completed, rates) is withheld together.
    assert [rows["79"][m] for m in ("learners", "completed", "flagged", "completion_rate")] == [None] * 4
    assert rows["12"]["learners"] is None and rows["12"]["completion_rate"] is None  # nobody: withheld as well
    assert near(body["total"]["learners"], 17) and near(body["total"]["completed"], 11)
    assert body["level"] == "province" and body["suppression_k"] == 3


def test_communes_of_one_province_every_one_listed(client, auth, country, seed, release):
    seed(BA_DINH, started=1, completed=0)
    release()
    body = client.get(URL, params={"province": "01"}, headers=auth("stats")).json()
    rows = _rows(body)
    assert body["level"] == "commune" and len(rows) == 126
    assert {row["level"] for row in body["rows"]} == {"commune"} and body["province"]["level"] == "province"
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
        ({"format": "pdf"}, 422, "invalid_request"),
        ({"release": 0}, 422, "invalid_request"),
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
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [column.name for column in dictionary.COMPLETION]
    by_code = {row["code"]: row for row in rows}
    assert by_code["79"]["name"] == "Thành phố Hồ Chí Minh" and by_code["79"]["learners"] == ""  # withheld
    assert by_code["08"]["learners"] == "10" and by_code["08"]["release"] == str(country)
    assert by_code["08"]["level"] == "province" and by_code["national"]["level"] == "national"
    assert by_code["08"]["course"] == "an-toan" and by_code["08"]["as_of"].endswith("+07:00")
    assert len(rows) == 34 + 1


def test_xlsx_keeps_codes_as_text_and_explains_itself(client, auth, country):
    response = client.get(URL, params={"province": "01", "format": "xlsx"}, headers=auth("stats"))
    assert response.status_code == 200 and response.headers["content-type"].startswith(xlsx.MEDIA_TYPE)
    assert '.xlsx"' in response.headers["content-disposition"]
    book = zipfile.ZipFile(io.BytesIO(response.content))
    names = book.namelist()
    assert "xl/worksheets/sheet1.xml" in names and "xl/worksheets/sheet2.xml" in names
    strings = book.read("xl/sharedStrings.xml").decode()
    assert "Người học" in strings and "Sai số ±" in strings and "Giải thích" in book.read("xl/workbook.xml").decode()
    assert ">00070<" in strings  # Hoàn Kiếm's code as text, leading zeros kept
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    codes = re.findall(r'<c r="B\d+"[^>]*>', sheet)  # column B: the codes
    assert len(codes) == 1 + 126 + 2 and all('t="s"' in cell for cell in codes)  # all text, none a number


def test_datapackage_describes_the_csv_columns(client, auth, content):
    response = client.get("/api/v1/stats/datapackage.json", headers=auth("stats"))
    assert response.status_code == 200
    package = response.json()
    resources = {r["name"]: r for r in package["resources"]}
    fields = [f["name"] for f in resources["completion-by-province"]["schema"]["fields"]]
    assert fields == [column.name for column in dictionary.COMPLETION]
    series = [f["name"] for f in resources["completion-timeseries"]["schema"]["fields"]]
    assert series == [column.name for column in dictionary.SERIES]
    code = next(f for f in resources["completion-by-province"]["schema"]["fields"] if f["name"] == "code")
    assert code["type"] == "string"


def test_rates_keep_four_significant_digits(client, auth, content, seed, release):
    seed(HA_GIANG_2, started=20, completed=20)
    assert (
        client.put(
            "/api/v1/admin/targets",
            content="code,adults\n08,7000000\n",
            headers={**auth("admin"), "Content-Type": "text/csv"},
        ).status_code
        == 200
    )
    release()
    row = _rows(client.get(URL, headers=auth("stats")).json())["08"]
    assert row["coverage_rate"] == 2.857e-06  # 20 of 7,000,000: not 0.0


def test_every_kept_release_can_be_read(client, auth, country, seed, release):
    seed(HA_GIANG_2, started=5, completed=5)
    second = release()
    listed = client.get("/api/v1/stats/releases", headers=auth("stats")).json()["releases"]
    assert [r["id"] for r in listed] == [second, country]
    assert listed[0]["method"]["guarantee"]["epsilon"] == 0  # noise off in tests: no guarantee, and it says so
    old = client.get(URL, params={"course": "an-toan", "release": country}, headers=auth("stats")).json()
    new = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()
    assert (old["release"]["id"], _rows(old)["08"]["learners"]) == (country, 10)
    assert (new["release"]["id"], _rows(new)["08"]["learners"]) == (second, 15)
    gone = client.get(URL, params={"release": 9999}, headers=auth("stats"))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "release_not_found"


@pytest.mark.parametrize("path", [URL, SERIES])
def test_a_release_id_beyond_what_the_database_stores_is_a_422(client, auth, country, path):
    # over 32 bits PostgreSQL's INTEGER key is out of range, over 64 SQLite cannot bind it: a 500 unbounded
    for release in (2**31, 120879376558169620480):  # the second one schemathesis found
        response = client.get(path, params={"course": "an-toan", "release": release}, headers=auth("stats"))
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    largest = client.get(path, params={"course": "an-toan", "release": 2**31 - 1}, headers=auth("stats"))
    assert largest.status_code == 404 and largest.json()["error"]["code"] == "release_not_found"


def test_commune_tables_are_for_all_courses_only(client, auth, country):
    response = client.get(URL, params={"course": "an-toan", "province": "01"}, headers=auth("stats"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "commune_by_course_not_published"


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


def test_timeseries_running_totals_from_the_releases(client, auth, content, seed, session, settings):
    """Each release adds its own day; a day once published never changes (noise off: exact figures)."""
    days = [datetime(2026, 5, 1, 3, tzinfo=UTC) + timedelta(days=n) for n in (0, 1, 3)]
    ids = []
    for day, completed in zip(days, (5, 1, 4), strict=True):
        seed(HA_GIANG_2, started=completed, completed=completed)
        ids.append(_publish(session, settings, day))
    params = {"course": "an-toan", "province": "08", "from": "2026-05-01", "to": "2026-05-04"}
    body = client.get(SERIES, params=params, headers=auth("stats")).json()
    assert body["name"] == "Tuyên Quang" and body["release"]["id"] == ids[-1]
    assert (body["level"], body["code"]) == ("province", "08")
    rows = body["rows"]
    assert [r["day"] for r in rows] == ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04"]
    assert [r["running_total"] for r in rows] == [5, 6, None, 10]  # no release on 05-03
    assert [r["completed"] for r in rows] == [5, 1, None, 4]  # the change since the last published day
    table = client.get(URL, params={"course": "an-toan", "release": ids[-1]}, headers=auth("stats")).json()
    assert _rows(table)["08"]["completed"] == 10  # the series tail is the table total
    earlier = client.get(SERIES, params={**params, "to": "2026-05-02", "release": ids[1]}, headers=auth("stats"))
    assert earlier.json()["rows"] == rows[:2]  # frozen: the same figures in every later release
    national = client.get(SERIES, params={"course": "an-toan"}, headers=auth("stats")).json()
    assert national["code"] == "national" and national["level"] == "national"


def _publish(session, settings, as_of) -> int:
    found = releasing.publish(session, settings=settings, slot=as_of.isoformat(), as_of=as_of, keep=31)
    assert found is not None and found.id is not None
    session.flush()
    return found.id


def test_timeseries_of_a_small_province_is_withheld(client, auth, country):
    body = client.get(SERIES, params={"province": "79", "course": "an-toan"}, headers=auth("stats")).json()
    assert all(r["running_total"] is None and r["completed"] is None for r in body["rows"])


def test_timeseries_csv_and_bounded_ranges(client, auth, country):
    response = client.get(SERIES, params={"format": "csv"}, headers=auth("stats"))
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [column.name for column in dictionary.SERIES]
    assert rows[-1]["code"] == "national" and rows[-1]["level"] == "national" and rows[-1]["running_total"] == "11"
    for params, code in [
        ({"from": "0001-01-01"}, "before_programme"),
        ({"from": "9990-01-01", "to": "9999-12-31"}, "after_release"),
        ({"from": "2026-05-03", "to": "2026-05-01"}, "invalid_range"),
        ({"from": "not-a-date"}, "invalid_request"),
    ]:
        response = client.get(SERIES, params=params, headers=auth("stats"))
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == code
