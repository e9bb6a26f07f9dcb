"""approver groups: who besides the owning team may approve a change to an environment

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_environment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approvers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("catalog_environment", schema=None) as batch_op:
        batch_op.drop_column("approvers")
