"""Rolling upgrades: this release keeps serving while the next release's expand migration is applied, and
/readyz says exactly what is wrong when it cannot serve (behind, ahead and incompatible, unknown revision).

The next release is simulated as it ships: a copy of this release's migrations with revisions on top."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.catalogue.importer import import_content
from app.db import ROOT, alembic_config, make_engine, migrate
from app.main import create_app
from tests.conftest import CONTENT
from tests.test_cli_and_processes import run_cli

LESSON = "/api/v1/courses/an-toan/lessons/mat-khau-manh"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

# The next release: an expand migration (a nullable column on a table this release writes, a new table with an
# index) that declares this release compatible, then a contract migration that does not.
EXPAND = f'''"""next release: expand"""
import sqlalchemy as sa
from alembic import op

revision = "next1"
down_revision = {HEAD!r}
branch_labels = None
depends_on = None
compatible_with = {HEAD!r}


def upgrade():
    op.add_column("progress_event", sa.Column("device_model", sa.String(64), nullable=True))
    op.create_table("badge", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(64)))
    op.create_index("ix_badge_name", "badge", ["name"])


def downgrade():
    op.drop_index("ix_badge_name", "badge")
    op.drop_table("badge")
    with op.batch_alter_table("progress_event") as batch:
        batch.drop_column("device_model")
'''
CONTRACT = '''"""next release, a release later: contract"""
from alembic import op

revision = "next2"
down_revision = "next1"
branch_labels = None
depends_on = None
compatible_with = "next1"


def upgrade():
    op.drop_table("badge")


def downgrade():
    import sqlalchemy as sa

    op.create_table("badge", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(64)))
    op.create_index("ix_badge_name", "badge", ["name"])
'''


@pytest.fixture
def next_release(tmp_path) -> Path:
    """The migrations directory the next release ships: this one's, plus its own revisions."""
    migrations = tmp_path / "next-release-migrations"
    shutil.copytree(ROOT / "migrations", migrations, ignore=shutil.ignore_patterns("__pycache__"))
    (migrations / "versions" / "next_1_expand.py").write_text(EXPAND)
    (migrations / "versions" / "next_2_contract.py").write_text(CONTRACT)
    return migrations


@pytest.fixture
def database(fresh_database_url):
    """A database migrated by this release, with the fixture content imported."""
    engine = make_engine(fresh_database_url)
    migrate(engine)
    with Session(engine) as session:
        import_content(session, CONTENT)
        session.commit()
    yield engine
    engine.dispose()


def run_alembic(engine, migrations: Path | None, action: str, revision: str) -> None:
    """`alembic upgrade|downgrade revision` with the migrations of a release (None: this one)."""
    with engine.connect() as connection:
        config = alembic_config(connection)
        if migrations is not None:
            config.set_main_option("script_location", str(migrations))
        getattr(command, action)(config, revision)


def readyz(settings, engine) -> tuple[int, dict]:
    with TestClient(create_app(settings, engine=engine)) as client:
        response = client.get("/readyz")
    return response.status_code, response.json()


def test_this_release_keeps_serving_while_the_next_expand_migration_is_applied(database, next_release, settings, auth):
    run_alembic(database, next_release, "upgrade", "next1")

    migrate(database)  # a worker of this release (re)starting now leaves the schema alone
    with TestClient(create_app(settings, engine=database)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() | {"detail": ""} == {
            "status": "ok",
            "database": "ok",
            "schema": "ahead_compatible",
            "detail": "",
            "current": ["next1"],
            "head": [HEAD],
        }
        assert "next1" in ready.json()["detail"] and HEAD in ready.json()["detail"]
        # ...and serves: lessons, a progress batch written into the expanded table, and reading it back.
        assert client.get(LESSON).status_code == 200
        headers = auth("learner", sub="during-upgrade")
        event = {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": "an-toan"}
        batch = {"events": [event | {"lesson": "mat-khau-manh", "at": "2026-11-01T08:00:00+00:00"}]}
        assert client.post("/api/v1/progress/events", json=batch, headers=headers).json()["accepted"] == 1
        courses = client.get("/api/v1/me/progress", headers=headers).json()["courses"]
        assert next(c for c in courses if c["course"] == "an-toan")["lessons_done"] == 1
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM progress_event WHERE device_model IS NULL")).scalar() == 1


def test_a_contract_migration_makes_this_release_unready_until_it_is_rolled_back(
    database, next_release, settings, cli_env, tmp_path
):
    run_alembic(database, next_release, "upgrade", "next2")

    status, body = readyz(settings, database)
    assert status == 503 and body["schema"] == "ahead_incompatible"
    assert body["detail"] == (
        "ahead and incompatible with this release: finish the upgrade"
        f" (database at next2 works with code at next1, next2; this release is at {HEAD})"
    )
    assert (body["current"], body["head"]) == (["next2"], [HEAD])
    with pytest.raises(RuntimeError, match="ahead and incompatible with this release: finish the upgrade"):
        migrate(database)  # this release refuses to start on it, rather than failing on the first request
    refused = run_cli("migrate", env=cli_env, cwd=tmp_path)  # cli_env names this same database
    assert refused.returncode == 1 and "Traceback" not in refused.stderr  # one line an operator can act on
    assert refused.stderr.strip().splitlines() == [f"error: {body['detail']}"]

    run_alembic(database, next_release, "downgrade", "-1")  # the marker follows a downgrade too
    assert readyz(settings, database)[1]["schema"] == "ahead_compatible"
    run_alembic(database, next_release, "downgrade", HEAD)
    status, body = readyz(settings, database)
    assert status == 200 and (body["schema"], body["current"]) == ("at_head", [HEAD])


def test_a_database_behind_this_release_is_named_and_migrate_fixes_it(database, settings):
    run_alembic(database, None, "downgrade", "-1")
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(HEAD).down_revision

    status, body = readyz(settings, database)
    assert status == 503 and body["schema"] == "behind"
    assert body["detail"] == f"behind: run migrations (database at {previous}, this release needs {HEAD})"
    migrate(database)
    assert readyz(settings, database) == (
        200,
        {
            "status": "ok",
            "database": "ok",
            "schema": "at_head",
            "detail": "database at this release's head",
            "current": [HEAD],
            "head": [HEAD],
        },
    )


def test_an_unknown_revision_without_a_marker_is_named(database, settings):
    with database.begin() as connection:
        connection.execute(text("DROP TABLE schema_compat"))
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))

    status, body = readyz(settings, database)
    assert status == 503 and body["schema"] == "unknown_revision" and body["current"] == ["f00d"]
    assert body["detail"].startswith("unknown revision f00d: not in this release and no compatibility marker")


def test_every_revision_declares_a_compatible_ancestor_and_new_ones_start_expand_only(tmp_path):
    from app.db import compatible_code_revisions

    script = ScriptDirectory.from_config(alembic_config())
    for revision in script.walk_revisions():
        assert revision.revision in compatible_code_revisions(script, (revision.revision,))
    assert compatible_code_revisions(script, ("0006",)) == {"0006", "0005"}  # it declares compatible_with = "0005"

    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", migrations, ignore=shutil.ignore_patterns("__pycache__"))
    config = alembic_config()
    config.set_main_option("script_location", str(migrations))
    created = command.revision(config, message="add a column", rev_id="new1")
    assert created.module.compatible_with == HEAD == created.down_revision
