"""An author's zip has its own body limit (AUTHOR_ZIP_MAX_BYTES), not the global MAX_BODY_BYTES; uploads are counted
in the limiter's declared `author_upload` category."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from limits import parse_many

from app.limits.limiter import Limiter
from tests.author.conftest import ZIP, course_files, make_zip

API = "/api/v1/author/drafts"
BODY_LIMIT = 64 * 1024
ZIP_LIMIT = 1024 * 1024


@pytest.fixture
def app_settings(settings):
    return settings.model_copy(
        update={
            "max_body_bytes": BODY_LIMIT,
            "author_zip_max_bytes": ZIP_LIMIT,
            "author_zip_max_file_bytes": 512 * 1024,
            "rate_limit_author_uploads": "3/hour",
        }
    )


def zip_of(size: int) -> bytes:
    """The fixture course and a note of `size` random bytes (they do not compress)."""
    return make_zip({**course_files(), "an-toan/notes/ghi-chu.txt": os.urandom(size)})


def chunks(data: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_zip_over_max_body_bytes_within_the_author_limit_is_accepted(client, author):
    archive = zip_of(300 * 1024)
    assert BODY_LIMIT < len(archive) < ZIP_LIMIT
    reply = client.post(API, content=archive, headers={**author(), **ZIP})
    assert reply.status_code == 201, reply.text
    assert reply.json()["errors"] == 0


def test_other_routes_keep_max_body_bytes(client, author):
    reply = client.post(
        "/api/v1/author/courses/an-toan/rollback",
        content=b'{"version": 1, "x": "' + b"a" * BODY_LIMIT + b'"}',
        headers={**author(), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "payload_too_large"
    # Only POST /drafts has the author's limit: not another method, not a path below it.
    reply = client.put(API, content=b"x" * (BODY_LIMIT + 1), headers={**author(), **ZIP})
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "payload_too_large"


def test_a_zip_over_the_author_limit_is_refused_in_vietnamese_declared_or_streamed(client, author):
    archive = zip_of(ZIP_LIMIT + 10 * 1024)
    declared = client.post(API, content=archive, headers={**author(), **ZIP})
    assert declared.status_code == 413
    error = declared.json()["error"]
    assert error["code"] == "archive_too_large" and f"giới hạn {ZIP_LIMIT} byte" in error["message"]
    streamed = client.post(API, content=chunks(archive), headers={**author(), **ZIP})  # no Content-Length
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "archive_too_large"


def test_author_upload_is_a_declared_limiter_category(app_settings):
    limiter = Limiter(app_settings)
    assert limiter.windows["author_upload"] == parse_many("3/hour")


def test_uploads_count_in_the_declared_category_per_author(client, author, app):
    windows = dict(app.state.limiter.windows)
    archive = make_zip(course_files())
    codes = [client.post(API, content=archive, headers={**author(), **ZIP}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    other = client.post(API, content=archive, headers={**author("tac-gia-2"), **ZIP})
    assert other.status_code == 201  # per author
    assert app.state.limiter.windows == windows  # declared at start, never patched in by a request
