"""Alembic environment: runs on the connection it is given (app, tests) or on DATABASE_URL."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import text

from app.config import get_settings
from app.db import MIGRATION_LOCK_KEY, make_unpooled_engine, record_schema_compat
from app.models import metadata

config = context.config
if config.config_file_name and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several workers may start at once: the first migrates, the others wait and find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        # Which releases may serve the schema now, for a release that finds the database ahead of it.
        record_schema_compat(connection, context.script, context.get_context().get_current_heads())
    connection.commit()


def run_offline() -> None:
    context.configure(url=get_settings().database_url, target_metadata=metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = get_settings()
    engine = make_unpooled_engine(settings.database_url, pgbouncer=settings.database_pgbouncer)
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
