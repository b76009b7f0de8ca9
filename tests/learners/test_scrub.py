"""Erasure leaves nothing readable: not in SQLite's files (WAL included), not as dead PostgreSQL tuples."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.auth.tokens import learner_key
from app.catalogue.importer import import_content
from app.db import make_engine, migrate
from app.learners.scrub import LEARNER_TABLES, scrub
from app.main import create_app
from tests.certificates.test_certificates import complete_an_toan
from tests.conftest import CONTENT


def _erase_someone(settings, url: str, make_token) -> tuple[str, object]:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        import_content(session, CONTENT)
        session.commit()
    app = create_app(settings.model_copy(update={"database_url": url}), engine=engine)
    headers = {"Authorization": f"Bearer {make_token('learner', sub='to-scrub')}"}
    with TestClient(app) as client:
        complete_an_toan(client, headers)
        assert client.put("/api/v1/courses/an-toan/rating", json={"stars": 4}, headers=headers).status_code == 200
        assert client.delete("/api/v1/me", headers=headers).status_code == 200
        assert app.state.scrubber.pending  # the background task will scrub within ERASURE_SCRUB_SECONDS
    key = learner_key(settings.pepper_bytes(), settings.jwt_issuer, "to-scrub")
    return key, engine


def test_sqlite_files_hold_no_trace_of_an_erased_learner(settings, tmp_path, make_token):
    database = tmp_path / "scrub.db"
    key, engine = _erase_someone(settings, f"sqlite:///{database}", make_token)
    files = [database, Path(f"{database}-wal")]
    assert any(key.encode() in f.read_bytes() for f in files if f.exists())  # still there before the scrub
    scrub(engine)
    for f in files:
        if f.exists():
            assert key.encode() not in f.read_bytes(), f.name
    engine.dispose()


def test_postgresql_tables_are_vacuumed_after_an_erasure(settings, fresh_database_url, make_token):
    if not fresh_database_url.startswith("postgresql"):
        return  # the SQLite test above covers SQLite; this one runs in the PostgreSQL pass of CI
    key, engine = _erase_someone(settings, fresh_database_url, make_token)
    # A transaction elsewhere that began before the erasure keeps the dead rows alive; the scrubber then
    # tries again (as Scrubber.run does) until none is left.
    deadline = time.monotonic() + 30
    while scrub(engine) and time.monotonic() < deadline:
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            rows = connection.execute(
                text("SELECT relname, last_vacuum, n_dead_tup FROM pg_stat_user_tables WHERE relname = ANY(:t)"),
                {"t": list(LEARNER_TABLES)},
            ).all()
            if len(rows) == len(LEARNER_TABLES) and all(r.last_vacuum is not None for r in rows):
                break
            connection.rollback()
            time.sleep(0.2)
        assert {r.relname for r in rows if r.last_vacuum is not None} == set(LEARNER_TABLES)
        assert all(r.n_dead_tup == 0 for r in rows), rows
        assert connection.execute(text("SELECT count(*) FROM learner WHERE key = :k"), {"k": key}).scalar() == 0
    engine.dispose()


def test_the_scrubber_tries_again_while_rows_are_left(monkeypatch):
    import asyncio

    from app.learners import scrub as scrub_module

    left = [5, 0]  # the first VACUUM met an older transaction; the second removed everything
    calls: list[int] = []

    def fake_scrub(engine) -> int:
        calls.append(left[len(calls)] if len(calls) < len(left) else 0)
        return calls[-1]

    monkeypatch.setattr(scrub_module, "scrub", fake_scrub)

    async def scenario() -> None:
        scrubber = scrub_module.Scrubber(0.1)
        scrubber.request()
        task = asyncio.create_task(scrubber.run(engine=None))
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a third interval: nothing left, so no third scrub
        task.cancel()
        assert calls == [5, 0] and not scrubber.pending

    asyncio.run(scenario())
