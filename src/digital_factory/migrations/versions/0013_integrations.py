"""integrations: webhooks from GitHub, GitLab and CDEvents producers; runs, deployments and incidents recorded from outside (revision 0013, after 0012, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0013", "0012"

OUTSIDE = ("delivery_pipeline_run", "delivery_deployment", "delivery_incident")


def upgrade() -> None:
    for table in OUTSIDE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("origin", sa.String(length=20), server_default="factory", nullable=False))
            batch_op.add_column(ddl.string("external_id", 200, nullable=True))
            batch_op.add_column(ddl.timestamp("observed_at", nullable=True))
            if table == "delivery_pipeline_run":
                batch_op.add_column(ddl.string("url", 500, nullable=True))
            if table == "delivery_deployment":
                batch_op.alter_column("run_id", existing_type=sa.Integer(), nullable=True)
                batch_op.alter_column("stage_id", existing_type=sa.Integer(), nullable=True)
            batch_op.create_unique_constraint(
                batch_op.f(f"uq_{table}_service_id_origin_external_id"), ["service_id", "origin", "external_id"]
            )
    _create_hooks()


def _create_hooks() -> None:
    op.create_table(
        "integrations_hook",
        ddl.integer("id"),
        ddl.string("public_id", 16),
        ddl.string("kind", 20),
        ddl.integer("team_id"),
        ddl.string("name", 100),
        ddl.binary("ciphertext"),
        ddl.timestamp("created_at"),
        ddl.string("created_by", 100),
        ddl.timestamp("last_delivery_at", nullable=True),
        ddl.integer("mapped_count"),
        ddl.integer("ignored_count"),
        ddl.integer("unmapped_count"),
        ddl.foreign_key("integrations_hook", "team_id", "teams_team", ondelete="CASCADE"),
        ddl.primary_key("integrations_hook"),
        ddl.unique("integrations_hook", "public_id"),
    )
    ddl.create_indexes("integrations_hook", "team_id")
    op.create_table(
        "integrations_mapping",
        ddl.integer("id"),
        ddl.integer("hook_id"),
        ddl.string("external", 300),
        ddl.integer("service_id"),
        ddl.string("service_key", 64),
        ddl.timestamp("created_at"),
        ddl.string("created_by", 100),
        ddl.foreign_key("integrations_mapping", "hook_id", "integrations_hook", ondelete="CASCADE"),
        ddl.foreign_key("integrations_mapping", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("integrations_mapping"),
        ddl.unique("integrations_mapping", "hook_id", "external"),
    )
    ddl.create_indexes("integrations_mapping", "hook_id", "service_id")
    op.create_table(
        "integrations_delivery",
        ddl.integer("id"),
        ddl.integer("hook_id"),
        ddl.string("delivery_id", 200),
        ddl.string("event", 120),
        ddl.timestamp("received_at"),
        ddl.string("outcome", 20),
        ddl.string("summary", 300),
        ddl.text("payload"),
        ddl.foreign_key("integrations_delivery", "hook_id", "integrations_hook", ondelete="CASCADE"),
        ddl.primary_key("integrations_delivery"),
        ddl.unique("integrations_delivery", "hook_id", "delivery_id"),
    )
    ddl.create_indexes("integrations_delivery", ("ix_integrations_delivery_hook_received", ["hook_id", "received_at"]))


def downgrade() -> None:
    op.drop_table("integrations_delivery")
    op.drop_table("integrations_mapping")
    op.drop_table("integrations_hook")
    for table in reversed(OUTSIDE):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_service_id_origin_external_id"), type_="unique")
            if table == "delivery_deployment":
                batch_op.alter_column("stage_id", existing_type=sa.Integer(), nullable=False)
                batch_op.alter_column("run_id", existing_type=sa.Integer(), nullable=False)
            if table == "delivery_pipeline_run":
                batch_op.drop_column("url")
            batch_op.drop_column("observed_at")
            batch_op.drop_column("external_id")
            batch_op.drop_column("origin")
