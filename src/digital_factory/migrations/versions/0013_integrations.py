"""integrations: webhooks from GitHub, GitLab and CDEvents producers; runs, deployments and incidents recorded from outside (revision 0013, after 0012, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0013", "0012"

OUTSIDE = ("delivery_pipeline_run", "delivery_deployment", "delivery_incident")


def upgrade() -> None:
    for table in OUTSIDE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("origin", sa.String(length=20), server_default="factory", nullable=False))
            batch_op.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True))
            if table == "delivery_pipeline_run":
                batch_op.add_column(sa.Column("url", sa.String(length=500), nullable=True))
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
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mapped_count", sa.Integer(), nullable=False),
        sa.Column("ignored_count", sa.Integer(), nullable=False),
        sa.Column("unmapped_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_integrations_hook_team_id_teams_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations_hook")),
        sa.UniqueConstraint("public_id", name=op.f("uq_integrations_hook_public_id")),
    )
    with op.batch_alter_table("integrations_hook", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrations_hook_team_id"), ["team_id"], unique=False)
    op.create_table(
        "integrations_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hook_id", sa.Integer(), nullable=False),
        sa.Column("external", sa.String(length=300), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["hook_id"],
            ["integrations_hook.id"],
            name=op.f("fk_integrations_mapping_hook_id_integrations_hook"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_integrations_mapping_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations_mapping")),
        sa.UniqueConstraint("hook_id", "external", name=op.f("uq_integrations_mapping_hook_id_external")),
    )
    with op.batch_alter_table("integrations_mapping", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrations_mapping_hook_id"), ["hook_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_integrations_mapping_service_id"), ["service_id"], unique=False)
    op.create_table(
        "integrations_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hook_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hook_id"],
            ["integrations_hook.id"],
            name=op.f("fk_integrations_delivery_hook_id_integrations_hook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations_delivery")),
        sa.UniqueConstraint("hook_id", "delivery_id", name=op.f("uq_integrations_delivery_hook_id_delivery_id")),
    )
    with op.batch_alter_table("integrations_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_integrations_delivery_hook_received", ["hook_id", "received_at"], unique=False)


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
