"""Portfolio use-cases, the domain's public face. Callers own the transaction.

The use-cases live in topic modules (themes, epics and WSJF, the kanban flow, product work, imports);
this module is what other layers import."""

from __future__ import annotations

from digital_factory.portfolio.epics import (
    backlog,
    create_epic,
    create_epics,
    epic_matches,
    get_epic,
    list_epics,
    rescore_epics,
    score_epic,
    score_history,
    update_epic,
)
from digital_factory.portfolio.evidence import indicator_sets
from digital_factory.portfolio.flow import (
    BOARD_CARDS_PER_COLUMN,
    MoveRefused,
    board,
    column_labels,
    decide,
    decisions_for,
    done_reasons_for,
    get_kanban_config,
    list_decisions,
    list_transitions,
    move_epic,
    move_options,
    update_kanban_config,
)
from digital_factory.portfolio.imports import import_items
from digital_factory.portfolio.models import TABLE_PREFIX, TOPIC
from digital_factory.portfolio.themes import create_theme, get_theme, list_themes, update_theme
from digital_factory.portfolio.work import (
    change_feature_state,
    change_story_state,
    create_feature,
    create_story,
    get_feature,
    get_story,
    list_features,
    list_stories,
    product_backlog,
    reorder_backlog,
    score_feature,
    team_backlog,
    update_feature,
    update_story,
    work_history,
)
from digital_factory.portfolio.work_reads import epic_histories, work_item_flows, work_item_histories

__all__ = [
    "BOARD_CARDS_PER_COLUMN",
    "TABLE_PREFIX",
    "TOPIC",
    "MoveRefused",
    "backlog",
    "board",
    "change_feature_state",
    "change_story_state",
    "column_labels",
    "create_epic",
    "create_epics",
    "create_feature",
    "create_story",
    "create_theme",
    "decide",
    "decisions_for",
    "done_reasons_for",
    "epic_histories",
    "epic_matches",
    "get_epic",
    "get_feature",
    "get_kanban_config",
    "get_story",
    "get_theme",
    "import_items",
    "indicator_sets",
    "list_decisions",
    "list_epics",
    "list_features",
    "list_stories",
    "list_themes",
    "list_transitions",
    "move_epic",
    "move_options",
    "product_backlog",
    "reorder_backlog",
    "rescore_epics",
    "score_epic",
    "score_feature",
    "score_history",
    "team_backlog",
    "update_epic",
    "update_feature",
    "update_kanban_config",
    "update_story",
    "update_theme",
    "work_history",
    "work_item_flows",
    "work_item_histories",
]
