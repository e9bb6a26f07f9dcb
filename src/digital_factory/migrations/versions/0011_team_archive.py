"""teams can be archived: hidden from pickers and lists, their services keep working (revision 0011, after 0010, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0011", "0010"


def upgrade() -> None:
    with op.batch_alter_table("teams_team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams_team", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
