"""quiz pools (ask) and review policy; attempt forms

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 00:25:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz") as batch:
        batch.add_column(sa.Column("ask", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("review", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="hints")
        )


def downgrade() -> None:
    with op.batch_alter_table("quiz") as batch:
        batch.drop_column("review")
        batch.drop_column("ask")
