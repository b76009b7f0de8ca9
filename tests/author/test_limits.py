"""Every limit of an upload, each refused with a clear JSON error (never a 500), and validation bounded in time and
memory."""

from __future__ import annotations

import io
import stat
import time
import tracemalloc
import zipfile

import pytest

from app.catalogue.course import parse_course
from tests.author.conftest import ZIP, course_files, lesson_path, make_zip

API = "/api/v1/author/drafts"


@pytest.fixture
def app_settings(settings):
    return settings.model_copy(
        update={
            "max_body_bytes": 512 * 1024,
            "author_zip_max_bytes": 256 * 1024,
            "author_zip_max_files": 40,
            "author_zip_max_file_bytes": 256 * 1024,
            "author_zip_max_total_bytes": 2 * 1024 * 1024,
            "author_zip_max_ratio": 50,
            "rate_limit_author_uploads": "5/hour",
        }
    )


def send(client, author, archive: bytes):
    return client.post(API, content=archive, headers={**author(), **ZIP})


def refused(reply, status: int, code: str) -> str:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code
    return reply.json()["error"]["message"]


def test_a_zip_bomb_is_refused_by_its_ratio_before_inflating(client, author):
    zeros = {f"an-toan/notes/{n}.txt": b"\0" * (250 * 1024) for n in range(8)}  # 2 MB from about 2 KB
    bomb = make_zip({**course_files(), **zeros})
    assert "lần" in refused(send(client, author, bomb), 422, "archive_bomb")


def test_more_unzipped_bytes_than_the_total_limit_are_refused(client, author):
    files = {f"an-toan/notes/{n}.txt": bytes(range(256)) * 900 for n in range(12)}  # 12 x 230 KB
    assert "quá giới hạn" in refused(send(client, author, make_zip(files)), 413, "archive_too_large")


@pytest.mark.parametrize(
    "name", ["../an-toan/course.md", "an-toan/../../etc/passwd", "/etc/passwd", "C:/x.md", "a\\b.md"]
)
def test_paths_that_leave_the_folder_are_refused(client, author, name):
    message = refused(send(client, author, make_zip({**course_files(), name: "x"})), 422, "archive_unsafe_path")
    assert "không được phép" in message


def test_symlink_entries_are_refused(client, author):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in course_files().items():
            archive.writestr(name, body)
        link = zipfile.ZipInfo("an-toan/images/link.svg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert "symlink" in refused(send(client, author, buffer.getvalue()), 422, "archive_symlink")


def test_too_many_files_are_refused(client, author):
    files = {**course_files(), **{f"an-toan/notes/{n}.txt": "x" for n in range(40)}}
    assert "40 tệp" in refused(send(client, author, make_zip(files)), 413, "archive_too_many_files")


def test_a_file_over_the_size_limit_is_refused(client, author):
    big = {**course_files(), "an-toan/notes/big.txt": bytes(range(256)) * 1100}
    assert "quá giới hạn" in refused(send(client, author, make_zip(big)), 413, "archive_file_too_large")


def test_a_zip_that_lies_about_its_sizes_is_refused(client, author):
    archive = bytearray(make_zip({"an-toan/course.md": "a" * 5000}))
    central = archive.index(b"PK\x01\x02")  # the central directory follows the only entry
    archive[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size: 10 bytes, it says
    archive[22:26] = (10).to_bytes(4, "little")  # and so says the local header
    refused(send(client, author, bytes(archive)), 422, "archive_not_zip")


@pytest.mark.parametrize("body", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_what_is_not_a_zip_is_a_clear_422(client, author, body):
    assert "zip" in refused(send(client, author, body), 422, "archive_not_zip")


def test_an_upload_over_the_zip_limit_is_refused(client, author):
    noise = bytes((n * 7919) % 251 for n in range(300 * 1024))
    refused(send(client, author, noise), 413, "archive_too_large")


def test_a_body_that_is_not_a_zip_type_is_415(client, author):
    reply = client.post(API, content=b"x", headers={**author(), "Content-Type": "text/plain"})
    refused(reply, 415, "zip_required")


def test_uploads_are_rate_limited_per_author(client, author):
    archive = make_zip(course_files())
    codes = [send(client, author, archive).status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]


def big_table_lesson(size: int) -> bytes:
    rows = "\n".join(f"| ô {n} | chữ {n} | thêm {n} |" for n in range(size // 30))
    table = "| a | b | c |\n| --- | --- | --- |\n" + rows + "\n\n"
    return course_files()[lesson_path()].decode().replace("## Làm thử ngay", table + "## Làm thử ngay").encode()


def validate(lesson: bytes) -> tuple[float, float, list[str]]:
    files = {k.removeprefix("an-toan/"): v for k, v in course_files().items()}
    files[lesson_path().removeprefix("an-toan/")] = lesson
    tracemalloc.start()
    started = time.monotonic()
    parsed = parse_course("", "an-toan", files)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak, [p.message for p in parsed.problems if p.is_error]


def test_an_800_kb_table_is_refused_within_2_s_and_100_mb_with_a_clear_message():
    elapsed, peak, errors = validate(big_table_lesson(800 * 1024))
    assert elapsed < 2 and peak < 100
    assert any("CONTENT_MAX_MARKDOWN_BYTES" in e and "split it" in e for e in errors)


def test_a_table_just_under_the_limit_validates_within_2_s_and_100_mb():
    elapsed, peak, errors = validate(big_table_lesson(50 * 1024))
    assert errors == [] and elapsed < 2 and peak < 100


def test_the_big_table_through_the_api_is_a_problem_in_vietnamese(client, author, app_settings):
    files = {**course_files(), lesson_path(): big_table_lesson(200 * 1024)}
    body = send(client, author, make_zip(files)).json()
    problem = next(p for p in body["problems"] if p["code"] == "file_too_large")
    assert problem["file"] == lesson_path() and "hãy tách" in problem["message"]
