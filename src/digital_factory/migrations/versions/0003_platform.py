"""platform: templates, onboardings, upgrades, hosted repositories, service provenance and ingestion keys (revision 0003, after 0002, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0003", "0002"


def upgrade() -> None:
    op.create_table(
        "platform_onboarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("team_key", sa.String(length=64), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_onboarding")),
        sa.UniqueConstraint("job_id", name=op.f("uq_platform_onboarding_job_id")),
    )
    with op.batch_alter_table("platform_onboarding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platform_onboarding_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_platform_onboarding_service_key"), ["service_key"], unique=False)

    op.create_table(
        "platform_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("latest_version", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_template")),
        sa.UniqueConstraint("key", name=op.f("uq_platform_template_key")),
    )
    op.create_table(
        "platform_upgrade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.String(length=64), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("from_version", sa.String(length=64), nullable=True),
        sa.Column("to_version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("branch", sa.String(length=200), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_upgrade")),
    )
    with op.batch_alter_table("platform_upgrade", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platform_upgrade_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_platform_upgrade_service_key"), ["service_key"], unique=False)

    op.create_table(
        "repos_repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=20), nullable=False),
        sa.Column("owner_team_id", sa.Integer(), nullable=True),
        sa.Column("service_key", sa.String(length=64), nullable=True),
        sa.Column("default_branch", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_team_id"],
            ["teams_team.id"],
            name=op.f("fk_repos_repository_owner_team_id_teams_team"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repos_repository")),
        sa.UniqueConstraint("key", name=op.f("uq_repos_repository_key")),
    )
    with op.batch_alter_table("repos_repository", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repos_repository_owner_team_id"), ["owner_team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repos_repository_service_key"), ["service_key"], unique=False)

    op.create_table(
        "catalog_ingestion_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_catalog_ingestion_key_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_ingestion_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_catalog_ingestion_key_public_id")),
    )
    with op.batch_alter_table("catalog_ingestion_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_ingestion_key_service_id"), ["service_id"], unique=False)

    op.create_table(
        "catalog_service_template",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_catalog_service_template_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_catalog_service_template")),
    )
    with op.batch_alter_table("catalog_service_template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_service_template_template"), ["template"], unique=False)

    op.create_table(
        "catalog_service_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("work_key", sa.String(length=24), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_catalog_service_work_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_service_work")),
        sa.UniqueConstraint("service_id", "work_key", name=op.f("uq_catalog_service_work_service_id_work_key")),
    )
    with op.batch_alter_table("catalog_service_work", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_service_work_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_service_work_work_key"), ["work_key"], unique=False)

    op.create_table(
        "repos_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("before", sa.String(length=64), nullable=False),
        sa.Column("after", sa.String(length=64), nullable=False),
        sa.Column("pusher", sa.String(length=100), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repos_repository.id"],
            name=op.f("fk_repos_push_repository_id_repos_repository"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repos_push")),
    )
    with op.batch_alter_table("repos_push", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repos_push_pushed_at"), ["pushed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_repos_push_repository_id"), ["repository_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("repos_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repos_push_repository_id"))
        batch_op.drop_index(batch_op.f("ix_repos_push_pushed_at"))

    op.drop_table("repos_push")
    with op.batch_alter_table("catalog_service_work", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_service_work_work_key"))
        batch_op.drop_index(batch_op.f("ix_catalog_service_work_service_id"))

    op.drop_table("catalog_service_work")
    with op.batch_alter_table("catalog_service_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_service_template_template"))

    op.drop_table("catalog_service_template")
    with op.batch_alter_table("catalog_ingestion_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_ingestion_key_service_id"))

    op.drop_table("catalog_ingestion_key")
    with op.batch_alter_table("repos_repository", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repos_repository_service_key"))
        batch_op.drop_index(batch_op.f("ix_repos_repository_owner_team_id"))

    op.drop_table("repos_repository")
    with op.batch_alter_table("platform_upgrade", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_upgrade_service_key"))
        batch_op.drop_index(batch_op.f("ix_platform_upgrade_created_at"))

    op.drop_table("platform_upgrade")
    op.drop_table("platform_template")
    with op.batch_alter_table("platform_onboarding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_onboarding_service_key"))
        batch_op.drop_index(batch_op.f("ix_platform_onboarding_created_at"))

    op.drop_table("platform_onboarding")
    # ### end Alembic commands ###
