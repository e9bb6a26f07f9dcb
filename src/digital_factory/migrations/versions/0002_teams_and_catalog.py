"""teams and catalog (revision 0002, after 0001, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    op.create_table(
        "teams_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_type", sa.String(length=30), nullable=False),
        sa.Column("mission", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_team")),
        sa.UniqueConstraint("key", name=op.f("uq_teams_team_key")),
    )
    op.create_table(
        "catalog_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_team_id", sa.Integer(), nullable=True),
        sa.Column("repository_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_team_id"],
            ["teams_team.id"],
            name=op.f("fk_catalog_service_owner_team_id_teams_team"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_service")),
        sa.UniqueConstraint("key", name=op.f("uq_catalog_service_key")),
    )
    with op.batch_alter_table("catalog_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_service_owner_team_id"), ["owner_team_id"], unique=False)

    op.create_table(
        "teams_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_role", sa.String(length=60), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_teams_member_team_id_teams_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts_user.id"], name=op.f("fk_teams_member_user_id_accounts_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_member")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_teams_member_team_id_user_id")),
    )
    with op.batch_alter_table("teams_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_member_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_teams_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "catalog_environment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("approval_roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_catalog_environment_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_environment")),
        sa.UniqueConstraint("service_id", "name", name=op.f("uq_catalog_environment_service_id_name")),
    )
    with op.batch_alter_table("catalog_environment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_environment_service_id"), ["service_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalog_environment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_environment_service_id"))

    op.drop_table("catalog_environment")
    with op.batch_alter_table("teams_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_teams_member_team_id"))

    op.drop_table("teams_member")
    with op.batch_alter_table("catalog_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_service_owner_team_id"))

    op.drop_table("catalog_service")
    op.drop_table("teams_team")
