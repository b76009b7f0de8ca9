"""authors publish without a terminal: drafts, the audit log, publications and withdrawn courses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
# Expand only (new tables, a nullable column): the previous release's code still serves this schema; it would
# serve a withdrawn course (it does not read withdrawn_at), so withdraw no course during a rolling upgrade.
compatible_with = "0008"


def upgrade() -> None:
    # Plain ALTER TABLE, no batch copy: SQLite could not drop and recreate `course`, which versions refer to.
    op.add_column("course", sa.Column("withdrawn_at", app.db.UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "course_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("at", app.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_slug"], ["course.slug"], name=op.f("fk_course_publication_course_slug_course")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["course_version.id"], name=op.f("fk_course_publication_version_id_course_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_publication")),
    )
    op.create_index(op.f("ix_course_publication_course_slug"), "course_publication", ["course_slug"])
    op.create_table(
        "author_draft",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("author_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", app.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("published_at", app.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_draft")),
    )
    op.create_table(
        "author_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", app.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("course_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("draft_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_audit")),
    )
    op.create_index(op.f("ix_author_audit_at"), "author_audit", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_author_audit_at"), table_name="author_audit")
    op.drop_table("author_audit")
    op.drop_table("author_draft")
    op.drop_index(op.f("ix_course_publication_course_slug"), table_name="course_publication")
    op.drop_table("course_publication")
    op.drop_column("course", "withdrawn_at")  # SQLite 3.35+ drops a column in place
