"""releases (revision 0006, after 0005, 2026-11-28)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0006", "0005"

CHANGE_INDEXES = (
    "environment_id",
    "flag_id",
    "service_id",
    ("ix_releases_change_status_due", ["status", "due_at"]),
)
RELEASE_INDEXES = (
    "at",
    "environment_id",
    "feature_key",
    "flag_id",
    ("ix_releases_release_service_at", ["service_id", "at"]),
)


def upgrade() -> None:
    op.create_table(
        "releases_flag",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("key", 100),
        ddl.string("name", 200),
        ddl.text("description"),
        ddl.string("flag_type", 10),
        ddl.json("variants"),
        ddl.string("default_variant", 64),
        ddl.string("off_variant", 64),
        ddl.string("feature_key", 24, nullable=True),
        ddl.timestamp("created_at"),
        ddl.string("created_by", 100),
        ddl.timestamp("archived_at", nullable=True),
        ddl.foreign_key("releases_flag", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("releases_flag"),
        ddl.unique("releases_flag", "service_id", "key"),
    )
    ddl.create_indexes("releases_flag", "feature_key", "service_id")

    op.create_table(
        "releases_change",
        ddl.integer("id"),
        ddl.string("key", 24),
        ddl.integer("service_id"),
        ddl.integer("environment_id"),
        ddl.string("service_key", 64),
        ddl.string("environment", 40),
        ddl.integer("flag_id", nullable=True),
        ddl.string("segment_key", 64, nullable=True),
        ddl.string("subject", 10),
        ddl.json("payload"),
        ddl.text("reason"),
        ddl.string("status", 12),
        ddl.integer("requested_by_id", nullable=True),
        ddl.string("requested_by", 100),
        ddl.timestamp("requested_at"),
        ddl.timestamp("due_at", nullable=True),
        ddl.integer("decided_by_id", nullable=True),
        ddl.string("decided_by", 100, nullable=True),
        ddl.timestamp("decided_at", nullable=True),
        ddl.text("note"),
        ddl.timestamp("applied_at", nullable=True),
        ddl.integer("release_id", nullable=True),
        ddl.text("failure", nullable=True),
        ddl.foreign_key("releases_change", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_change", "flag_id", "releases_flag", ondelete="CASCADE"),
        ddl.foreign_key("releases_change", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("releases_change"),
        ddl.unique("releases_change", "key"),
    )
    ddl.create_indexes("releases_change", *CHANGE_INDEXES)

    op.create_table(
        "releases_client_key",
        ddl.integer("id"),
        ddl.string("public_id", 16),
        ddl.integer("service_id"),
        ddl.integer("environment_id"),
        ddl.string("service_key", 64),
        ddl.string("environment", 40),
        ddl.string("name", 100),
        ddl.string("digest", 64),
        ddl.timestamp("created_at"),
        ddl.string("created_by", 100),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.timestamp("last_used_at", nullable=True),
        ddl.foreign_key("releases_client_key", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_client_key", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("releases_client_key"),
        ddl.unique("releases_client_key", "public_id"),
    )
    ddl.create_indexes("releases_client_key", "environment_id", "service_id")

    op.create_table(
        "releases_evaluation_count",
        ddl.integer("id"),
        ddl.integer("flag_id"),
        ddl.integer("environment_id"),
        ddl.string("variant", 64),
        ddl.timestamp("hour"),
        ddl.big_integer("count"),
        ddl.foreign_key("releases_evaluation_count", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_evaluation_count", "flag_id", "releases_flag", ondelete="CASCADE"),
        ddl.primary_key("releases_evaluation_count"),
        ddl.unique("releases_evaluation_count", "flag_id", "environment_id", "variant", "hour"),
    )
    ddl.create_indexes("releases_evaluation_count", "flag_id")

    op.create_table(
        "releases_flag_state",
        ddl.integer("id"),
        ddl.integer("flag_id"),
        ddl.integer("environment_id"),
        ddl.json("config"),
        ddl.integer("version"),
        ddl.timestamp("updated_at"),
        ddl.string("updated_by", 100),
        ddl.foreign_key("releases_flag_state", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_flag_state", "flag_id", "releases_flag", ondelete="CASCADE"),
        ddl.primary_key("releases_flag_state"),
        ddl.unique("releases_flag_state", "flag_id", "environment_id"),
    )
    ddl.create_indexes("releases_flag_state", "environment_id", "flag_id")

    op.create_table(
        "releases_release",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.integer("environment_id"),
        ddl.integer("flag_id"),
        ddl.string("service_key", 64),
        ddl.string("environment", 40),
        ddl.string("flag_key", 100),
        ddl.string("feature_key", 24, nullable=True),
        ddl.string("kind", 12),
        ddl.text("summary"),
        ddl.json("before"),
        ddl.json("after"),
        ddl.double("exposure_before", nullable=True),
        ddl.double("exposure_after", nullable=True),
        ddl.string("requested_by", 100),
        ddl.string("approved_by", 100, nullable=True),
        ddl.string("change_key", 24, nullable=True),
        ddl.timestamp("at"),
        ddl.foreign_key("releases_release", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_release", "flag_id", "releases_flag", ondelete="CASCADE"),
        ddl.foreign_key("releases_release", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("releases_release"),
    )
    ddl.create_indexes("releases_release", *RELEASE_INDEXES)

    op.create_table(
        "releases_revision",
        ddl.integer("environment_id"),
        ddl.integer("service_id"),
        ddl.big_integer("revision"),
        ddl.timestamp("changed_at"),
        ddl.foreign_key("releases_revision", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_revision", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("releases_revision", "environment_id"),
    )
    op.create_table(
        "releases_segment",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.integer("environment_id"),
        ddl.string("key", 64),
        ddl.string("name", 200),
        ddl.text("description"),
        ddl.json("definition"),
        ddl.integer("version"),
        ddl.timestamp("updated_at"),
        ddl.string("updated_by", 100),
        ddl.foreign_key("releases_segment", "environment_id", "catalog_environment", ondelete="CASCADE"),
        ddl.foreign_key("releases_segment", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("releases_segment"),
        ddl.unique("releases_segment", "environment_id", "key"),
    )
    ddl.create_indexes("releases_segment", "environment_id", "service_id")


def downgrade() -> None:
    ddl.drop_table("releases_segment", "environment_id", "service_id")
    ddl.drop_table("releases_revision")
    ddl.drop_table("releases_release", *RELEASE_INDEXES)
    ddl.drop_table("releases_flag_state", "environment_id", "flag_id")
    ddl.drop_table("releases_evaluation_count", "flag_id")
    ddl.drop_table("releases_client_key", "environment_id", "service_id")
    ddl.drop_table("releases_change", *CHANGE_INDEXES)
    ddl.drop_table("releases_flag", "feature_key", "service_id")
