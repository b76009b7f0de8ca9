"""Public catalogue endpoints: outline, lessons with ETag/304, quizzes without answers, 404s."""

from __future__ import annotations

import json


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


def test_hostile_markdown_is_inert(client, content):
    html = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop").json()["html"]
    assert "<script" not in html and "onerror=" not in html.replace("&quot;", "").replace('onerror="alert', "x")
    assert '<img src="x"' not in html
    assert 'href="javascript' not in html
    assert '<a href="https://dichvucong.gov.vn"' in html
    assert '<img src="https://example.org/a.png" alt="Ảnh minh hoạ">' in html


def test_quiz_never_reveals_answers_or_explanations(client, content):
    response = client.get("/api/v1/courses/an-toan/quizzes/mat-khau")
    assert response.status_code == 200
    quiz = response.json()
    assert [q["id"] for q in quiz["questions"]] == ["q-manh", "q-an-toan"]
    assert [q["multiple"] for q in quiz["questions"]] == [False, True]
    assert quiz["questions"][0]["options"][1] == {"id": "b", "text": "mây-trắng-bay-qua-núi-2024"}
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
