"""teams topology (domains, interactions, cognitive-load survey, Team API profile) and catalog value streams and dependencies (revision 0004, after 0003, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0004", "0003"


def upgrade() -> None:
    op.create_table(
        "catalog_value_stream",
        ddl.integer("id"),
        ddl.string("key", 64),
        ddl.string("name", 200),
        ddl.text("description"),
        ddl.timestamp("created_at"),
        ddl.primary_key("catalog_value_stream"),
        ddl.unique("catalog_value_stream", "key"),
        ddl.unique("catalog_value_stream", "name"),
    )
    op.create_table(
        "teams_domain",
        ddl.integer("id"),
        ddl.string("key", 64),
        ddl.string("name", 200),
        ddl.string("complexity", 20),
        ddl.text("description"),
        ddl.integer("team_id", nullable=True),
        ddl.timestamp("created_at"),
        ddl.foreign_key("teams_domain", "team_id", "teams_team", ondelete="SET NULL"),
        ddl.primary_key("teams_domain"),
        ddl.unique("teams_domain", "key"),
        ddl.unique("teams_domain", "name"),
    )
    ddl.create_indexes("teams_domain", "team_id")

    op.create_table(
        "teams_interaction",
        ddl.integer("id"),
        ddl.integer("team_id"),
        ddl.integer("other_team_id"),
        ddl.string("mode", 20),
        ddl.text("purpose"),
        ddl.date("starts_on"),
        ddl.date("ends_on", nullable=True),
        ddl.integer("expected_duration", nullable=True),
        ddl.string("expected_duration_unit", 10, nullable=True),
        ddl.timestamp("created_at"),
        ddl.check("teams_interaction", "ends_after_start", "ends_on IS NULL OR ends_on >= starts_on"),
        ddl.check("teams_interaction", "not_self", "team_id <> other_team_id"),
        ddl.foreign_key("teams_interaction", "other_team_id", "teams_team", ondelete="CASCADE"),
        ddl.foreign_key("teams_interaction", "team_id", "teams_team", ondelete="CASCADE"),
        ddl.primary_key("teams_interaction"),
    )
    ddl.create_indexes("teams_interaction", "other_team_id", "team_id")

    op.create_table(
        "teams_survey_response",
        ddl.integer("id"),
        ddl.integer("team_id"),
        ddl.integer("respondent_id", nullable=True),
        ddl.string("period", 7),
        ddl.date("answered_on"),
        ddl.json("answers"),
        ddl.timestamp("submitted_at"),
        ddl.foreign_key("teams_survey_response", "respondent_id", "accounts_user", ondelete="SET NULL"),
        ddl.foreign_key("teams_survey_response", "team_id", "teams_team", ondelete="CASCADE"),
        ddl.primary_key("teams_survey_response"),
        ddl.unique("teams_survey_response", "team_id", "respondent_id", "period"),
    )
    ddl.create_indexes("teams_survey_response", "respondent_id", "team_id")

    op.create_table(
        "catalog_dependency",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.integer("depends_on_id"),
        ddl.text("description"),
        ddl.timestamp("created_at"),
        ddl.check("catalog_dependency", "not_self", "service_id <> depends_on_id"),
        ddl.foreign_key("catalog_dependency", "depends_on_id", "catalog_service", ondelete="CASCADE"),
        ddl.foreign_key("catalog_dependency", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("catalog_dependency"),
        ddl.unique("catalog_dependency", "service_id", "depends_on_id"),
    )
    ddl.create_indexes("catalog_dependency", "depends_on_id", "service_id")

    with op.batch_alter_table("catalog_service", schema=None) as batch_op:
        batch_op.add_column(ddl.integer("value_stream_id", nullable=True))
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

    ddl.drop_table("catalog_dependency", "depends_on_id", "service_id")
    ddl.drop_table("teams_survey_response", "respondent_id", "team_id")
    ddl.drop_table("teams_interaction", "other_team_id", "team_id")
    ddl.drop_table("teams_domain", "team_id")
    ddl.drop_table("catalog_value_stream")
