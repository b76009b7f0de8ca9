"""Start-up failures the operator can fix, told as one line: a database that does not exist or cannot be
reached, a setting that is unsafe or unusable, a key file that is missing. Anything else is a bug and keeps
its traceback."""

from __future__ import annotations

import re

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from app.config import InvalidConfiguration, UnsafeConfiguration
from app.db import SchemaMismatch

MISSING_DATABASE = re.compile(r'database "(?P<name>[^"]+)" does not exist')


def explain(exc: BaseException, *, database_url: str | None) -> str | None:
    """The one line to print for `exc`, or None when it is not a start-up problem of the operator's."""
    if isinstance(exc, UnsafeConfiguration | InvalidConfiguration | SchemaMismatch):
        return f"error: {exc}"
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']).upper() or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        return f"error: invalid setting(s): {problems}"
    if isinstance(exc, ArgumentError) and database_url is not None:
        return f"error: DATABASE_URL is not a database URL ({exc})"
    if isinstance(exc, DBAPIError) and database_url is not None:
        return _database_problem(exc, database_url)
    if isinstance(exc, OSError) and exc.filename:
        return f"error: cannot read {exc.filename}: {exc.strerror}"
    return None


def _database_problem(exc: DBAPIError, database_url: str) -> str | None:
    message = " ".join(str(exc.orig).split()).removeprefix("connection failed: ")
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() == "sqlite":
        if "unable to open database file" not in message:
            return None
        return (
            f"error: cannot open the SQLite database {url.database}: {message} "
            "(does its directory exist, and may this user write there?)"
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    missing = MISSING_DATABASE.search(message)
    if missing:
        user = f" -U {url.username}" if url.username else ""
        return (
            f'error: database "{missing["name"]}" does not exist on {where}; create it first with: '
            f"createdb -h {url.host or 'localhost'} -p {url.port or 5432}{user} {missing['name']}"
        )
    for symptom, reason in (("Connection refused", "connection refused"), ("timeout expired", "timed out")):
        if symptom in message:
            return (
                f"error: cannot reach PostgreSQL at {where} ({reason}); is the server running, is DATABASE_URL right?"
            )
    if "failed to resolve host" in message or "could not translate host name" in message:
        return f"error: cannot resolve the PostgreSQL host in DATABASE_URL ({message})"
    if "connection to server" in message or "FATAL" in message:
        return f"error: cannot connect to PostgreSQL at {where}: {message}"
    return None
