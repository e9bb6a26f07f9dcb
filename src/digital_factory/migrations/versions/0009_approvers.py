"""approver groups: who besides the owning team may approve a change to an environment (revision 0009, after 0008, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0009", "0008"


def upgrade() -> None:
    with op.batch_alter_table("catalog_environment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approvers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("catalog_environment", schema=None) as batch_op:
        batch_op.drop_column("approvers")
