"""Zips of course folders built from the fixture courses, and an author's headers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.conftest import CONTENT

ZIP = {"Content-Type": "application/zip"}


def course_files(course: str = "an-toan") -> dict[str, bytes]:
    """'<course>/<relative path>' -> bytes of a fixture course."""
    base = CONTENT / course
    paths = [path for path in sorted(base.rglob("*")) if path.is_file()]
    return {f"{course}/{path.relative_to(base).as_posix()}": path.read_bytes() for path in paths}


def make_zip(files: Mapping[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, body in files.items():
            archive.writestr(name, body.encode() if isinstance(body, str) else body)
    return buffer.getvalue()


@pytest.fixture
def author(auth) -> Callable[..., dict[str, str]]:
    """author(sub=...) -> headers of an author token."""

    def headers(sub: str = "tac-gia-1", scope: str = "author") -> dict[str, str]:
        return auth(scope, sub=sub, locality=None)

    return headers


@pytest.fixture
def upload(client, author):
    def send(files: Mapping[str, bytes | str], *, sub: str = "tac-gia-1"):
        return client.post("/api/v1/author/drafts", content=make_zip(files), headers={**author(sub), **ZIP})

    return send


def lesson_path(course: str = "an-toan") -> str:
    return f"{course}/01-mat-khau/01-mat-khau-manh.md"


__all__ = ["CONTENT", "Path", "course_files", "lesson_path", "make_zip"]
