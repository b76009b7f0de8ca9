"""PUT /admin/targets (adult population, CSV) and PUT /courses/{course}/rating (satisfaction)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from app.localities.official import COMMUNES_BY_PROVINCE
from app.stats.models import ALL_COURSES, CompletionRollup, Rating
from app.stats.targets import parse_targets

TARGETS = "/api/v1/admin/targets"
URL = "/api/v1/stats/completion"
CSV = {"Content-Type": "text/csv"}


def _put(client, auth, text: str | bytes, **headers):
    return client.put(TARGETS, content=text, headers={**auth("admin"), **CSV, **headers})


def test_targets_give_coverage_and_provinces_default_to_their_communes(client, auth, content, seed, release):
    seed("00691", started=10, completed=6)
    release()
    response = _put(client, auth, "\ufeffcode,adults\r\n00691,300\r\n00694,100\r\n01,8000000\r\n")
    assert response.status_code == 200, response.text
    assert response.json() == {"updated": 3, "provinces": 1, "communes": 2}
    rows = {r["code"]: r for r in client.get(URL, headers=auth("stats")).json()["rows"]}
    assert rows["08"]["target"] == 400 and rows["08"]["coverage_rate"] == 6 / 400  # noise off in tests
    assert rows["08"]["target_communes"] == 2 and rows["08"]["communes"] == len(COMMUNES_BY_PROVINCE["08"])
    assert rows["01"]["target_communes"] == 0  # 01's own figure, none of its communes
    assert rows["01"]["target"] == 8_000_000 and rows["01"]["coverage_rate"] is None  # nobody in 01: withheld
    assert rows["79"]["target"] is None and rows["79"]["coverage_rate"] is None
    communes = {r["code"]: r for r in client.get(URL, params={"province": "08"}, headers=auth("stats")).json()["rows"]}
    completed = communes["00691"]["completed"]
    assert communes["00691"]["target"] == 300 and communes["00691"]["coverage_rate"] == 0.02 == completed / 300
    assert _put(client, auth, "code,adults\n00691,600\n").status_code == 200  # an upsert
    rows = {r["code"]: r for r in client.get(URL, headers=auth("stats")).json()["rows"]}
    assert rows["08"]["target"] == 700


def test_bad_targets_are_refused_with_every_line(client, auth, content, release):
    release()
    text = "code,adults\n00691,300\n99999,5\n70,10\n01,-4\n79,12.5\n00691,1\n04\n"
    response = _put(client, auth, text)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_csv"
    lines = [(d["line"], d["message"]) for d in error["details"]]
    assert [line for line, _ in lines] == [3, 4, 5, 6, 7, 8]
    assert "not an official commune" in lines[0][1]
    assert "leading zeros" in lines[1][1]
    assert "negative" in lines[2][1] and "whole number" in lines[3][1]
    assert "already given on line 2" in lines[4][1] and "2 fields" in lines[5][1]
    rows = {r["code"]: r for r in client.get(URL, headers=auth("stats")).json()["rows"]}
    assert rows["08"]["target"] is None  # nothing saved


def test_targets_header_encoding_type_and_scope(client, auth, content):
    wrong_header = _put(client, auth, "ma,nguoi_lon\n01,5\n")
    assert wrong_header.status_code == 422 and wrong_header.json()["error"]["details"][0]["line"] == 1
    assert _put(client, auth, "").status_code == 422
    assert _put(client, auth, "code,adults\n").status_code == 422
    assert _put(client, auth, "code,adults\n01,5\n".encode("utf-16")).status_code == 422
    assert _put(client, auth, '{"01": 5}', **{"Content-Type": "application/json"}).status_code == 415
    assert client.put(TARGETS, content="code,adults\n01,5\n", headers={**auth("stats"), **CSV}).status_code == 403


def test_excel_semicolon_csv_is_understood():
    assert parse_targets("code;adults\r\n01;5\r\n") == ({"01": 5}, [])


FIRST_LESSON = {"an-toan": "mat-khau-manh", "tu-chon": "bai-mot"}


def _start(client, headers, course: str) -> None:
    event = {
        "id": str(uuid.uuid4()),
        "type": "lesson_completed",
        "course": course,
        "lesson": FIRST_LESSON[course],
        "at": "2026-11-01T08:00:00+07:00",
    }
    assert client.post("/api/v1/progress/events", json={"events": [event]}, headers=headers).status_code == 200


def _rate(client, auth, sub: str, stars, course: str = "an-toan", locality: str = "00691", start: bool = True):
    headers = auth("learner", sub=sub, locality=locality)
    if start and course in FIRST_LESSON:
        _start(client, headers, course)
    return client.put(f"/api/v1/courses/{course}/rating", json={"stars": stars}, headers=headers)


def test_a_rating_needs_a_started_course(client, auth, content, session):
    response = _rate(client, auth, "never-started", 5, start=False)
    assert response.status_code == 409 and response.json()["error"]["code"] == "course_not_started"
    assert session.exec(select(Rating)).all() == []


def _rollup(session, course: str) -> tuple[int, int]:
    rows = session.exec(select(CompletionRollup).where(CompletionRollup.course_slug == course)).all()
    return sum(r.ratings for r in rows), sum(r.stars for r in rows)


def test_one_rating_per_learner_and_course_that_can_change(client, auth, content, session):
    first = _rate(client, auth, "a", 2)
    assert first.status_code == 200 and first.json()["stars"] == 2
    assert _rate(client, auth, "a", 5).status_code == 200
    assert len(session.exec(select(Rating)).all()) == 1
    assert _rollup(session, "an-toan") == (1, 5) and _rollup(session, ALL_COURSES) == (1, 5)
    assert _rate(client, auth, "a", 4, course="tu-chon").status_code == 200
    assert _rollup(session, ALL_COURSES) == (2, 9)


def test_satisfaction_is_published_from_enough_ratings_to_one_decimal(client, auth, content, release):
    _rate(client, auth, "a", 5)
    release()
    rows = {r["code"]: r for r in client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()["rows"]}
    assert rows["08"]["satisfaction"] is None  # 1 rating: under the minimum (3 in tests)
    for sub in ("b", "c", "d", "e", "f"):
        _rate(client, auth, sub, 3)
    release()
    body = client.get(URL, params={"course": "an-toan"}, headers=auth("stats")).json()
    row = {r["code"]: r for r in body["rows"]}["08"]
    assert row["satisfaction"] == 3.3 and row["ratings"] == 6  # (5 + 5 x 3) / 6, noise off in tests
    assert row["satisfaction_margin"] == 0


def test_rating_changes_beyond_the_counted_ones_are_kept_but_not_counted(client, auth, content, session):
    """The privacy bound (STATS_COUNTED_RATING_CHANGES, 2 by default): the learner sees their latest rating."""
    for stars in (1, 2, 3, 4):
        assert _rate(client, auth, "a", stars).json()["stars"] == stars
    rating = session.exec(select(Rating)).one()
    assert (rating.stars, rating.counted_stars, rating.changes) == (4, 3, 3)
    assert _rollup(session, "an-toan") == (1, 3)


def test_moving_commune_moves_the_rating(client, auth, content, session):
    _rate(client, auth, "a", 5, locality="00691")
    _rate(client, auth, "a", 5, locality="00070")
    rows = session.exec(select(CompletionRollup).where(CompletionRollup.course_slug == "an-toan")).all()
    by_commune = {}
    for row in rows:
        by_commune[row.commune] = by_commune.get(row.commune, 0) + row.ratings
    assert by_commune == {"00691": 0, "00070": 1}


def test_bad_ratings_are_clear_errors(client, auth, content):
    assert _rate(client, auth, "a", 3.0).json()["stars"] == 3  # a JSON number with no fraction is a whole number
    for stars in (0, 6, "4", 4.5, None, True, [4]):
        response = _rate(client, auth, "a", stars)
        assert response.status_code == 422, stars
        assert response.json()["error"]["code"] == "invalid_request"
    assert _rate(client, auth, "a", 3, course="nope").status_code == 404
    assert client.put("/api/v1/courses/an-toan/rating", json={"stars": 3}, headers=auth("stats")).status_code == 403
