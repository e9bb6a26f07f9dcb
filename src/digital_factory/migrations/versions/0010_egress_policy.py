"""egress policy: a service's steps get the network only where its owners granted it (revision 0010, after 0009, 2026-12-04)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0010", "0009"


def upgrade() -> None:
    op.create_table(
        "delivery_service_egress",
        ddl.integer("service_id"),
        ddl.boolean("granted"),
        ddl.timestamp("updated_at"),
        ddl.foreign_key("delivery_service_egress", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("delivery_service_egress", "service_id"),
    )


def downgrade() -> None:
    op.drop_table("delivery_service_egress")
