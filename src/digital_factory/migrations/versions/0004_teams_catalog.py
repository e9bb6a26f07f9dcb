"""teams topology (domains, interactions, cognitive-load survey, Team API profile) and catalog value streams and dependencies (revision 0004, after 0003, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004", "0003"


def upgrade() -> None:
    op.create_table(
        "catalog_value_stream",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_value_stream")),
        sa.UniqueConstraint("key", name=op.f("uq_catalog_value_stream_key")),
        sa.UniqueConstraint("name", name=op.f("uq_catalog_value_stream_name")),
    )
    op.create_table(
        "teams_domain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("complexity", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_teams_domain_team_id_teams_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_domain")),
        sa.UniqueConstraint("key", name=op.f("uq_teams_domain_key")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_domain_name")),
    )
    with op.batch_alter_table("teams_domain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_domain_team_id"), ["team_id"], unique=False)

    op.create_table(
        "teams_interaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("other_team_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("expected_duration", sa.Integer(), nullable=True),
        sa.Column("expected_duration_unit", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_teams_interaction_ends_after_start")
        ),
        sa.CheckConstraint("team_id <> other_team_id", name=op.f("ck_teams_interaction_not_self")),
        sa.ForeignKeyConstraint(
            ["other_team_id"],
            ["teams_team.id"],
            name=op.f("fk_teams_interaction_other_team_id_teams_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_teams_interaction_team_id_teams_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_interaction")),
    )
    with op.batch_alter_table("teams_interaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_interaction_other_team_id"), ["other_team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_teams_interaction_team_id"), ["team_id"], unique=False)

    op.create_table(
        "teams_survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["accounts_user.id"],
            name=op.f("fk_teams_survey_response_respondent_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_teams_survey_response_team_id_teams_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_survey_response")),
        sa.UniqueConstraint(
            "team_id", "respondent_id", "period", name=op.f("uq_teams_survey_response_team_id_respondent_id_period")
        ),
    )
    with op.batch_alter_table("teams_survey_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_survey_response_respondent_id"), ["respondent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_teams_survey_response_team_id"), ["team_id"], unique=False)

    op.create_table(
        "catalog_dependency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("depends_on_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("service_id <> depends_on_id", name=op.f("ck_catalog_dependency_not_self")),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["catalog_service.id"],
            name=op.f("fk_catalog_dependency_depends_on_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_catalog_dependency_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_dependency")),
        sa.UniqueConstraint("service_id", "depends_on_id", name=op.f("uq_catalog_dependency_service_id_depends_on_id")),
    )
    with op.batch_alter_table("catalog_dependency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_dependency_depends_on_id"), ["depends_on_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_dependency_service_id"), ["service_id"], unique=False)

    with op.batch_alter_table("catalog_service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_stream_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_catalog_service_value_stream_id"), ["value_stream_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_catalog_service_value_stream_id_catalog_value_stream"),
            "catalog_value_stream",
            ["value_stream_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("teams_team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("teams_team", schema=None) as batch_op:
        batch_op.drop_column("profile")

    with op.batch_alter_table("catalog_service", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_catalog_service_value_stream_id_catalog_value_stream"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_catalog_service_value_stream_id"))
        batch_op.drop_column("value_stream_id")

    with op.batch_alter_table("catalog_dependency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_dependency_service_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_dependency_depends_on_id"))

    op.drop_table("catalog_dependency")
    with op.batch_alter_table("teams_survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_survey_response_team_id"))
        batch_op.drop_index(batch_op.f("ix_teams_survey_response_respondent_id"))

    op.drop_table("teams_survey_response")
    with op.batch_alter_table("teams_interaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_interaction_team_id"))
        batch_op.drop_index(batch_op.f("ix_teams_interaction_other_team_id"))

    op.drop_table("teams_interaction")
    with op.batch_alter_table("teams_domain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_domain_team_id"))

    op.drop_table("teams_domain")
    op.drop_table("catalog_value_stream")
