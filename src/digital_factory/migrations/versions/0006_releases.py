"""releases (revision 0006, after 0005, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0006", "0005"


def upgrade() -> None:
    op.create_table(
        "releases_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("flag_type", sa.String(length=10), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("default_variant", sa.String(length=64), nullable=False),
        sa.Column("off_variant", sa.String(length=64), nullable=False),
        sa.Column("feature_key", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_releases_flag_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_flag")),
        sa.UniqueConstraint("service_id", "key", name=op.f("uq_releases_flag_service_id_key")),
    )
    with op.batch_alter_table("releases_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_flag_feature_key"), ["feature_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_flag_service_id"), ["service_id"], unique=False)

    op.create_table(
        "releases_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=24), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("segment_key", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_change_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["releases_flag.id"], name=op.f("fk_releases_change_flag_id_releases_flag"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_releases_change_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_change")),
        sa.UniqueConstraint("key", name=op.f("uq_releases_change_key")),
    )
    with op.batch_alter_table("releases_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_change_environment_id"), ["environment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_change_flag_id"), ["flag_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_change_service_id"), ["service_id"], unique=False)
        batch_op.create_index("ix_releases_change_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "releases_client_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_client_key_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_releases_client_key_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_client_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_releases_client_key_public_id")),
    )
    with op.batch_alter_table("releases_client_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_client_key_environment_id"), ["environment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_client_key_service_id"), ["service_id"], unique=False)

    op.create_table(
        "releases_evaluation_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_evaluation_count_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["releases_flag.id"],
            name=op.f("fk_releases_evaluation_count_flag_id_releases_flag"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_evaluation_count")),
        sa.UniqueConstraint(
            "flag_id",
            "environment_id",
            "variant",
            "hour",
            name=op.f("uq_releases_evaluation_count_flag_id_environment_id_variant_hour"),
        ),
    )
    with op.batch_alter_table("releases_evaluation_count", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_evaluation_count_flag_id"), ["flag_id"], unique=False)

    op.create_table(
        "releases_flag_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_flag_state_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["releases_flag.id"],
            name=op.f("fk_releases_flag_state_flag_id_releases_flag"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_flag_state")),
        sa.UniqueConstraint("flag_id", "environment_id", name=op.f("uq_releases_flag_state_flag_id_environment_id")),
    )
    with op.batch_alter_table("releases_flag_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_flag_state_environment_id"), ["environment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_flag_state_flag_id"), ["flag_id"], unique=False)

    op.create_table(
        "releases_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("flag_key", sa.String(length=100), nullable=False),
        sa.Column("feature_key", sa.String(length=24), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("exposure_before", sa.Double(), nullable=True),
        sa.Column("exposure_after", sa.Double(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("change_key", sa.String(length=24), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_release_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["releases_flag.id"],
            name=op.f("fk_releases_release_flag_id_releases_flag"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_releases_release_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_release")),
    )
    with op.batch_alter_table("releases_release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_release_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_release_environment_id"), ["environment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_release_feature_key"), ["feature_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_release_flag_id"), ["flag_id"], unique=False)
        batch_op.create_index("ix_releases_release_service_at", ["service_id", "at"], unique=False)

    op.create_table(
        "releases_revision",
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_revision_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_releases_revision_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("environment_id", name=op.f("pk_releases_revision")),
    )
    op.create_table(
        "releases_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["catalog_environment.id"],
            name=op.f("fk_releases_segment_environment_id_catalog_environment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_releases_segment_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases_segment")),
        sa.UniqueConstraint("environment_id", "key", name=op.f("uq_releases_segment_environment_id_key")),
    )
    with op.batch_alter_table("releases_segment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_segment_environment_id"), ["environment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_segment_service_id"), ["service_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("releases_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_segment_service_id"))
        batch_op.drop_index(batch_op.f("ix_releases_segment_environment_id"))

    op.drop_table("releases_segment")
    op.drop_table("releases_revision")
    with op.batch_alter_table("releases_release", schema=None) as batch_op:
        batch_op.drop_index("ix_releases_release_service_at")
        batch_op.drop_index(batch_op.f("ix_releases_release_flag_id"))
        batch_op.drop_index(batch_op.f("ix_releases_release_feature_key"))
        batch_op.drop_index(batch_op.f("ix_releases_release_environment_id"))
        batch_op.drop_index(batch_op.f("ix_releases_release_at"))

    op.drop_table("releases_release")
    with op.batch_alter_table("releases_flag_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_flag_state_flag_id"))
        batch_op.drop_index(batch_op.f("ix_releases_flag_state_environment_id"))

    op.drop_table("releases_flag_state")
    with op.batch_alter_table("releases_evaluation_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_evaluation_count_flag_id"))

    op.drop_table("releases_evaluation_count")
    with op.batch_alter_table("releases_client_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_client_key_service_id"))
        batch_op.drop_index(batch_op.f("ix_releases_client_key_environment_id"))

    op.drop_table("releases_client_key")
    with op.batch_alter_table("releases_change", schema=None) as batch_op:
        batch_op.drop_index("ix_releases_change_status_due")
        batch_op.drop_index(batch_op.f("ix_releases_change_service_id"))
        batch_op.drop_index(batch_op.f("ix_releases_change_flag_id"))
        batch_op.drop_index(batch_op.f("ix_releases_change_environment_id"))

    op.drop_table("releases_change")
    with op.batch_alter_table("releases_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_flag_service_id"))
        batch_op.drop_index(batch_op.f("ix_releases_flag_feature_key"))

    op.drop_table("releases_flag")
