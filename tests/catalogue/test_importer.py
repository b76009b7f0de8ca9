"""Importer: idempotent, versions by content hash, slugs kept, the running app serves a new version."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from sqlmodel import select

from app.catalogue.importer import ContentInvalid, import_content
from app.catalogue.models import ContentAsset, Course, CourseVersion, GlossaryEntry
from tests.conftest import CONTENT


def test_import_is_idempotent(session):
    first = import_content(session, CONTENT)
    assert [(p.course, p.status) for p in first] == [("an-toan", "created"), ("tu-chon", "created")]
    second = import_content(session, CONTENT)
    assert [(p.course, p.status) for p in second] == [("an-toan", "unchanged"), ("tu-chon", "unchanged")]
    assert len(session.exec(select(CourseVersion)).all()) == 2
    assert [p.content_hash for p in first] == [p.content_hash for p in second]


def test_changed_content_makes_a_new_version_served_without_restart(client, app, session, tmp_path):
    """The background refresher's step (every CATALOGUE_REFRESH_SECONDS) swaps the snapshot in place."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    import_content(session, root)
    assert app.state.catalogue.refresh(session) is True
    old = client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh")
    lesson = root / "an-toan/01-mat-khau/01-mat-khau-manh.md"
    lesson.write_text(lesson.read_text().replace("khó đoán", "rất khó đoán"))
    (report, _) = import_content(session, root)
    assert report.status == "updated"
    assert app.state.catalogue.refresh(session) is True
    assert app.state.catalogue.refresh(session) is False  # nothing new: no reload
    new = client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh")
    assert "rất khó đoán" in new.json()["html"]
    assert new.headers["etag"] != old.headers["etag"]
    assert client.get("/api/v1/courses/an-toan").json()["content_hash"] == report.content_hash
    versions = session.exec(select(CourseVersion).where(CourseVersion.course_slug == "an-toan")).all()
    assert len(versions) == 2
    assert session.get(Course, "an-toan").version_id == max(v.id for v in versions)


def test_reverting_reuses_the_earlier_version(session, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    (original, _) = import_content(session, root)
    course_md = root / "an-toan/course.md"
    text = course_md.read_text()
    course_md.write_text(text.replace("Khoá học nhỏ", "Khoá học rất nhỏ"))
    import_content(session, root)
    course_md.write_text(text)
    (reverted, _) = import_content(session, root)
    assert reverted.status == "updated" and reverted.content_hash == original.content_hash
    assert len(session.exec(select(CourseVersion).where(CourseVersion.course_slug == "an-toan")).all()) == 2


def test_invalid_content_imports_nothing(session, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    (root / "tu-chon/01-co-ban/02-bai-hai.md").write_text("no front matter")
    with pytest.raises(ContentInvalid) as raised:
        import_content(session, root)
    assert "tu-chon/01-co-ban/02-bai-hai.md:1: missing front matter" in str(raised.value.problems[0])
    assert session.exec(select(Course)).all() == []


def test_pictures_are_stored_once_and_glossary_with_the_version(session, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    import_content(session, root)
    assets = session.exec(select(ContentAsset)).all()
    svg = (root / "an-toan/images/khoa.svg").read_bytes()
    assert [(a.sha256, a.media_type, a.size, a.data) for a in assets] == [
        (hashlib.sha256(svg).hexdigest(), "image/svg+xml", len(svg), svg)
    ]
    glossary = root / "an-toan/glossary.md"
    glossary.write_text(glossary.read_text().replace("trong ít phút", "trong vài phút"))
    (report, _) = import_content(session, root)
    assert report.status == "updated"  # a glossary change is a new version
    assert len(session.exec(select(ContentAsset)).all()) == 1  # the same picture is not stored twice
    rows = session.exec(select(GlossaryEntry).order_by(GlossaryEntry.version_id, GlossaryEntry.position)).all()
    assert [(r.term_id, "vài phút" in r.explanation) for r in rows] == [
        ("otp", False),
        ("xac-thuc-hai-lop", False),
        ("otp", True),
        ("xac-thuc-hai-lop", False),
    ]


def test_warnings_do_not_stop_an_import(session, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    lesson = root / "tu-chon/01-co-ban/01-bai-mot.md"
    lesson.write_text(lesson.read_text().replace("Nội dung bài một.", " ".join(["chữ"] * 30) + "."))
    assert [p.status for p in import_content(session, root)] == ["created", "created"]
