"""Teams use-cases, the domain's public face: teams, members, owned domains, interactions, load warnings,
the cognitive-load survey and Team API files. Callers own the transaction.

Who may change what: `teams:write` may change any team. A member of a team who may change anything at
all in the product (any permission beyond `read`) maintains their own team: its mission and Team API
profile, member roles, owned domains, interactions and survey answers. Creating, archiving and restoring
teams, changing a team's type, adding or removing members and importing Team API documents need
`teams:write`.

An archived team is hidden from lists and pickers (unless asked for) and refused new members, domains and
interactions; what it owns keeps working (see `archive_team`).

The use-cases live in topic modules (the register of teams, members, domains, interactions, the overview,
surveys, Team API files); this module is what other layers import.
"""

from __future__ import annotations

from digital_factory.teams.domains import (
    add_domain,
    delete_domain,
    domain_counts,
    get_domain,
    list_domains,
    update_domain,
)
from digital_factory.teams.interactions import (
    check_interaction,
    create_interaction,
    delete_interaction,
    end_interaction,
    get_interaction,
    list_interactions,
    update_interaction,
)
from digital_factory.teams.members import add_member, member_teams, remove_member, update_member
from digital_factory.teams.overview import team_detail, team_warnings, topology_view
from digital_factory.teams.ownership import is_member, may_act, may_change, member_ids, require_owner
from digital_factory.teams.registry import (
    RESERVED_KEYS,
    archive_team,
    create_team,
    get_team,
    list_teams,
    may_maintain,
    require_maintainer,
    restore_team,
    team_id,
    team_key_of,
    team_matches,
    team_ref,
    team_refs,
    team_row,
    update_team,
)
from digital_factory.teams.surveys import latest_survey_scores, submit_survey, survey_questions, survey_results
from digital_factory.teams.team_api import export_team_api, import_team_api
from digital_factory.teams.team_api import render as render_team_api
from digital_factory.teams.team_api_document import MAX_DOCUMENT_CHARS
from digital_factory.teams.topology import add_months

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "RESERVED_KEYS",
    "add_domain",
    "add_member",
    "add_months",
    "archive_team",
    "check_interaction",
    "create_interaction",
    "create_team",
    "delete_domain",
    "delete_interaction",
    "domain_counts",
    "end_interaction",
    "export_team_api",
    "get_domain",
    "get_interaction",
    "get_team",
    "import_team_api",
    "is_member",
    "latest_survey_scores",
    "list_domains",
    "list_interactions",
    "list_teams",
    "may_act",
    "may_change",
    "may_maintain",
    "member_ids",
    "member_teams",
    "remove_member",
    "render_team_api",
    "require_maintainer",
    "require_owner",
    "restore_team",
    "submit_survey",
    "survey_questions",
    "survey_results",
    "team_detail",
    "team_id",
    "team_key_of",
    "team_matches",
    "team_ref",
    "team_refs",
    "team_row",
    "team_warnings",
    "topology_view",
    "update_domain",
    "update_interaction",
    "update_member",
    "update_team",
]
