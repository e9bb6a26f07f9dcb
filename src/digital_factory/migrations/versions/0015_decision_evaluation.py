"""decision evaluation: a board decision keeps the hypothesis evaluation it was based on (revision 0015, after 0014, 2026-12-05)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0015", "0014"


def upgrade() -> None:
    with op.batch_alter_table("portfolio_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portfolio_decision", schema=None) as batch_op:
        batch_op.drop_column("evaluation")
