"""dora: a change's first production time and lead time (kept by delivery), and the indexes DORA's reads use (revision 0014, after 0013, 2026-12-05)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digital_factory.migrations import ddl
from digital_factory.store.base import UTCDateTime

revision, down_revision = "0014", "0013"

DEPLOYMENT_INDEXES = (
    ("ix_delivery_deployment_production_finished", ["is_production", "finished_at"]),
    ("ix_delivery_deployment_service_production", ["service_id", "is_production", "finished_at"]),
    "rollback_of_id",
)


def upgrade() -> None:
    with op.batch_alter_table("delivery_change", schema=None) as batch_op:
        batch_op.add_column(ddl.timestamp("first_production_at", nullable=True))
        batch_op.add_column(ddl.double("lead_seconds", nullable=True))
        batch_op.create_index(
            "ix_delivery_change_first_production", ["first_production_at", "service_id", "lead_seconds"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_change_service_first_production",
            ["service_id", "first_production_at", "lead_seconds"],
            unique=False,
        )
    ddl.create_indexes("delivery_deployment", *DEPLOYMENT_INDEXES)
    _backfill()


def _backfill() -> None:
    """Changes already deployed: their first succeeded production deployment, and the lead time from it."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.committed_at, MIN(d.finished_at) FROM delivery_change c "
            "JOIN delivery_deployment_change dc ON dc.change_id = c.id "
            "JOIN delivery_deployment d ON d.id = dc.deployment_id "
            "WHERE d.is_production AND d.status = 'succeeded' AND d.finished_at IS NOT NULL GROUP BY c.id, c.committed_at"
        ).columns(
            sa.column("id", sa.Integer()), sa.column("committed_at", UTCDateTime()), sa.column("first", UTCDateTime())
        )
    ).all()
    update = sa.text("UPDATE delivery_change SET first_production_at = :at, lead_seconds = :lead WHERE id = :id")
    update = update.bindparams(sa.bindparam("at", type_=UTCDateTime()))
    for change_id, committed, first in rows:
        bind.execute(update, {"id": change_id, "at": first, "lead": (first - committed).total_seconds()})


def downgrade() -> None:
    ddl.drop_indexes("delivery_deployment", *DEPLOYMENT_INDEXES)
    with op.batch_alter_table("delivery_change", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_change_service_first_production")
        batch_op.drop_index("ix_delivery_change_first_production")
        batch_op.drop_column("lead_seconds")
        batch_op.drop_column("first_production_at")
