"""Statistics, second edition: continual-release streams, margins, and the per-learner bounds

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
# Expand only: a new table and nullable or defaulted columns. The code of 0007 still works on this schema
# (its releases are of the first edition; a rating it writes leaves counted_stars NULL, read as `stars`).
compatible_with = "0007"


def upgrade() -> None:
    op.create_table(
        "stats_stream",
        sa.Column("family", sa.String(length=96), primary_key=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
    )
    with op.batch_alter_table("stats_release_cell") as batch:
        for name in ("learners_margin", "completed_margin", "flagged_margin", "ratings"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.add_column(sa.Column("satisfaction_margin", sa.Float(), nullable=True))
    with op.batch_alter_table("stats_release_day") as batch:
        for name in ("completed_margin", "running_total_margin", "step"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
    with op.batch_alter_table("learner") as batch:
        batch.add_column(sa.Column("moves", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("rating") as batch:
        batch.add_column(sa.Column("counted_stars", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("changes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("rating") as batch:
        batch.drop_column("changes")
        batch.drop_column("counted_stars")
    with op.batch_alter_table("learner") as batch:
        batch.drop_column("moves")
    with op.batch_alter_table("stats_release_day") as batch:
        for name in ("step", "running_total_margin", "completed_margin"):
            batch.drop_column(name)
    with op.batch_alter_table("stats_release_cell") as batch:
        for name in ("satisfaction_margin", "ratings", "flagged_margin", "completed_margin", "learners_margin"):
            batch.drop_column(name)
    op.drop_table("stats_stream")
