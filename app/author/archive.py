"""An author's zip, read safely into memory: course directory -> relative path -> bytes (pure, no file I/O).

Everything is refused before a byte is inflated when the declared sizes break a limit, and each entry is read
with a bound, so an archive that lies about its sizes cannot make us inflate more than the limits either.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from app.errors import AppError

COURSE_FILE = "course.md"
IGNORED_TOP = ("__MACOSX",)  # the resource forks macOS's "Compress" adds


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int  # the zip itself
    max_files: int  # entries that are files
    max_file_bytes: int  # each file, inflated
    max_total_bytes: int  # every file, inflated
    max_ratio: int  # inflated bytes per compressed byte, over the whole archive


class ArchiveRefused(AppError):
    """The upload cannot be used at all: nothing of it is kept. The message is for the author, in Vietnamese."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


def read_archive(data: bytes, limits: ArchiveLimits) -> dict[str, dict[str, bytes]]:
    """The course directories of a zip and their files; ArchiveRefused when the zip may not be used."""
    if len(data) > limits.max_bytes:
        raise ArchiveRefused(
            413, "archive_too_large", f"Tệp zip nặng {len(data)} byte, quá giới hạn {limits.max_bytes} byte."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise ArchiveRefused(
            422, "archive_not_zip", "Tệp gửi lên không phải tệp zip đọc được. Hãy nén lại các thư mục khoá học."
        ) from exc
    _check_entries(entries, limits)
    files = {info.filename: _read(archive, info, limits) for info in entries if _kept(info.filename)}
    _check_total(sum(len(body) for body in files.values()), limits)
    return _courses(files)


def _check_entries(entries: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(entries) > limits.max_files:
        raise ArchiveRefused(
            413, "archive_too_many_files", f"Tệp zip có {len(entries)} tệp, quá giới hạn {limits.max_files} tệp."
        )
    for info in entries:
        _check_name(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveRefused(
                422,
                "archive_symlink",
                f"'{info.filename}' là liên kết tượng trưng (symlink): hãy chép chính tệp đó vào thư mục rồi nén lại.",
            )
        if info.flag_bits & 0x1:
            message = f"'{info.filename}' có mật khẩu: hãy nén lại không đặt mật khẩu."
            raise ArchiveRefused(422, "archive_encrypted", message)
        if info.file_size > limits.max_file_bytes:
            raise _file_too_large(info.filename, info.file_size, limits)
    inflated = sum(info.file_size for info in entries)
    _check_total(inflated, limits)
    compressed = sum(info.compress_size for info in entries)
    if inflated > limits.max_ratio * max(compressed, 1) and inflated > 1024 * 1024:
        raise ArchiveRefused(
            422,
            "archive_bomb",
            f"Tệp zip giải nén ra {inflated} byte từ {compressed} byte (hơn {limits.max_ratio} lần): bị từ chối.",
        )


def _check_name(name: str) -> None:
    parts = name.split("/")
    unsafe = (
        name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or (len(name) > 1 and name[1] == ":")
        or any(part in ("..", ".") for part in parts)
    )
    if unsafe:
        raise ArchiveRefused(
            422,
            "archive_unsafe_path",
            f"Đường dẫn '{name[:200]}' trong tệp zip không được phép (đường dẫn tuyệt đối hoặc có '..'): "
            "hãy nén chính các thư mục khoá học.",
        )


def _check_total(inflated: int, limits: ArchiveLimits) -> None:
    if inflated > limits.max_total_bytes:
        raise ArchiveRefused(
            413,
            "archive_too_large",
            f"Các tệp trong zip cộng lại {inflated} byte, quá giới hạn {limits.max_total_bytes} byte.",
        )


def _file_too_large(name: str, size: int, limits: ArchiveLimits) -> ArchiveRefused:
    message = f"Tệp '{name[:200]}' nặng {size} byte, quá giới hạn {limits.max_file_bytes} byte."
    return ArchiveRefused(413, "archive_file_too_large", message)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits) -> bytes:
    """The entry's bytes, never more than the limit whatever its header says."""
    try:
        with archive.open(info) as entry:
            body = entry.read(limits.max_file_bytes + 1)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveRefused(
            422, "archive_not_zip", f"Không đọc được '{info.filename[:200]}' trong tệp zip: hãy nén lại."
        ) from exc
    if len(body) > limits.max_file_bytes:
        raise _file_too_large(info.filename, len(body), limits)
    return body


def _kept(name: str) -> bool:
    """Hidden files and folders are ignored, as `content import` ignores them."""
    parts = PurePosixPath(name).parts
    return bool(parts) and parts[0] not in IGNORED_TOP and not any(part.startswith(".") for part in parts)


def _courses(files: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
    """Group by course directory; one enclosing folder (a zipped 'content/') is looked through."""
    paths = {name: PurePosixPath(name).parts for name in files}
    tops = {parts[0] for parts in paths.values() if len(parts) > 1}
    if len(tops) == 1:
        top = next(iter(tops))
        if f"{top}/{COURSE_FILE}" not in files and any(
            len(parts) == 3 and parts[2] == COURSE_FILE for parts in paths.values()
        ):
            paths = {name: parts[1:] for name, parts in paths.items() if len(parts) > 2}
    tree: dict[str, dict[str, bytes]] = {}
    for name, parts in paths.items():
        if len(parts) < 2 or parts[0].startswith("_"):
            continue  # top-level files (a README) and '_drafts' folders, as `content import` does
        tree.setdefault(parts[0], {})["/".join(parts[1:])] = files[name]
    return tree
