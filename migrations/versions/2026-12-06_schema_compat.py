"""schema compatibility marker: the releases that may serve the schema (rolling upgrades)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
# Expand only (a new table): the code of 0005 still works on this schema. See docs/operations.md, "Upgrades".
compatible_with = "0005"


def upgrade() -> None:
    # migrations/env.py fills it after every upgrade or downgrade.
    op.create_table(
        "schema_compat",
        sa.Column("revision", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_schema_compat")),
    )


def downgrade() -> None:
    op.drop_table("schema_compat")
