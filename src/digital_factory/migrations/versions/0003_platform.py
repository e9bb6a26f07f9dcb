"""platform: templates, onboardings, upgrades, hosted repositories, service provenance and ingestion keys (revision 0003, after 0002, 2026-11-28)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0003", "0002"


def upgrade() -> None:
    op.create_table(
        "platform_onboarding",
        ddl.integer("id"),
        ddl.string("job_id", 40),
        ddl.string("team_key", 64),
        ddl.string("service_key", 64),
        ddl.string("template_key", 64),
        ddl.string("template_version", 64, nullable=True),
        ddl.string("status", 20),
        ddl.json("steps"),
        ddl.text("error", nullable=True),
        ddl.string("requested_by", 100),
        ddl.timestamp("created_at"),
        ddl.timestamp("finished_at", nullable=True),
        ddl.primary_key("platform_onboarding"),
        ddl.unique("platform_onboarding", "job_id"),
    )
    ddl.create_indexes("platform_onboarding", "created_at", "service_key")

    op.create_table(
        "platform_template",
        ddl.integer("id"),
        ddl.string("key", 64),
        ddl.string("name", 200),
        ddl.text("description"),
        ddl.string("source", 500),
        ddl.boolean("builtin"),
        ddl.boolean("trusted"),
        ddl.json("versions"),
        ddl.string("latest_version", 64, nullable=True),
        ddl.string("created_by", 100),
        ddl.timestamp("created_at"),
        ddl.timestamp("refreshed_at"),
        ddl.primary_key("platform_template"),
        ddl.unique("platform_template", "key"),
    )
    op.create_table(
        "platform_upgrade",
        ddl.integer("id"),
        ddl.string("service_key", 64),
        ddl.string("template_key", 64),
        ddl.string("from_version", 64, nullable=True),
        ddl.string("to_version", 64),
        ddl.string("status", 20),
        ddl.string("branch", 200, nullable=True),
        ddl.string("commit", 64, nullable=True),
        ddl.json("conflicts"),
        ddl.text("detail"),
        ddl.string("requested_by", 100),
        ddl.timestamp("created_at"),
        ddl.primary_key("platform_upgrade"),
    )
    ddl.create_indexes("platform_upgrade", "created_at", "service_key")

    op.create_table(
        "repos_repository",
        ddl.integer("id"),
        ddl.string("key", 64),
        ddl.text("description"),
        ddl.string("host", 20),
        ddl.integer("owner_team_id", nullable=True),
        ddl.string("service_key", 64, nullable=True),
        ddl.string("default_branch", 100),
        ddl.timestamp("created_at"),
        ddl.foreign_key("repos_repository", "owner_team_id", "teams_team", ondelete="SET NULL"),
        ddl.primary_key("repos_repository"),
        ddl.unique("repos_repository", "key"),
    )
    ddl.create_indexes("repos_repository", "owner_team_id", "service_key")

    op.create_table(
        "catalog_ingestion_key",
        ddl.integer("id"),
        ddl.string("public_id", 16),
        ddl.integer("service_id"),
        ddl.string("name", 100),
        ddl.string("digest", 64),
        ddl.timestamp("created_at"),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.timestamp("last_used_at", nullable=True),
        ddl.foreign_key("catalog_ingestion_key", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("catalog_ingestion_key"),
        ddl.unique("catalog_ingestion_key", "public_id"),
    )
    ddl.create_indexes("catalog_ingestion_key", "service_id")

    op.create_table(
        "catalog_service_template",
        ddl.integer("service_id"),
        ddl.string("template", 64),
        ddl.string("version", 64),
        ddl.timestamp("updated_at"),
        ddl.foreign_key("catalog_service_template", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("catalog_service_template", "service_id"),
    )
    ddl.create_indexes("catalog_service_template", "template")

    op.create_table(
        "catalog_service_work",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("kind", 10),
        ddl.string("work_key", 24),
        ddl.timestamp("linked_at"),
        ddl.foreign_key("catalog_service_work", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("catalog_service_work"),
        ddl.unique("catalog_service_work", "service_id", "work_key"),
    )
    ddl.create_indexes("catalog_service_work", "service_id", "work_key")

    op.create_table(
        "repos_push",
        ddl.integer("id"),
        ddl.integer("repository_id"),
        ddl.string("ref", 255),
        ddl.string("before", 64),
        ddl.string("after", 64),
        ddl.string("pusher", 100, nullable=True),
        ddl.timestamp("pushed_at"),
        ddl.foreign_key("repos_push", "repository_id", "repos_repository", ondelete="CASCADE"),
        ddl.primary_key("repos_push"),
    )
    ddl.create_indexes("repos_push", "pushed_at", "repository_id")

    # ### end Alembic commands ###


def downgrade() -> None:
    ddl.drop_table("repos_push", "pushed_at", "repository_id")
    ddl.drop_table("catalog_service_work", "service_id", "work_key")
    ddl.drop_table("catalog_service_template", "template")
    ddl.drop_table("catalog_ingestion_key", "service_id")
    ddl.drop_table("repos_repository", "owner_team_id", "service_key")
    ddl.drop_table("platform_upgrade", "created_at", "service_key")
    ddl.drop_table("platform_template")
    ddl.drop_table("platform_onboarding", "created_at", "service_key")
    # ### end Alembic commands ###
