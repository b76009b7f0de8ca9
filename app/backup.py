"""`python -m app backup FILE`: a consistent copy of a live SQLite database, taken with SQLite's online backup
API while the service keeps writing (PostgreSQL has pg_dump: docs/operations.md)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from app.db import SQLITE_BUSY_TIMEOUT_MS


class BackupRefused(Exception):
    """The backup cannot be taken as asked (not SQLite, no database, the target exists)."""


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the database into `target`; returns the copy's size in bytes.

    The copy is made in one step, that is one read transaction: it holds every transaction committed before
    it began and none after (in WAL mode writers carry on meanwhile). It is written to `target.partial`
    (mode 0600: it holds personal data), checked with `PRAGMA integrity_check`, switched out of WAL so that
    it is one self-contained file, and only then renamed to `target`."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupRefused("`backup` copies SQLite databases; on PostgreSQL use pg_dump -Fc (docs/operations.md)")
    source_path = Path(url.database or "")
    if not source_path.is_file():
        raise BackupRefused(f"no SQLite database at {source_path}")
    if target.exists():
        raise BackupRefused(f"{target} already exists; choose a new file name")
    partial = target.with_name(f"{target.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # pages=-1: every page in one step
            copy.execute("PRAGMA journal_mode = DELETE")
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        finally:
            copy.close()
            source.close()
        if verdict != "ok":
            raise BackupRefused(f"the copy failed its integrity check: {verdict}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size
