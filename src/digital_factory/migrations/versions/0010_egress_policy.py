"""egress policy: a service's steps get the network only where its owners granted it (revision 0010, after 0009, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0010", "0009"


def upgrade() -> None:
    op.create_table(
        "delivery_service_egress",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_service_egress_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_delivery_service_egress")),
    )


def downgrade() -> None:
    op.drop_table("delivery_service_egress")
