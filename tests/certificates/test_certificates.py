"""Completion issues one certificate: signed (ES256), verifiable offline with the JWKS and online by code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.certificates.models import Certificate
from app.certificates.signing import verify_with_jwks
from tests.quizzes.helpers import answer

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def complete_an_toan(client, headers):
    lessons = ["mat-khau-manh", "xac-thuc-hai-lop", "nhan-biet-lua-dao"]
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": "lesson_completed",
            "course": "an-toan",
            "lesson": slug,
            "at": (T0 + timedelta(minutes=i)).isoformat(),
        }
        for i, slug in enumerate(lessons)
    ]
    assert client.post("/api/v1/progress/events", json={"events": events}, headers=headers).json()["accepted"] == 3
    first = answer(client, headers, "an-toan", "mat-khau", {"q-manh": ["b"], "q-an-toan": ["a", "b"]}).json()
    assert first["passed"] and not first["course_completed"]
    last = answer(client, headers, "an-toan", "lua-dao", {"q1": ["b"]}).json()
    assert last["passed"] and last["course_completed"]
    return last["certificate"]


def test_completing_a_course_issues_one_verifiable_certificate(client, content, auth, session):
    headers = auth("learner")
    failed = answer(client, headers, "an-toan", "lua-dao", {"q1": ["a"]}).json()
    assert failed["passed"] is False
    code = complete_an_toan(client, headers)
    assert len(code) >= 10 and code.isalnum() and code.upper() == code

    progress = client.get("/api/v1/me/progress", headers=headers).json()["courses"][0]
    assert progress["completed"] and progress["certificate"] == code and progress["next_lesson"] is None
    assert (progress["lessons_done"], progress["quizzes_passed"], progress["quizzes_total"]) == (3, 2, 2)

    mine = client.get("/api/v1/me/certificates", headers=headers).json()["certificates"]
    assert [c["code"] for c in mine] == [code]
    claims = verify_with_jwks(mine[0]["token"], client.get("/.well-known/jwks.json").json())
    assert claims["code"] == code and claims["course"] == "an-toan"
    assert claims["course_title"] == "An toàn trên mạng (khoá thử nghiệm)"
    assert "sub" not in claims and not any("learner" in k for k in claims)

    public = client.get(f"/api/v1/certificates/{code.lower()}").json()
    assert public["status"] == "valid" and public["valid"] and public["course"] == "an-toan"
    qr = client.get(f"/api/v1/certificates/{code}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml" and b"<svg" in qr.content

    # More attempts and resent events do not issue a second certificate.
    client.post("/api/v1/courses/an-toan/quizzes/lua-dao/attempts", json={"answers": {"q1": ["b"]}}, headers=headers)
    assert len(session.exec(select(Certificate)).all()) == 1


def test_tampered_certificate_does_not_verify(client, content, auth):
    import pytest
    from jose.exceptions import JWSError

    headers = auth("learner")
    complete_an_toan(client, headers)
    token = client.get("/api/v1/me/certificates", headers=headers).json()["certificates"][0]["token"]
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload[:-2]}AA.{signature}"
    with pytest.raises(JWSError):
        verify_with_jwks(forged, client.get("/.well-known/jwks.json").json())


def test_unknown_certificate_is_404(client):
    response = client.get("/api/v1/certificates/AAAAAAAAAAAAAAAA")
    assert response.status_code == 404 and response.json()["error"]["code"] == "certificate_not_found"


def test_the_verification_link_opens_a_page_for_people_and_json_for_apps(client, content, auth):
    code = complete_an_toan(client, auth("learner", sub="page"))
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get(f"/api/v1/certificates/{code}", headers=browser)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Chứng nhận hợp lệ." in html and "An toàn trên mạng (khoá thử nghiệm)" in html and code in html
    issued = datetime.now(UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    assert issued in html and "<script" not in html.lower()
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script can run
    assert "Accept" in page.headers["vary"]
    api = client.get(f"/api/v1/certificates/{code}")  # httpx sends Accept: */*
    assert api.headers["content-type"] == "application/json" and api.json()["status"] == "valid"
    assert client.get(f"/api/v1/certificates/{code}", headers={"Accept": "application/json"}).json()["valid"]
    missing = client.get("/api/v1/certificates/AAAAAAAAAAAAAAAA", headers=browser)
    assert missing.status_code == 404 and "Không có chứng nhận nào mang mã AAAAAAAAAAAAAAAA" in missing.text
    forged = client.get("/api/v1/certificates/%3Cb%3Ex", headers=browser)
    assert forged.status_code == 404 and "<b>x" not in forged.text and "&lt;b&gt;x" in forged.text
