"""Upload -> problems -> fix -> preview -> publish -> change -> publish -> roll back, withdraw, audit (the API)."""

from __future__ import annotations

from sqlalchemy import text

from app.catalogue.importer import import_content
from tests.author.conftest import CONTENT, course_files, lesson_path

API = "/api/v1/author"


def broken_course() -> dict[str, bytes | str]:
    files = course_files()
    lesson = files[lesson_path()].decode()
    lesson = lesson.replace("minutes: 5", "minutes: 5\ntittle: x")
    files[lesson_path()] = lesson.replace("## Làm thử ngay", "![Ổ khoá](images/khao.svg)\n\n## Làm thử ngay")
    lesson2 = "an-toan/01-mat-khau/02-xac-thuc-hai-lop.md"
    files[lesson2] = files[lesson2].decode().replace("title:", "title: a: b\nx:")
    return files


def test_the_whole_round_trip_of_an_author(client, upload, author, session, app):
    draft = upload(broken_course())
    assert draft.status_code == 201, draft.text
    body = draft.json()
    by_code = {p["code"]: p for p in body["problems"]}
    unknown = by_code["unknown_key"]
    assert unknown["file"] == lesson_path() and unknown["line"] == 4 and unknown["severity"] == "error"
    assert "có phải ý bạn là 'title'" in unknown["message"]
    assert any(c["line"] == 4 and "tittle" in c["text"] for c in unknown["context"])
    assert by_code["picture_not_found"]["message"].startswith("Không tìm thấy hình 'images/khao.svg'")
    assert "images/khoa.svg" in by_code["picture_not_found"]["message"]
    assert by_code["yaml_invalid"]["message"].startswith("Phần đầu viết sai cú pháp")
    assert body["errors"] >= 3 and body["courses"] == []
    refused = client.post(f"{API}/drafts/{body['id']}/publish", headers=author())
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "draft_has_errors"

    fixed = upload(course_files()).json()
    assert fixed["errors"] == 0 and [c["slug"] for c in fixed["courses"]] == ["an-toan"]
    assert fixed["diff"][0]["new"] is True and fixed["courses"][0]["published_version"] is None
    preview = client.get(f"{API}/drafts/{fixed['id']}/courses/an-toan", headers=author()).json()
    table = next(item for item in preview["lessons"] if item["slug"] == "mat-khau-manh")
    assert "<table>" in table["html"]
    lesson = next(item for item in preview["lessons"] if item["slug"] == "xac-thuc-hai-lop")
    assert f"{API}/drafts/{fixed['id']}/assets/" in lesson["html"]
    assert client.get(lesson["assets"][0], headers=author()).headers["content-type"].startswith("image/svg+xml")
    quiz = preview["quizzes"][0]
    assert "correct" not in str(quiz) and "explanation" not in str(quiz)
    assert client.get("/api/v1/courses/an-toan").status_code == 404  # a preview is not published

    first = client.post(f"{API}/drafts/{fixed['id']}/publish", headers=author())
    assert first.json()["courses"][0] | {"content_hash": ""} == {
        "course": "an-toan", "status": "created", "version": 1, "content_hash": ""
    }  # fmt: skip
    again = client.post(f"{API}/drafts/{fixed['id']}/publish", headers=author()).json()
    assert again["courses"][0]["status"] == "unchanged" and again["courses"][0]["version"] == 1
    app.state.catalogue.refresh(session)
    assert client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh").status_code == 200

    changed = course_files()
    changed[lesson_path()] = changed[lesson_path()].decode().replace("Mật khẩu mạnh", "Mật khẩu thật mạnh", 1)
    second = upload(changed).json()
    assert second["diff"][0]["lessons"]["retitled"] == [
        {"slug": "mat-khau-manh", "from": "Mật khẩu mạnh", "to": "Mật khẩu thật mạnh"}
    ]
    assert client.post(f"{API}/drafts/{second['id']}/publish", headers=author()).json()["courses"][0]["version"] == 2
    app.state.catalogue.refresh(session)
    assert client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh").json()["title"] == "Mật khẩu thật mạnh"

    back = client.post(f"{API}/courses/an-toan/rollback", json={"version": 1}, headers=author())
    assert back.json() == {"course": "an-toan", "status": "rolled_back", "version": 1}
    app.state.catalogue.refresh(session)
    assert client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh").json()["title"] == "Mật khẩu mạnh"
    history = client.get(f"{API}/versions", params={"course": "an-toan"}, headers=author()).json()
    assert history["current"] == 1
    assert [(v["action"], v["version"]) for v in history["versions"]] == [
        ("rollback", 1), ("publish", 2), ("publish", 1)
    ]  # fmt: skip
    assert history["versions"][1]["summary"]["lessons_added"] == 0 and history["versions"][0]["published_by"]


def test_removed_lessons_count_learners_with_progress_and_renames_are_told(client, upload, content, session):
    for n, learner in enumerate(("a" * 64, "b" * 64)):
        session.execute(
            text("INSERT INTO learner (key, commune, moves, created_at) VALUES (:k, '00070', 0, :at)"),
            {"k": learner, "at": "2026-11-24 00:00:00+00:00"},
        )
        session.execute(
            text(
                "INSERT INTO lesson_completion (learner_key, course_slug, lesson_slug, completed_at)"
                " VALUES (:k, 'an-toan', :lesson, :at)"
            ),
            {"k": learner, "lesson": ("mat-khau-manh", "xac-thuc-hai-lop")[n], "at": "2026-11-24 00:00:00+00:00"},
        )
    files = course_files()
    files["an-toan/01-mat-khau/01-mat-khau-rat-manh.md"] = files.pop(lesson_path())
    del files["an-toan/01-mat-khau/02-xac-thuc-hai-lop.md"]
    diff = upload(files).json()["diff"][0]
    assert diff["lessons"]["renamed"] == [{"from": "mat-khau-manh", "to": "mat-khau-rat-manh"}]
    assert diff["lessons"]["removed"] == ["xac-thuc-hai-lop"]
    assert diff["learners_on_removed"] == 2


