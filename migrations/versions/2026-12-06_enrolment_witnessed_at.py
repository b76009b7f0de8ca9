"""enrolment.witnessed_at: the earliest server time the learner was seen at the course (plausibility)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:00:00
"""

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
# Expand only (a nullable column): the code of 0006 still works on this schema; its enrolments stay NULL,
# which the plausibility check reads as "not known" and never flags.
compatible_with = "0006"


def upgrade() -> None:
    with op.batch_alter_table("enrolment") as batch:
        batch.add_column(sa.Column("witnessed_at", app.db.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrolment") as batch:
        batch.drop_column("witnessed_at")
