"""teams and catalog (revision 0002, after 0001, 2026-11-28)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    op.create_table(
        "teams_team",
        ddl.integer("id"),
        ddl.string("key", 64),
        ddl.string("name", 200),
        ddl.string("team_type", 30),
        ddl.text("mission"),
        ddl.timestamp("created_at"),
        ddl.primary_key("teams_team"),
        ddl.unique("teams_team", "key"),
    )
    op.create_table(
        "catalog_service",
        ddl.integer("id"),
        ddl.string("key", 64),
        ddl.string("name", 200),
        ddl.text("description"),
        ddl.integer("owner_team_id", nullable=True),
        ddl.string("repository_url", 500, nullable=True),
        ddl.timestamp("created_at"),
        ddl.foreign_key("catalog_service", "owner_team_id", "teams_team", ondelete="SET NULL"),
        ddl.primary_key("catalog_service"),
        ddl.unique("catalog_service", "key"),
    )
    ddl.create_indexes("catalog_service", "owner_team_id")

    op.create_table(
        "teams_member",
        ddl.integer("id"),
        ddl.integer("team_id"),
        ddl.integer("user_id"),
        ddl.string("team_role", 60),
        ddl.timestamp("joined_at"),
        ddl.foreign_key("teams_member", "team_id", "teams_team", ondelete="CASCADE"),
        ddl.foreign_key("teams_member", "user_id", "accounts_user", ondelete="CASCADE"),
        ddl.primary_key("teams_member"),
        ddl.unique("teams_member", "team_id", "user_id"),
    )
    ddl.create_indexes("teams_member", "team_id", "user_id")

    op.create_table(
        "catalog_environment",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("name", 40),
        ddl.integer("position"),
        ddl.json("approval_roles"),
        ddl.timestamp("created_at"),
        ddl.foreign_key("catalog_environment", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("catalog_environment"),
        ddl.unique("catalog_environment", "service_id", "name"),
    )
    ddl.create_indexes("catalog_environment", "service_id")


def downgrade() -> None:
    ddl.drop_table("catalog_environment", "service_id")
    ddl.drop_table("teams_member", "team_id", "user_id")
    ddl.drop_table("catalog_service", "owner_team_id")
    ddl.drop_table("teams_team")
