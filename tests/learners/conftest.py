"""An app served as a worker serves it, on a committed database of its own (not the test's transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app.catalogue.importer import import_content
from app.config import Settings
from app.db import make_engine, migrate
from app.main import create_app
from tests.conftest import CONTENT


@contextmanager
def serving(database_url: str, settings: Settings) -> Iterator[tuple[FastAPI, Engine]]:
    """A migrated database with the fixture content committed, and an app on it built as a worker builds it."""
    engine = make_engine(database_url)
    migrate(engine)
    with Session(engine) as session:
        import_content(session, CONTENT)
        session.commit()
    yield create_app(settings.model_copy(update={"database_url": database_url})), engine
    engine.dispose()


@pytest.fixture
def served(fresh_database_url, settings) -> Iterator[tuple[FastAPI, Engine]]:
    with serving(fresh_database_url, settings) as app_and_engine:
        yield app_and_engine
