"""portfolio (revision 0007, after 0006, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    op.create_table(
        "portfolio_gate_config",
        sa.Column("gate", sa.String(length=60), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("gate", name=op.f("pk_portfolio_gate_config")),
    )
    op.create_table(
        "portfolio_state_config",
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_portfolio_state_config")),
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
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_theme")),
        sa.UniqueConstraint("key", name=op.f("uq_portfolio_theme_key")),
    )
    op.create_table(
        "portfolio_epic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("epic_type", sa.String(length=20), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("substate", sa.String(length=20), nullable=True),
        sa.Column("done_reason", sa.String(length=30), nullable=True),
        sa.Column("hypothesis", sa.JSON(), nullable=False),
        sa.Column("business_outcomes", sa.JSON(), nullable=False),
        sa.Column("nfrs", sa.JSON(), nullable=False),
        sa.Column("business_case", sa.JSON(), nullable=True),
        sa.Column("mvp_definition", sa.Text(), nullable=False),
        sa.Column("estimated_cost", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_business_value", sa.Integer(), nullable=True),
        sa.Column("time_criticality", sa.Integer(), nullable=True),
        sa.Column("risk_reduction", sa.Integer(), nullable=True),
        sa.Column("job_size", sa.Integer(), nullable=True),
        sa.Column("cost_of_delay", sa.Integer(), nullable=True),
        sa.Column("wsjf", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["accounts_user.id"],
            name=op.f("fk_portfolio_epic_owner_user_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_epic")),
        sa.UniqueConstraint("key", name=op.f("uq_portfolio_epic_key")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_portfolio_epic_source_ref")),
    )
    with op.batch_alter_table("portfolio_epic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_epic_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_index("ix_portfolio_epic_state_entered", ["state", "state_entered_at"], unique=False)
        batch_op.create_index("ix_portfolio_epic_state_wsjf", ["state", "wsjf"], unique=False)

    op.create_table(
        "portfolio_key_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("metric_query", sa.String(length=1000), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["portfolio_theme.id"],
            name=op.f("fk_portfolio_key_result_theme_id_portfolio_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_key_result")),
    )
    with op.batch_alter_table("portfolio_key_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_key_result_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "portfolio_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["accounts_user.id"],
            name=op.f("fk_portfolio_decision_actor_user_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["epic_id"],
            ["portfolio_epic.id"],
            name=op.f("fk_portfolio_decision_epic_id_portfolio_epic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_decision")),
    )
    with op.batch_alter_table("portfolio_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_decision_epic_id"), ["epic_id"], unique=False)

    op.create_table(
        "portfolio_epic_theme",
        sa.Column("epic_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["epic_id"],
            ["portfolio_epic.id"],
            name=op.f("fk_portfolio_epic_theme_epic_id_portfolio_epic"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["portfolio_theme.id"],
            name=op.f("fk_portfolio_epic_theme_theme_id_portfolio_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("epic_id", "theme_id", name=op.f("pk_portfolio_epic_theme")),
    )
    with op.batch_alter_table("portfolio_epic_theme", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_epic_theme_theme", ["theme_id"], unique=False)

    op.create_table(
        "portfolio_feature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("epic_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("benefit_hypothesis", sa.Text(), nullable=False),
        sa.Column("acceptance_criteria", sa.JSON(), nullable=False),
        sa.Column("feature_type", sa.String(length=20), nullable=False),
        sa.Column("flow_item", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_business_value", sa.Integer(), nullable=True),
        sa.Column("time_criticality", sa.Integer(), nullable=True),
        sa.Column("risk_reduction", sa.Integer(), nullable=True),
        sa.Column("job_size", sa.Integer(), nullable=True),
        sa.Column("cost_of_delay", sa.Integer(), nullable=True),
        sa.Column("wsjf", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["epic_id"],
            ["portfolio_epic.id"],
            name=op.f("fk_portfolio_feature_epic_id_portfolio_epic"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_portfolio_feature_team_id_teams_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_feature")),
        sa.UniqueConstraint("key", name=op.f("uq_portfolio_feature_key")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_portfolio_feature_source_ref")),
    )
    with op.batch_alter_table("portfolio_feature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_feature_epic_id"), ["epic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portfolio_feature_team_id"), ["team_id"], unique=False)

    op.create_table(
        "portfolio_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epic_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("metric_query", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["epic_id"],
            ["portfolio_epic.id"],
            name=op.f("fk_portfolio_indicator_epic_id_portfolio_epic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_indicator")),
    )
    with op.batch_alter_table("portfolio_indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_indicator_epic_id"), ["epic_id"], unique=False)

    op.create_table(
        "portfolio_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epic_id", sa.Integer(), nullable=True),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("user_business_value", sa.Integer(), nullable=True),
        sa.Column("time_criticality", sa.Integer(), nullable=True),
        sa.Column("risk_reduction", sa.Integer(), nullable=True),
        sa.Column("job_size", sa.Integer(), nullable=True),
        sa.Column("cost_of_delay", sa.Integer(), nullable=True),
        sa.Column("wsjf", sa.Float(), nullable=True),
        sa.CheckConstraint("(epic_id IS NULL) <> (feature_id IS NULL)", name=op.f("ck_portfolio_score_one_item")),
        sa.ForeignKeyConstraint(
            ["epic_id"],
            ["portfolio_epic.id"],
            name=op.f("fk_portfolio_score_epic_id_portfolio_epic"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["portfolio_feature.id"],
            name=op.f("fk_portfolio_score_feature_id_portfolio_feature"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_score")),
    )
    with op.batch_alter_table("portfolio_score", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_score_epic", ["epic_id", "at"], unique=False)
        batch_op.create_index("ix_portfolio_score_feature", ["feature_id", "at"], unique=False)

    op.create_table(
        "portfolio_story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("acceptance_criteria", sa.JSON(), nullable=False),
        sa.Column("story_type", sa.String(length=20), nullable=False),
        sa.Column("flow_item", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["portfolio_feature.id"],
            name=op.f("fk_portfolio_story_feature_id_portfolio_feature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams_team.id"], name=op.f("fk_portfolio_story_team_id_teams_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_story")),
        sa.UniqueConstraint("key", name=op.f("uq_portfolio_story_key")),
    )
    with op.batch_alter_table("portfolio_story", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portfolio_story_feature_id"), ["feature_id"], unique=False)
        batch_op.create_index("ix_portfolio_story_team_rank", ["team_id", "rank"], unique=False)

    op.create_table(
        "portfolio_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epic_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("from_substate", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("to_substate", sa.String(length=20), nullable=True),
        sa.Column("done_reason", sa.String(length=30), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("wip_override", sa.Boolean(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["accounts_user.id"],
            name=op.f("fk_portfolio_transition_actor_user_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["portfolio_decision.id"],
            name=op.f("fk_portfolio_transition_decision_id_portfolio_decision"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["epic_id"],
            ["portfolio_epic.id"],
            name=op.f("fk_portfolio_transition_epic_id_portfolio_epic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_transition")),
    )
    with op.batch_alter_table("portfolio_transition", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_transition_epic_at", ["epic_id", "at"], unique=False)

    op.create_table(
        "portfolio_work_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(feature_id IS NULL) <> (story_id IS NULL)", name=op.f("ck_portfolio_work_transition_one_item")
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["accounts_user.id"],
            name=op.f("fk_portfolio_work_transition_actor_user_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["portfolio_feature.id"],
            name=op.f("fk_portfolio_work_transition_feature_id_portfolio_feature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["portfolio_story.id"],
            name=op.f("fk_portfolio_work_transition_story_id_portfolio_story"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_work_transition")),
    )
    with op.batch_alter_table("portfolio_work_transition", schema=None) as batch_op:
        batch_op.create_index("ix_portfolio_work_transition_feature", ["feature_id", "at"], unique=False)
        batch_op.create_index("ix_portfolio_work_transition_story", ["story_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portfolio_work_transition", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_work_transition_story")
        batch_op.drop_index("ix_portfolio_work_transition_feature")

    op.drop_table("portfolio_work_transition")
    with op.batch_alter_table("portfolio_transition", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_transition_epic_at")

    op.drop_table("portfolio_transition")
    with op.batch_alter_table("portfolio_story", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_story_team_rank")
        batch_op.drop_index(batch_op.f("ix_portfolio_story_feature_id"))

    op.drop_table("portfolio_story")
    with op.batch_alter_table("portfolio_score", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_score_feature")
        batch_op.drop_index("ix_portfolio_score_epic")

    op.drop_table("portfolio_score")
    with op.batch_alter_table("portfolio_indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_indicator_epic_id"))

    op.drop_table("portfolio_indicator")
    with op.batch_alter_table("portfolio_feature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_feature_team_id"))
        batch_op.drop_index(batch_op.f("ix_portfolio_feature_epic_id"))

    op.drop_table("portfolio_feature")
    with op.batch_alter_table("portfolio_epic_theme", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_epic_theme_theme")

    op.drop_table("portfolio_epic_theme")
    with op.batch_alter_table("portfolio_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_decision_epic_id"))

    op.drop_table("portfolio_decision")
    with op.batch_alter_table("portfolio_key_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_key_result_theme_id"))

    op.drop_table("portfolio_key_result")
    with op.batch_alter_table("portfolio_epic", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_epic_state_wsjf")
        batch_op.drop_index("ix_portfolio_epic_state_entered")
        batch_op.drop_index(batch_op.f("ix_portfolio_epic_owner_user_id"))

    op.drop_table("portfolio_epic")
    op.drop_table("portfolio_theme")
    op.drop_table("portfolio_state_config")
    op.drop_table("portfolio_gate_config")
