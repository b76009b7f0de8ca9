"""A lesson's recorded narration (`audio:`): checked like a picture, served content-hashed, downloaded with the
course, played by the learner app."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from app.catalogue.importer import import_content
from app.catalogue.rules import ContentRules
from app.catalogue.walker import validate_content
from tests.conftest import CONTENT

LESSON = "an-toan/01-mat-khau/02-xac-thuc-hai-lop.md"
OPUS = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 200  # an Ogg page with OpusHead
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400


@pytest.fixture
def root(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    (copy / "an-toan/audio").mkdir()
    return copy


def narrate(root: Path, name: str, data: bytes | None, *, key: str | None = None) -> None:
    if data is not None:
        (root / "an-toan/audio" / name).write_bytes(data)
    path = root / LESSON
    text = path.read_text()
    path.write_text(text.replace("minutes: 4\n", f"minutes: 4\naudio: {key or 'audio/' + name}\n", 1))


def problems(root: Path, rules: ContentRules | None = None) -> list[str]:
    found = validate_content(root, rules or ContentRules(), today=date(2026, 11, 23)).problems
    return [str(p) for p in found if p.severity == "error"]


@pytest.mark.parametrize(("name", "data"), [("bai-doc.opus", OPUS), ("bai-doc.mp3", MP3), ("bai-doc.ogg", OPUS)])
def test_mp3_and_opus_recordings_are_accepted(root, name, data):
    narrate(root, name, data)
    assert problems(root) == []


@pytest.mark.parametrize(
    ("name", "data", "key", "expected"),
    [
        ("bai-doc.mp3", OPUS, None, "the file's bytes are not an MP3 recording"),
        ("bai-doc.opus", MP3, None, "the file's bytes are not an Ogg Opus recording"),
        ("bai-doc.opus", None, None, "recording 'audio/bai-doc.opus' was not found"),
        ("bai-doc.opus", OPUS, "audio/bai-dok.opus", "did you mean 'audio/bai-doc.opus'"),
        (
            "bai-doc.wav",
            b"RIFF" + b"\x00" * 40,
            "audio/bai-doc.wav",
            "'audio' must name a file of this course's audio/",
        ),
        ("Bài Đọc.mp3", MP3, "audio/bai-doc.mp3", "rename it 'audio/bai-doc.mp3'"),
        ("bai-doc.opus", OPUS, "images/khoa.svg", "'audio' must name a file of this course's audio/"),
    ],
)
def test_bad_recordings_are_refused_with_a_reason(root, name, data, key, expected):
    narrate(root, name, data, key=key)
    found = problems(root)
    assert any(expected in p for p in found), found


def test_a_recording_over_the_limit_is_refused(root):
    narrate(root, "bai-doc.opus", OPUS + b"\x00" * 2048)
    found = problems(root, ContentRules(max_audio_bytes=1024))
    assert any("the limit is 1024 (setting CONTENT_MAX_AUDIO_BYTES)" in p for p in found), found


def test_the_recording_is_served_content_hashed_and_listed_for_download(root, client, session, app):
    narrate(root, "bai-doc.opus", OPUS)
    import_content(session, root)
    app.state.catalogue.refresh(session)
    lesson = client.get("/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop").json()
    assert lesson["audio"] is not None and lesson["audio"] in lesson["assets"]
    assert lesson["audio"].startswith("/api/v1/assets/") and lesson["audio"].endswith(".opus")
    served = client.get(lesson["audio"])
    assert served.status_code == 200 and served.content == OPUS
    assert served.headers["content-type"] == "audio/ogg" and "immutable" in served.headers["cache-control"]
    outline = client.get("/api/v1/courses/an-toan").json()["outline"]
    listed = {a for module in outline for item in module["lessons"] for a in item["assets"]}
    assert lesson["audio"] in listed  # "download this course" keeps it for offline listening
    other = client.get("/api/v1/courses/an-toan/lessons/mat-khau-manh").json()
    assert other["audio"] is None
