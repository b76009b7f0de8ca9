"""Public catalogue endpoints: outline, lessons with ETag/304, quizzes without answers, 404s."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser

from tests.conftest import CONTENT


def test_course_list_and_outline(client, content):
    courses = client.get("/api/v1/courses").json()["courses"]
    assert [c["slug"] for c in courses] == ["an-toan", "tu-chon"]
    assert courses[0]["lessons"] == 3 and courses[0]["quizzes"] == 2 and courses[0]["sequential"] is True

    detail = client.get("/api/v1/courses/an-toan").json()
    assert [m["slug"] for m in detail["outline"]] == ["mat-khau", "lua-dao"]
    assert [lesson["slug"] for lesson in detail["outline"][0]["lessons"]] == ["mat-khau-manh", "xac-thuc-hai-lop"]
    assert detail["outline"][0]["quiz"] == {
        "id": "mat-khau",
        "title": "Kiểm tra mật khẩu",
        "questions": 2,
        "pass_ratio": 0.5,
    }
    assert detail["outline"][1]["quiz"]["pass_ratio"] == 1.0


def test_lesson_fields_navigation_and_etag(client, content):
    response = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Xác thực hai lớp" and body["module"] == "mat-khau" and body["minutes"] == 4
    assert body["prev"] == "mat-khau-manh" and body["next"] == "nhan-biet-lua-dao"
    etag = response.headers["etag"]
    assert etag.startswith('"') and "max-age" in response.headers["cache-control"]

    again = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    stale = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200


def test_lesson_markdown_is_rendered_with_tables_and_task_lists(client, content):
    html = client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh").json()["html"]
    assert "<strong>dài</strong>" in html and "<table>" in html and 'type="checkbox"' in html


class _Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def test_hostile_markdown_is_inert(client, content):
    source = (CONTENT / "an-toan/01-mat-khau/02-xac-thuc-hai-lop.md").read_text()
    assert '<img src="x" onerror="alert(1)">' in source and "<script>" in source and "javascript:" in source
    html = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop").json()["html"]
    elements = _Elements(html).elements
    tags = [tag for tag, _ in elements]
    assert "script" not in tags
    assert not [(tag, name) for tag, attrs in elements for name in attrs if name.startswith("on")]
    assert ("img", {"src": "x"}) not in [(tag, {"src": attrs.get("src")}) for tag, attrs in elements]
    hrefs = [attrs.get("href") for tag, attrs in elements if tag == "a"]
    assert hrefs == ["https://dichvucong.gov.vn"]  # the javascript: link lost its href
    assert "onerror" in html  # the payload is shown as inert text, not dropped silently


def test_quiz_never_reveals_answers_or_explanations(client, content):
    response = client.get("/api/v1/courses/an-toan/quizzes/mat-khau")
    assert response.status_code == 200
    quiz = response.json()
    assert sorted(q["id"] for q in quiz["questions"]) == ["q-an-toan", "q-manh"]
    assert quiz["form"] is None  # an anonymous preview cannot be submitted
    manh = next(q for q in quiz["questions"] if q["id"] == "q-manh")
    assert manh["multiple"] is False and "mây-trắng-bay-qua-núi-2024" in {o["text"] for o in manh["options"]}
    assert all(len(o["id"]) == 12 and o["id"] not in "abc" for o in manh["options"])  # opaque, not the file order
    raw = json.dumps(quiz, ensure_ascii=False)
    assert "correct" not in raw and "explanation" not in raw and "Cụm từ dài" not in raw


def test_unknown_things_are_404_in_the_json_error_format(client, content):
    for path, code in [
        ("/api/v1/courses/nope", "course_not_found"),
        ("/api/v1/courses/an-toan/lessons/nope", "lesson_not_found"),
        ("/api/v1/courses/an-toan/quizzes/nope", "quiz_not_found"),
        ("/api/v1/courses/tu-chon/quizzes/co-ban", "quiz_not_found"),
        ("/api/v1/no-such-route", "not_found"),
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == code


def test_empty_catalogue_is_an_empty_list(client):
    assert client.get("/api/v1/courses").json() == {"courses": []}


def test_lesson_pictures_are_served_at_immutable_content_hashed_urls(client, content):
    lesson = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop").json()
    svg = (CONTENT / "an-toan/images/khoa.svg").read_bytes()
    url = f"/api/v1/assets/{hashlib.sha256(svg).hexdigest()}.svg"
    assert lesson["assets"] == [url]
    assert f'<img src="{url}" alt="Ổ khoá đóng: tài khoản đã được bảo vệ">' in lesson["html"]
    response = client.get(url)
    assert response.status_code == 200 and response.content == svg
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response.headers["x-content-type-options"] == "nosniff"
    again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_outline_lists_every_lessons_pictures(client, content):
    outline = client.get("/api/v1/courses/an-toan").json()["outline"]
    assets = {lesson["slug"]: lesson["assets"] for module in outline for lesson in module["lessons"]}
    assert assets["mat-khau-manh"] == [] and len(assets["xac-thuc-hai-lop"]) == 1
    assert assets["xac-thuc-hai-lop"] == client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop").json()["assets"]


def test_unknown_or_malformed_assets_are_404(client, content):
    for name in ["0" * 64 + ".svg", "../../etc/passwd", "abc.svg", "0" * 64 + ".exe"]:
        response = client.get(f"/api/v1/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] in ("asset_not_found", "not_found")


def test_glossary_is_served_with_etag_and_terms_are_marked_in_lessons(client, content):
    response = client.get("/api/v1/courses/an-toan/glossary")
    assert response.status_code == 200
    terms = response.json()["terms"]
    assert [(t["id"], t["term"]) for t in terms] == [("otp", "OTP"), ("xac-thuc-hai-lop", "Xác thực hai lớp")]
    assert terms[0]["explanation"].startswith("Mã gồm vài chữ số")
    etag = response.headers["etag"]
    assert client.get("/api/v1/courses/an-toan/glossary", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/courses/tu-chon/glossary").json() == {"terms": []}
    html = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop").json()["html"]
    assert html.count('data-term="otp"') == 1 and html.count('data-term="xac-thuc-hai-lop"') == 1
    assert '<dfn class="term" data-term="otp" title="Mã gồm vài chữ số' in html
    assert client.get("/api/v1/courses/nope/glossary").json()["error"]["code"] == "course_not_found"
