"""push handoff: which stored pushes delivery has acted on (revision 0008, after 0007, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0008", "0007"


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
