"""push handoff: which stored pushes delivery has acted on

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repos_push", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_repos_push_handled_at"), ["handled_at"], unique=False)
    # pushes stored before this revision were handed over in memory already: none of them starts again
    op.execute("UPDATE repos_push SET handled_at = pushed_at")


def downgrade() -> None:
    with op.batch_alter_table("repos_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repos_push_handled_at"))
        batch_op.drop_column("handled_at")
