"""delivery (revision 0005, after 0004, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"


def upgrade() -> None:  # noqa: PLR0915
    op.create_table(
        "delivery_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_email", sa.String(length=200), nullable=False),
        sa.Column("authored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("item_keys", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_change_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_change")),
        sa.UniqueConstraint("service_id", "sha", name=op.f("uq_delivery_change_service_id_sha")),
    )
    with op.batch_alter_table("delivery_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_change_service_id"), ["service_id"], unique=False)

    op.create_table(
        "delivery_environment_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_environment_policy_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_environment_policy")),
        sa.UniqueConstraint(
            "service_id", "environment", name=op.f("uq_delivery_environment_policy_service_id_environment")
        ),
    )
    with op.batch_alter_table("delivery_environment_policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_environment_policy_service_id"), ["service_id"], unique=False)

    op.create_table(
        "delivery_pipeline_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("commit_message", sa.String(length=300), nullable=False),
        sa.Column("triggered_by", sa.String(length=100), nullable=False),
        sa.Column("triggered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("artifacts_from_run_id", sa.Integer(), nullable=True),
        sa.Column("rollback_of_deployment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["artifacts_from_run_id"],
            ["delivery_pipeline_run.id"],
            name=op.f("fk_delivery_pipeline_run_artifacts_from_run_id_delivery_pipeline_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_pipeline_run_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by_user_id"],
            ["accounts_user.id"],
            name=op.f("fk_delivery_pipeline_run_triggered_by_user_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_pipeline_run")),
    )
    with op.batch_alter_table("delivery_pipeline_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_pipeline_run_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_pipeline_run_status"), ["status"], unique=False)

    op.create_table(
        "delivery_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_secret_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_secret")),
        sa.UniqueConstraint(
            "service_id", "name", "environment", name=op.f("uq_delivery_secret_service_id_name_environment")
        ),
    )
    with op.batch_alter_table("delivery_secret", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_secret_service_id"), ["service_id"], unique=False)

    op.create_table(
        "delivery_change_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["delivery_change.id"],
            name=op.f("fk_delivery_change_item_change_id_delivery_change"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_change_item")),
        sa.UniqueConstraint("change_id", "item_key", name=op.f("uq_delivery_change_item_change_id_item_key")),
    )
    with op.batch_alter_table("delivery_change_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_change_item_change_id"), ["change_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_change_item_item_key"), ["item_key"], unique=False)

    op.create_table(
        "delivery_run_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["delivery_change.id"],
            name=op.f("fk_delivery_run_change_change_id_delivery_change"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_pipeline_run.id"],
            name=op.f("fk_delivery_run_change_run_id_delivery_pipeline_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_run_change")),
        sa.UniqueConstraint("run_id", "change_id", name=op.f("uq_delivery_run_change_run_id_change_id")),
    )
    with op.batch_alter_table("delivery_run_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_run_change_change_id"), ["change_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_run_change_run_id"), ["run_id"], unique=False)

    op.create_table(
        "delivery_stage_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_pipeline_run.id"],
            name=op.f("fk_delivery_stage_run_run_id_delivery_pipeline_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_stage_run")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_delivery_stage_run_run_id_position")),
    )
    with op.batch_alter_table("delivery_stage_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_stage_run_run_id"), ["run_id"], unique=False)

    op.create_table(
        "delivery_deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("is_production", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("commit_sha", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approval_roles", sa.JSON(), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("triggered_by", sa.String(length=100), nullable=False),
        sa.Column("triggered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("is_rollback", sa.Boolean(), nullable=False),
        sa.Column("rollback_of_id", sa.Integer(), nullable=True),
        sa.Column("is_rework", sa.Boolean(), nullable=False),
        sa.Column("gate_note", sa.String(length=300), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rollback_of_id"],
            ["delivery_deployment.id"],
            name=op.f("fk_delivery_deployment_rollback_of_id_delivery_deployment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_pipeline_run.id"],
            name=op.f("fk_delivery_deployment_run_id_delivery_pipeline_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_deployment_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["delivery_stage_run.id"],
            name=op.f("fk_delivery_deployment_stage_id_delivery_stage_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_deployment")),
        sa.UniqueConstraint("stage_id", name=op.f("uq_delivery_deployment_stage_id")),
    )
    with op.batch_alter_table("delivery_deployment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_deployment_run_id"), ["run_id"], unique=False)
        batch_op.create_index("ix_delivery_deployment_service_environment", ["service_id", "environment"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_deployment_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_deployment_status"), ["status"], unique=False)

    op.create_table(
        "delivery_step_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("network", sa.Boolean(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("artifacts", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_pipeline_run.id"],
            name=op.f("fk_delivery_step_run_run_id_delivery_pipeline_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["delivery_stage_run.id"],
            name=op.f("fk_delivery_step_run_stage_id_delivery_stage_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_step_run")),
    )
    with op.batch_alter_table("delivery_step_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_step_run_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_step_run_stage_id"), ["stage_id"], unique=False)
        batch_op.create_index("ix_delivery_step_run_status_lease", ["status", "lease_expires_at"], unique=False)

    op.create_table(
        "delivery_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["delivery_deployment.id"],
            name=op.f("fk_delivery_approval_deployment_id_delivery_deployment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["accounts_user.id"],
            name=op.f("fk_delivery_approval_user_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_approval")),
        sa.UniqueConstraint("deployment_id", "user_id", name=op.f("uq_delivery_approval_deployment_id_user_id")),
    )
    with op.batch_alter_table("delivery_approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_approval_deployment_id"), ["deployment_id"], unique=False)

    op.create_table(
        "delivery_artifact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_pipeline_run.id"],
            name=op.f("fk_delivery_artifact_run_id_delivery_pipeline_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["delivery_step_run.id"],
            name=op.f("fk_delivery_artifact_step_id_delivery_step_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_artifact")),
        sa.UniqueConstraint("step_id", name=op.f("uq_delivery_artifact_step_id")),
    )
    with op.batch_alter_table("delivery_artifact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_artifact_run_id"), ["run_id"], unique=False)

    op.create_table(
        "delivery_deployment_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["delivery_change.id"],
            name=op.f("fk_delivery_deployment_change_change_id_delivery_change"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["delivery_deployment.id"],
            name=op.f("fk_delivery_deployment_change_deployment_id_delivery_deployment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_deployment_change")),
        sa.UniqueConstraint(
            "deployment_id", "change_id", name=op.f("uq_delivery_deployment_change_deployment_id_change_id")
        ),
    )
    with op.batch_alter_table("delivery_deployment_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_deployment_change_change_id"), ["change_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_delivery_deployment_change_deployment_id"), ["deployment_id"], unique=False
        )

    op.create_table(
        "delivery_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=24), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("caused_by_deployment_id", sa.Integer(), nullable=True),
        sa.Column("cause_link", sa.String(length=20), nullable=True),
        sa.Column("restored_by_deployment_id", sa.Integer(), nullable=True),
        sa.Column("restore_link", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["caused_by_deployment_id"],
            ["delivery_deployment.id"],
            name=op.f("fk_delivery_incident_caused_by_deployment_id_delivery_deployment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["restored_by_deployment_id"],
            ["delivery_deployment.id"],
            name=op.f("fk_delivery_incident_restored_by_deployment_id_delivery_deployment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_delivery_incident_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_incident")),
        sa.UniqueConstraint("key", name=op.f("uq_delivery_incident_key")),
    )
    with op.batch_alter_table("delivery_incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_incident_caused_by_deployment_id"), ["caused_by_deployment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_delivery_incident_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_incident_status"), ["status"], unique=False)

    op.create_table(
        "delivery_step_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["delivery_step_run.id"],
            name=op.f("fk_delivery_step_log_step_id_delivery_step_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_step_log")),
        sa.UniqueConstraint("step_id", "attempt", "seq", name=op.f("uq_delivery_step_log_step_id_attempt_seq")),
    )
    with op.batch_alter_table("delivery_step_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_step_log_step_id"), ["step_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:  # noqa: PLR0915
    with op.batch_alter_table("delivery_step_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_step_log_step_id"))

    op.drop_table("delivery_step_log")
    with op.batch_alter_table("delivery_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_incident_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_incident_service_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_incident_caused_by_deployment_id"))

    op.drop_table("delivery_incident")
    with op.batch_alter_table("delivery_deployment_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_deployment_change_deployment_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_deployment_change_change_id"))

    op.drop_table("delivery_deployment_change")
    with op.batch_alter_table("delivery_artifact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_artifact_run_id"))

    op.drop_table("delivery_artifact")
    with op.batch_alter_table("delivery_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_approval_deployment_id"))

    op.drop_table("delivery_approval")
    with op.batch_alter_table("delivery_step_run", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_step_run_status_lease")
        batch_op.drop_index(batch_op.f("ix_delivery_step_run_stage_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_step_run_run_id"))

    op.drop_table("delivery_step_run")
    with op.batch_alter_table("delivery_deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_deployment_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_deployment_service_id"))
        batch_op.drop_index("ix_delivery_deployment_service_environment")
        batch_op.drop_index(batch_op.f("ix_delivery_deployment_run_id"))

    op.drop_table("delivery_deployment")
    with op.batch_alter_table("delivery_stage_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_stage_run_run_id"))

    op.drop_table("delivery_stage_run")
    with op.batch_alter_table("delivery_run_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_run_change_run_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_run_change_change_id"))

    op.drop_table("delivery_run_change")
    with op.batch_alter_table("delivery_change_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_change_item_item_key"))
        batch_op.drop_index(batch_op.f("ix_delivery_change_item_change_id"))

    op.drop_table("delivery_change_item")
    with op.batch_alter_table("delivery_secret", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_secret_service_id"))

    op.drop_table("delivery_secret")
    with op.batch_alter_table("delivery_pipeline_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_pipeline_run_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_pipeline_run_service_id"))

    op.drop_table("delivery_pipeline_run")
    with op.batch_alter_table("delivery_environment_policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_environment_policy_service_id"))

    op.drop_table("delivery_environment_policy")
    with op.batch_alter_table("delivery_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_change_service_id"))

    op.drop_table("delivery_change")
    # ### end Alembic commands ###
