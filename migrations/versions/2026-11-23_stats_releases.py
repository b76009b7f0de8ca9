"""statistics releases (cell key method), flagged completions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KEY_SUMS = ("learners_key", "completed_key", "flagged_key", "ratings_key")


def upgrade() -> None:
    with op.batch_alter_table("completion_rollup") as batch:
        batch.add_column(sa.Column("flagged", sa.Integer(), nullable=False, server_default="0"))
        for name in KEY_SUMS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("completion_daily") as batch:
        batch.add_column(sa.Column("completed_key", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("enrolment") as batch:
        batch.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "stats_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("as_of", app.db.UtcDateTime(), nullable=False),
        sa.Column("method", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_release")),
        sa.UniqueConstraint("slot", name=op.f("uq_stats_release_slot")),
    )
    op.create_table(
        "stats_release_cell",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("parent", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=True),
        sa.Column("completed", sa.Integer(), nullable=True),
        sa.Column("flagged", sa.Integer(), nullable=True),
        sa.Column("satisfaction", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"], ["stats_release.id"], name=op.f("fk_stats_release_cell_release_id_stats_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "course_slug", "code", name=op.f("pk_stats_release_cell")),
    )
    op.create_table(
        "stats_release_day",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=True),
        sa.Column("running_total", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"], ["stats_release.id"], name=op.f("fk_stats_release_day_release_id_stats_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "course_slug", "area", "day", name=op.f("pk_stats_release_day")),
    )


def downgrade() -> None:
    op.drop_table("stats_release_day")
    op.drop_table("stats_release_cell")
    op.drop_table("stats_release")
    with op.batch_alter_table("enrolment") as batch:
        batch.drop_column("flagged")
    with op.batch_alter_table("completion_daily") as batch:
        batch.drop_column("completed_key")
    with op.batch_alter_table("completion_rollup") as batch:
        for name in reversed(KEY_SUMS):
            batch.drop_column(name)
        batch.drop_column("flagged")