def test_a_changed_quiz_is_in_the_diff(upload, content):
    files = course_files()
    quiz = "an-toan/01-mat-khau/quiz.md"
    files[quiz] = files[quiz].decode().replace("Mật khẩu nào mạnh nhất?", "Mật khẩu nào khó đoán nhất?")
    assert upload(files).json()["diff"][0]["quizzes"] == [
        {"quiz": "mat-khau", "added": [], "removed": [], "changed": ["q-manh"]}
    ]


def test_withdrawal_takes_the_course_out_and_keeps_progress_and_rollback_brings_it_back(
    client, author, content, session, app
):
    session.execute(
        text("INSERT INTO learner (key, commune, moves, created_at) VALUES (:k, '00070', 0, :at)"),
        {"k": "c" * 64, "at": "2026-11-24 00:00:00+00:00"},
    )
    session.execute(
        text(
            "INSERT INTO lesson_completion (learner_key, course_slug, lesson_slug, completed_at)"
            " VALUES (:k, 'an-toan', 'mat-khau-manh', :at)"
        ),
        {"k": "c" * 64, "at": "2026-11-24 00:00:00+00:00"},
    )
    gone = client.delete(f"{API}/courses/an-toan", headers=author())
    assert gone.json() == {"course": "an-toan", "status": "withdrawn", "version": None}
    assert client.delete(f"{API}/courses/an-toan", headers=author()).json()["status"] == "already_withdrawn"
    app.state.catalogue.refresh(session)
    assert client.get("/api/v1/courses/an-toan").status_code == 404
    assert "an-toan" not in [c["slug"] for c in client.get("/api/v1/courses").json()["courses"]]
    kept = session.execute(text("SELECT COUNT(*) FROM lesson_completion WHERE course_slug = 'an-toan'")).scalar_one()
    assert kept == 1
    assert [p.status for p in import_content(session, CONTENT)] == ["kept", "unchanged"]  # restart: stays out
    back = client.post(f"{API}/courses/an-toan/rollback", json={"version": 1}, headers=author())
    assert back.json()["status"] == "rolled_back"
    app.state.catalogue.refresh(session)
    assert client.get("/api/v1/courses/an-toan").status_code == 200


def test_an_import_of_an_unchanged_folder_keeps_what_an_author_published(client, upload, author, content, session):
    changed = course_files()
    changed[lesson_path()] = changed[lesson_path()].decode().replace("Mật khẩu mạnh", "Mật khẩu rất mạnh", 1)
    draft = upload(changed).json()
    assert client.post(f"{API}/drafts/{draft['id']}/publish", headers=author()).json()["courses"][0]["version"] == 2
    assert [p.status for p in import_content(session, CONTENT)] == ["kept", "unchanged"]
    history = client.get(f"{API}/versions", params={"course": "an-toan"}, headers=author()).json()
    assert history["current"] == 2 and [v["action"] for v in history["versions"]] == ["publish", "import"]


def test_the_audit_log_records_every_action_and_only_admins_read_it(client, upload, author, auth, content):
    draft = upload(course_files(), sub="tac-gia-2").json()
    client.post(f"{API}/drafts/{draft['id']}/publish", headers=author("tac-gia-2"))
    client.delete(f"{API}/courses/tu-chon", headers=author("tac-gia-2"))
    assert client.get(f"{API}/audit", headers=author()).status_code == 403
    entries = client.get(f"{API}/audit", headers=auth("admin", sub="quan-tri", locality=None)).json()["entries"]
    assert [(e["action"], e["course"]) for e in entries] == [
        ("withdraw", "tu-chon"), ("publish", "an-toan"), ("draft", None)
    ]  # fmt: skip
    assert len({e["actor"] for e in entries}) == 1 and len(entries[0]["actor"]) == 64
    assert "tac-gia-2" not in str(entries)  # pseudonymous keys only
    admin = auth("admin", sub="quan-tri", locality=None)
    older = client.get(f"{API}/audit", params={"before": 2**31 - 1}, headers=admin)
    assert [e["id"] for e in older.json()["entries"]] == [e["id"] for e in entries]
    beyond = client.get(f"{API}/audit", params={"before": 2**31}, headers=admin)  # out of INTEGER range: a 500 before
    assert beyond.status_code == 422 and beyond.json()["error"]["code"] == "invalid_request"


def test_only_authors_and_admins_may_use_the_author_api(client, auth, upload):
    learner = client.get(f"{API}/versions", params={"course": "an-toan"}, headers=auth("learner"))
    assert learner.status_code == 403 and learner.json()["error"]["code"] == "insufficient_scope"
    assert client.get(f"{API}/versions", params={"course": "an-toan"}).status_code == 401
    admin = auth("admin", sub="quan-tri", locality=None)
    assert client.get(f"{API}/versions", params={"course": "khong-co"}, headers=admin).status_code == 404


def test_rollback_to_an_unknown_version_is_a_clear_404(client, author, content):
    reply = client.post(f"{API}/courses/an-toan/rollback", json={"version": 9}, headers=author())
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "version_not_found"
    assert "phiên bản 9" in reply.json()["error"]["message"]
