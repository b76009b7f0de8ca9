"""Migration 0003 on a database that already serves lessons: they keep being served, with no pictures."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from app.catalogue.service import load_catalogue
from app.db import alembic_config, make_unpooled_engine


def migrate_to(engine: Engine, revision: str) -> None:
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)


def test_upgrade_keeps_existing_lessons_and_downgrade_removes_the_new_tables(fresh_database_url):
    engine = make_unpooled_engine(fresh_database_url)
    try:
        migrate_to(engine, "0002")
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO course (slug, version_id, published_at) VALUES ('k', 1, :at)"),
                {"at": "2026-11-01 00:00:00+00:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO course_version (id, course_slug, content_hash, title, summary, sequential, pass_ratio,"
                    " imported_at) VALUES (1, 'k', 'h', 'T', 'S', false, 0.8, :at)"
                ),
                {"at": "2026-11-01 00:00:00+00:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO lesson (version_id, module_slug, slug, position, title, minutes, html, etag)"
                    " VALUES (1, 'm', 'bai', 0, 'Bài', 3, '<p>x</p>', '\"e\"')"
                )
            )
        migrate_to(engine, "head")  # the current models read the upgraded rows
        with Session(engine) as session:
            catalogue = load_catalogue(session)
        assert catalogue.courses["k"].lessons["bai"].assets == () and catalogue.assets == {}
        assert catalogue.courses["k"].glossary == ()
        with engine.connect() as connection:
            command.downgrade(alembic_config(connection), "0002")
        tables = set(inspect(engine).get_table_names())
        assert "content_asset" not in tables and "glossary_term" not in tables
        assert "assets" not in {column["name"] for column in inspect(engine).get_columns("lesson")}
    finally:
        engine.dispose()
