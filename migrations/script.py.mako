"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import app.db
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}
# Expand, then contract (docs/operations.md, "Upgrades"): a release's migration only adds (tables, nullable
# columns or columns with a server default, indexes), so the previous release's code still works on the schema
# and keeps serving during a rolling upgrade. Drops and renames come a release later, once the running release
# no longer reads what they remove. compatible_with: the oldest release head whose code works on this schema;
# a revision that breaks the previous release names itself (and its upgrade cannot be rolling).
compatible_with = ${repr(down_revision)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
