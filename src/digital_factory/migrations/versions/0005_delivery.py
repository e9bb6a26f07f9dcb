"""delivery (revision 0005, after 0004, 2026-11-28)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0005", "0004"

DEPLOYMENT_INDEXES = (
    "run_id",
    ("ix_delivery_deployment_service_environment", ["service_id", "environment"]),
    "service_id",
    "status",
)
STEP_RUN_INDEXES = ("run_id", "stage_id", ("ix_delivery_step_run_status_lease", ["status", "lease_expires_at"]))


def upgrade() -> None:
    op.create_table(
        "delivery_change",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("sha", 64),
        ddl.string("author_name", 200),
        ddl.string("author_email", 200),
        ddl.timestamp("authored_at"),
        ddl.timestamp("committed_at"),
        ddl.timestamp("merged_at", nullable=True),
        ddl.string("subject", 300),
        ddl.json("item_keys"),
        ddl.timestamp("first_seen_at"),
        ddl.foreign_key("delivery_change", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("delivery_change"),
        ddl.unique("delivery_change", "service_id", "sha"),
    )
    ddl.create_indexes("delivery_change", "service_id")

    op.create_table(
        "delivery_environment_policy",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("environment", 40),
        ddl.integer("required_approvals"),
        ddl.json("windows"),
        ddl.timestamp("updated_at"),
        ddl.foreign_key("delivery_environment_policy", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("delivery_environment_policy"),
        ddl.unique("delivery_environment_policy", "service_id", "environment"),
    )
    ddl.create_indexes("delivery_environment_policy", "service_id")

    op.create_table(
        "delivery_pipeline_run",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("service_key", 64),
        ddl.string("status", 20),
        ddl.string("trigger", 20),
        ddl.string("source", 500),
        ddl.string("ref", 255, nullable=True),
        ddl.string("commit_sha", 64),
        ddl.string("version", 100),
        ddl.string("commit_message", 300),
        ddl.string("triggered_by", 100),
        ddl.integer("triggered_by_user_id", nullable=True),
        ddl.text("error", nullable=True),
        ddl.integer("artifacts_from_run_id", nullable=True),
        ddl.integer("rollback_of_deployment_id", nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("started_at", nullable=True),
        ddl.timestamp("finished_at", nullable=True),
        ddl.foreign_key("delivery_pipeline_run", "artifacts_from_run_id", "delivery_pipeline_run", ondelete="SET NULL"),
        ddl.foreign_key("delivery_pipeline_run", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.foreign_key("delivery_pipeline_run", "triggered_by_user_id", "accounts_user", ondelete="SET NULL"),
        ddl.primary_key("delivery_pipeline_run"),
    )
    ddl.create_indexes("delivery_pipeline_run", "service_id", "status")

    op.create_table(
        "delivery_secret",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("name", 128),
        ddl.string("environment", 40),
        ddl.binary("ciphertext"),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.string("updated_by", 100),
        ddl.foreign_key("delivery_secret", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("delivery_secret"),
        ddl.unique("delivery_secret", "service_id", "name", "environment"),
    )
    ddl.create_indexes("delivery_secret", "service_id")

    op.create_table(
        "delivery_change_item",
        ddl.integer("id"),
        ddl.integer("change_id"),
        ddl.string("item_key", 24),
        ddl.foreign_key("delivery_change_item", "change_id", "delivery_change", ondelete="CASCADE"),
        ddl.primary_key("delivery_change_item"),
        ddl.unique("delivery_change_item", "change_id", "item_key"),
    )
    ddl.create_indexes("delivery_change_item", "change_id", "item_key")

    op.create_table(
        "delivery_run_change",
        ddl.integer("id"),
        ddl.integer("run_id"),
        ddl.integer("change_id"),
        ddl.foreign_key("delivery_run_change", "change_id", "delivery_change", ondelete="CASCADE"),
        ddl.foreign_key("delivery_run_change", "run_id", "delivery_pipeline_run", ondelete="CASCADE"),
        ddl.primary_key("delivery_run_change"),
        ddl.unique("delivery_run_change", "run_id", "change_id"),
    )
    ddl.create_indexes("delivery_run_change", "change_id", "run_id")

    op.create_table(
        "delivery_stage_run",
        ddl.integer("id"),
        ddl.integer("run_id"),
        ddl.string("name", 64),
        ddl.integer("position"),
        ddl.string("status", 20),
        ddl.string("environment", 40, nullable=True),
        ddl.json("variables"),
        ddl.timestamp("started_at", nullable=True),
        ddl.timestamp("finished_at", nullable=True),
        ddl.foreign_key("delivery_stage_run", "run_id", "delivery_pipeline_run", ondelete="CASCADE"),
        ddl.primary_key("delivery_stage_run"),
        ddl.unique("delivery_stage_run", "run_id", "position"),
    )
    ddl.create_indexes("delivery_stage_run", "run_id")

    op.create_table(
        "delivery_deployment",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("service_key", 64),
        ddl.string("environment", 40),
        ddl.boolean("is_production"),
        ddl.integer("run_id"),
        ddl.integer("stage_id"),
        ddl.string("version", 100),
        ddl.string("commit_sha", 64),
        ddl.string("status", 20),
        ddl.json("approval_roles"),
        ddl.integer("required_approvals"),
        ddl.string("triggered_by", 100),
        ddl.integer("triggered_by_user_id", nullable=True),
        ddl.boolean("is_rollback"),
        ddl.integer("rollback_of_id", nullable=True),
        ddl.boolean("is_rework"),
        ddl.string("gate_note", 300, nullable=True),
        ddl.timestamp("requested_at"),
        ddl.timestamp("approved_at", nullable=True),
        ddl.timestamp("started_at", nullable=True),
        ddl.timestamp("finished_at", nullable=True),
        ddl.foreign_key("delivery_deployment", "rollback_of_id", "delivery_deployment", ondelete="SET NULL"),
        ddl.foreign_key("delivery_deployment", "run_id", "delivery_pipeline_run", ondelete="CASCADE"),
        ddl.foreign_key("delivery_deployment", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.foreign_key("delivery_deployment", "stage_id", "delivery_stage_run", ondelete="CASCADE"),
        ddl.primary_key("delivery_deployment"),
        ddl.unique("delivery_deployment", "stage_id"),
    )
    ddl.create_indexes("delivery_deployment", *DEPLOYMENT_INDEXES)

    op.create_table(
        "delivery_step_run",
        ddl.integer("id"),
        ddl.integer("run_id"),
        ddl.integer("stage_id"),
        ddl.string("name", 64),
        ddl.integer("position"),
        ddl.string("status", 20),
        ddl.text("command"),
        ddl.integer("timeout_seconds"),
        ddl.boolean("network"),
        ddl.json("needs"),
        ddl.json("artifacts"),
        ddl.json("secrets"),
        ddl.json("variables"),
        ddl.integer("attempt"),
        ddl.string("worker", 120, nullable=True),
        ddl.boolean("cancel_requested"),
        ddl.timestamp("lease_expires_at", nullable=True),
        ddl.timestamp("queued_at", nullable=True),
        ddl.timestamp("started_at", nullable=True),
        ddl.timestamp("finished_at", nullable=True),
        ddl.integer("exit_code", nullable=True),
        ddl.text("error", nullable=True),
        ddl.foreign_key("delivery_step_run", "run_id", "delivery_pipeline_run", ondelete="CASCADE"),
        ddl.foreign_key("delivery_step_run", "stage_id", "delivery_stage_run", ondelete="CASCADE"),
        ddl.primary_key("delivery_step_run"),
    )
    ddl.create_indexes("delivery_step_run", *STEP_RUN_INDEXES)

    op.create_table(
        "delivery_approval",
        ddl.integer("id"),
        ddl.integer("deployment_id"),
        ddl.integer("user_id", nullable=True),
        ddl.string("username", 100),
        ddl.string("role", 20),
        ddl.string("decision", 20),
        ddl.text("comment"),
        ddl.timestamp("at"),
        ddl.foreign_key("delivery_approval", "deployment_id", "delivery_deployment", ondelete="CASCADE"),
        ddl.foreign_key("delivery_approval", "user_id", "accounts_user", ondelete="SET NULL"),
        ddl.primary_key("delivery_approval"),
        ddl.unique("delivery_approval", "deployment_id", "user_id"),
    )
    ddl.create_indexes("delivery_approval", "deployment_id")

    op.create_table(
        "delivery_artifact",
        ddl.integer("id"),
        ddl.integer("run_id"),
        ddl.integer("step_id"),
        ddl.integer("size"),
        ddl.string("sha256", 64),
        ddl.integer("files"),
        ddl.binary("content"),
        ddl.timestamp("created_at"),
        ddl.foreign_key("delivery_artifact", "run_id", "delivery_pipeline_run", ondelete="CASCADE"),
        ddl.foreign_key("delivery_artifact", "step_id", "delivery_step_run", ondelete="CASCADE"),
        ddl.primary_key("delivery_artifact"),
        ddl.unique("delivery_artifact", "step_id"),
    )
    ddl.create_indexes("delivery_artifact", "run_id")

    op.create_table(
        "delivery_deployment_change",
        ddl.integer("id"),
        ddl.integer("deployment_id"),
        ddl.integer("change_id"),
        ddl.foreign_key("delivery_deployment_change", "change_id", "delivery_change", ondelete="CASCADE"),
        ddl.foreign_key("delivery_deployment_change", "deployment_id", "delivery_deployment", ondelete="CASCADE"),
        ddl.primary_key("delivery_deployment_change"),
        ddl.unique("delivery_deployment_change", "deployment_id", "change_id"),
    )
    ddl.create_indexes("delivery_deployment_change", "change_id", "deployment_id")

    op.create_table(
        "delivery_incident",
        ddl.integer("id"),
        ddl.string("key", 24),
        ddl.integer("service_id"),
        ddl.string("service_key", 64),
        ddl.string("environment", 40),
        ddl.string("title", 300),
        ddl.text("description"),
        ddl.string("severity", 10),
        ddl.string("status", 20),
        ddl.timestamp("detected_at"),
        ddl.timestamp("opened_at"),
        ddl.string("opened_by", 100),
        ddl.timestamp("resolved_at", nullable=True),
        ddl.string("resolved_by", 100, nullable=True),
        ddl.text("resolution", nullable=True),
        ddl.integer("caused_by_deployment_id", nullable=True),
        ddl.string("cause_link", 20, nullable=True),
        ddl.integer("restored_by_deployment_id", nullable=True),
        ddl.string("restore_link", 20, nullable=True),
        ddl.foreign_key("delivery_incident", "caused_by_deployment_id", "delivery_deployment", ondelete="SET NULL"),
        ddl.foreign_key("delivery_incident", "restored_by_deployment_id", "delivery_deployment", ondelete="SET NULL"),
        ddl.foreign_key("delivery_incident", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("delivery_incident"),
        ddl.unique("delivery_incident", "key"),
    )
    ddl.create_indexes("delivery_incident", "caused_by_deployment_id", "service_id", "status")

    op.create_table(
        "delivery_step_log",
        ddl.integer("id"),
        ddl.integer("step_id"),
        ddl.integer("attempt"),
        ddl.integer("seq"),
        ddl.text("text"),
        ddl.timestamp("at"),
        ddl.foreign_key("delivery_step_log", "step_id", "delivery_step_run", ondelete="CASCADE"),
        ddl.primary_key("delivery_step_log"),
        ddl.unique("delivery_step_log", "step_id", "attempt", "seq"),
    )
    ddl.create_indexes("delivery_step_log", "step_id")

    # ### end Alembic commands ###


def downgrade() -> None:
    ddl.drop_table("delivery_step_log", "step_id")
    ddl.drop_table("delivery_incident", "caused_by_deployment_id", "service_id", "status")
    ddl.drop_table("delivery_deployment_change", "change_id", "deployment_id")
    ddl.drop_table("delivery_artifact", "run_id")
    ddl.drop_table("delivery_approval", "deployment_id")
    ddl.drop_table("delivery_step_run", *STEP_RUN_INDEXES)
    ddl.drop_table("delivery_deployment", *DEPLOYMENT_INDEXES)
    ddl.drop_table("delivery_stage_run", "run_id")
    ddl.drop_table("delivery_run_change", "change_id", "run_id")
    ddl.drop_table("delivery_change_item", "change_id", "item_key")
    ddl.drop_table("delivery_secret", "service_id")
    ddl.drop_table("delivery_pipeline_run", "service_id", "status")
    ddl.drop_table("delivery_environment_policy", "service_id")
    ddl.drop_table("delivery_change", "service_id")
    # ### end Alembic commands ###
