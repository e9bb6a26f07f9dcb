"""dora: a change's first production time and lead time (kept by delivery), and the indexes DORA's reads use (revision 0014, after 0013, 2026-12-05)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digital_factory.store.base import UTCDateTime

revision, down_revision = "0014", "0013"


def upgrade() -> None:
    with op.batch_alter_table("delivery_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_production_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lead_seconds", sa.Double(), nullable=True))
        batch_op.create_index(
            "ix_delivery_change_first_production", ["first_production_at", "service_id", "lead_seconds"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_change_service_first_production",
            ["service_id", "first_production_at", "lead_seconds"],
            unique=False,
        )
    with op.batch_alter_table("delivery_deployment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_deployment_production_finished", ["is_production", "finished_at"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_deployment_service_production", ["service_id", "is_production", "finished_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_delivery_deployment_rollback_of_id"), ["rollback_of_id"], unique=False)
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
    with op.batch_alter_table("delivery_deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_deployment_rollback_of_id"))
        batch_op.drop_index("ix_delivery_deployment_service_production")
        batch_op.drop_index("ix_delivery_deployment_production_finished")
    with op.batch_alter_table("delivery_change", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_change_service_first_production")
        batch_op.drop_index("ix_delivery_change_first_production")
        batch_op.drop_column("lead_seconds")
        batch_op.drop_column("first_production_at")
