"""portfolio (revision 0007, after 0006, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0007", "0006"

EPIC_INDEXES = (
    "owner_user_id",
    ("ix_portfolio_epic_state_entered", ["state", "state_entered_at"]),
    ("ix_portfolio_epic_state_wsjf", ["state", "wsjf"]),
)
SCORE_INDEXES = (
    ("ix_portfolio_score_epic", ["epic_id", "at"]),
    ("ix_portfolio_score_feature", ["feature_id", "at"]),
)
WORK_TRANSITION_INDEXES = (
    ("ix_portfolio_work_transition_feature", ["feature_id", "at"]),
    ("ix_portfolio_work_transition_story", ["story_id", "at"]),
)


def _wsjf_columns() -> list[sa.Column[int] | sa.Column[float]]:
    """The WSJF inputs and score, kept alike by epics, features and the score history."""
    return [
        ddl.integer("user_business_value", nullable=True),
        ddl.integer("time_criticality", nullable=True),
        ddl.integer("risk_reduction", nullable=True),
        ddl.integer("job_size", nullable=True),
        ddl.integer("cost_of_delay", nullable=True),
        ddl.floating("wsjf", nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "portfolio_gate_config",
        ddl.string("gate", 60),
        ddl.boolean("enabled"),
        ddl.primary_key("portfolio_gate_config", "gate"),
    )
    op.create_table(
        "portfolio_state_config",
        ddl.string("state", 20),
        ddl.integer("wip_limit", nullable=True),
        ddl.primary_key("portfolio_state_config", "state"),
    )
    # The documented default WIP limits (docs/portfolio.md); a row per state also gives moves into a
    # state a row to lock, so two concurrent moves cannot both take its last slot.
    op.bulk_insert(
        sa.table("portfolio_state_config", sa.column("state", sa.String), sa.column("wip_limit", sa.Integer)),
        [
            {"state": "funnel", "wip_limit": None},
            {"state": "reviewing", "wip_limit": 6},
            {"state": "analyzing", "wip_limit": 4},
            {"state": "ready", "wip_limit": 10},
            {"state": "implementing", "wip_limit": 5},
            {"state": "done", "wip_limit": None},
        ],
    )
    op.create_table(
        "portfolio_theme",
        ddl.integer("id"),
        ddl.string("key", 20),
        ddl.string("objective", 300),
        ddl.text("description"),
        ddl.date("valid_from", nullable=True),
        ddl.date("valid_to", nullable=True),
        ddl.boolean("archived"),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.primary_key("portfolio_theme"),
        ddl.unique("portfolio_theme", "key"),
    )
    op.create_table(
        "portfolio_epic",
        ddl.integer("id"),
        ddl.string("key", 20),
        ddl.string("source_ref", 100, nullable=True),
        ddl.string("title", 200),
        ddl.text("description"),
        ddl.string("epic_type", 20),
        ddl.integer("owner_user_id", nullable=True),
        ddl.string("state", 20),
        ddl.string("substate", 20, nullable=True),
        ddl.string("done_reason", 30, nullable=True),
        ddl.json("hypothesis"),
        ddl.json("business_outcomes"),
        ddl.json("nfrs"),
        ddl.json("business_case", nullable=True),
        ddl.text("mvp_definition"),
        ddl.big_integer("estimated_cost", nullable=True),
        ddl.string("currency", 3),
        ddl.timestamp("state_entered_at"),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        *_wsjf_columns(),
        ddl.foreign_key("portfolio_epic", "owner_user_id", "accounts_user", ondelete="SET NULL"),
        ddl.primary_key("portfolio_epic"),
        ddl.unique("portfolio_epic", "key"),
        ddl.unique("portfolio_epic", "source_ref"),
    )
    ddl.create_indexes("portfolio_epic", *EPIC_INDEXES)

    op.create_table(
        "portfolio_key_result",
        ddl.integer("id"),
        ddl.integer("theme_id"),
        ddl.integer("position"),
        ddl.string("description", 500),
        ddl.string("metric_query", 1000, nullable=True),
        ddl.floating("baseline", nullable=True),
        ddl.floating("target"),
        ddl.string("unit", 40),
        ddl.date("due", nullable=True),
        ddl.foreign_key("portfolio_key_result", "theme_id", "portfolio_theme", ondelete="CASCADE"),
        ddl.primary_key("portfolio_key_result"),
    )
    ddl.create_indexes("portfolio_key_result", "theme_id")

    op.create_table(
        "portfolio_decision",
        ddl.integer("id"),
        ddl.integer("epic_id"),
        ddl.string("kind", 20),
        ddl.text("rationale"),
        ddl.json("evidence"),
        ddl.timestamp("at"),
        ddl.integer("actor_user_id", nullable=True),
        ddl.string("actor_name", 64),
        ddl.foreign_key("portfolio_decision", "actor_user_id", "accounts_user", ondelete="SET NULL"),
        ddl.foreign_key("portfolio_decision", "epic_id", "portfolio_epic", ondelete="CASCADE"),
        ddl.primary_key("portfolio_decision"),
    )
    ddl.create_indexes("portfolio_decision", "epic_id")

    op.create_table(
        "portfolio_epic_theme",
        ddl.integer("epic_id"),
        ddl.integer("theme_id"),
        ddl.foreign_key("portfolio_epic_theme", "epic_id", "portfolio_epic", ondelete="CASCADE"),
        ddl.foreign_key("portfolio_epic_theme", "theme_id", "portfolio_theme", ondelete="CASCADE"),
        ddl.primary_key("portfolio_epic_theme", "epic_id", "theme_id"),
    )
    ddl.create_indexes("portfolio_epic_theme", ("ix_portfolio_epic_theme_theme", ["theme_id"]))

    op.create_table(
        "portfolio_feature",
        ddl.integer("id"),
        ddl.string("key", 20),
        ddl.string("source_ref", 100, nullable=True),
        ddl.integer("epic_id"),
        ddl.string("title", 200),
        ddl.text("description"),
        ddl.text("benefit_hypothesis"),
        ddl.json("acceptance_criteria"),
        ddl.string("feature_type", 20),
        ddl.string("flow_item", 20),
        ddl.integer("team_id", nullable=True),
        ddl.string("state", 20),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.timestamp("state_changed_at"),
        *_wsjf_columns(),
        ddl.foreign_key("portfolio_feature", "epic_id", "portfolio_epic", ondelete="CASCADE"),
        ddl.foreign_key("portfolio_feature", "team_id", "teams_team", ondelete="SET NULL"),
        ddl.primary_key("portfolio_feature"),
        ddl.unique("portfolio_feature", "key"),
        ddl.unique("portfolio_feature", "source_ref"),
    )
    ddl.create_indexes("portfolio_feature", "epic_id", "team_id")

    op.create_table(
        "portfolio_indicator",
        ddl.integer("id"),
        ddl.integer("epic_id"),
        ddl.integer("position"),
        ddl.string("name", 120),
        ddl.string("metric_query", 1000),
        ddl.string("source", 20),
        ddl.floating("baseline"),
        ddl.floating("target"),
        ddl.string("direction", 10),
        ddl.date("deadline"),
        ddl.floating("weight"),
        ddl.boolean("critical"),
        ddl.foreign_key("portfolio_indicator", "epic_id", "portfolio_epic", ondelete="CASCADE"),
        ddl.primary_key("portfolio_indicator"),
    )
    ddl.create_indexes("portfolio_indicator", "epic_id")

    op.create_table(
        "portfolio_score",
        ddl.integer("id"),
        ddl.integer("epic_id", nullable=True),
        ddl.integer("feature_id", nullable=True),
        ddl.timestamp("at"),
        ddl.string("actor_name", 64),
        ddl.string("note", 500),
        *_wsjf_columns(),
        ddl.check("portfolio_score", "one_item", "(epic_id IS NULL) <> (feature_id IS NULL)"),
        ddl.foreign_key("portfolio_score", "epic_id", "portfolio_epic", ondelete="CASCADE"),
        ddl.foreign_key("portfolio_score", "feature_id", "portfolio_feature", ondelete="CASCADE"),
        ddl.primary_key("portfolio_score"),
    )
    ddl.create_indexes("portfolio_score", *SCORE_INDEXES)

    op.create_table(
        "portfolio_story",
        ddl.integer("id"),
        ddl.string("key", 20),
        ddl.integer("feature_id"),
        ddl.integer("team_id", nullable=True),
        ddl.string("title", 200),
        ddl.text("description"),
        ddl.json("acceptance_criteria"),
        ddl.string("story_type", 20),
        ddl.string("flow_item", 20),
        ddl.integer("points", nullable=True),
        ddl.string("state", 20),
        ddl.integer("rank"),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        ddl.timestamp("state_changed_at"),
        ddl.foreign_key("portfolio_story", "feature_id", "portfolio_feature", ondelete="CASCADE"),
        ddl.foreign_key("portfolio_story", "team_id", "teams_team", ondelete="SET NULL"),
        ddl.primary_key("portfolio_story"),
        ddl.unique("portfolio_story", "key"),
    )
    ddl.create_indexes("portfolio_story", "feature_id", ("ix_portfolio_story_team_rank", ["team_id", "rank"]))

    op.create_table(
        "portfolio_transition",
        ddl.integer("id"),
        ddl.integer("epic_id"),
        ddl.string("from_state", 20, nullable=True),
        ddl.string("from_substate", 20, nullable=True),
        ddl.string("to_state", 20),
        ddl.string("to_substate", 20, nullable=True),
        ddl.string("done_reason", 30, nullable=True),
        ddl.timestamp("at"),
        ddl.integer("actor_user_id", nullable=True),
        ddl.string("actor_name", 64),
        ddl.text("reason"),
        ddl.boolean("wip_override"),
        ddl.integer("decision_id", nullable=True),
        ddl.foreign_key("portfolio_transition", "actor_user_id", "accounts_user", ondelete="SET NULL"),
        ddl.foreign_key("portfolio_transition", "decision_id", "portfolio_decision", ondelete="SET NULL"),
        ddl.foreign_key("portfolio_transition", "epic_id", "portfolio_epic", ondelete="CASCADE"),
        ddl.primary_key("portfolio_transition"),
    )
    ddl.create_indexes("portfolio_transition", ("ix_portfolio_transition_epic_at", ["epic_id", "at"]))

    op.create_table(
        "portfolio_work_transition",
        ddl.integer("id"),
        ddl.integer("feature_id", nullable=True),
        ddl.integer("story_id", nullable=True),
        ddl.string("from_state", 20, nullable=True),
        ddl.string("to_state", 20),
        ddl.timestamp("at"),
        ddl.integer("actor_user_id", nullable=True),
        ddl.string("actor_name", 64),
        ddl.text("reason"),
        ddl.check("portfolio_work_transition", "one_item", "(feature_id IS NULL) <> (story_id IS NULL)"),
        ddl.foreign_key("portfolio_work_transition", "actor_user_id", "accounts_user", ondelete="SET NULL"),
        ddl.foreign_key("portfolio_work_transition", "feature_id", "portfolio_feature", ondelete="CASCADE"),
        ddl.foreign_key("portfolio_work_transition", "story_id", "portfolio_story", ondelete="CASCADE"),
        ddl.primary_key("portfolio_work_transition"),
    )
    ddl.create_indexes("portfolio_work_transition", *WORK_TRANSITION_INDEXES)


def downgrade() -> None:
    ddl.drop_table("portfolio_work_transition", *WORK_TRANSITION_INDEXES)
    ddl.drop_table("portfolio_transition", ("ix_portfolio_transition_epic_at", ["epic_id", "at"]))
    ddl.drop_table("portfolio_story", "feature_id", ("ix_portfolio_story_team_rank", ["team_id", "rank"]))
    ddl.drop_table("portfolio_score", *SCORE_INDEXES)
    ddl.drop_table("portfolio_indicator", "epic_id")
    ddl.drop_table("portfolio_feature", "epic_id", "team_id")
    ddl.drop_table("portfolio_epic_theme", ("ix_portfolio_epic_theme_theme", ["theme_id"]))
    ddl.drop_table("portfolio_decision", "epic_id")
    ddl.drop_table("portfolio_key_result", "theme_id")
    ddl.drop_table("portfolio_epic", *EPIC_INDEXES)
    ddl.drop_table("portfolio_theme")
    ddl.drop_table("portfolio_state_config")
    ddl.drop_table("portfolio_gate_config")
