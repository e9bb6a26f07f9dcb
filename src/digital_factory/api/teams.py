"""/teams, /domains, /interactions, /topology, the cognitive-load survey and Team API export/import."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from digital_factory.api.context import CurrentActor, Reading, Writing, in_write_unit
from digital_factory.api.paging import Paging, RowId
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import Page
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import (
    Domain,
    DomainCreate,
    DomainUpdate,
    Interaction,
    InteractionCreate,
    InteractionUpdate,
    LoadWarning,
    MemberAdd,
    MemberUpdate,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResults,
    SurveyScore,
    Team,
    TeamApiImport,
    TeamCreate,
    TeamDetail,
    TeamType,
    TeamUpdate,
    Topology,
)

router = APIRouter(tags=["teams"])
MEDIA_TYPES = {"json": "application/json", "yaml": "application/yaml"}


@router.get("/teams")
def list_teams(
    uow: Reading,
    page: Paging,
    team_type: Annotated[TeamType | None, Query()] = None,
    include_archived: Annotated[bool, Query(description="Archived teams too (hidden by default).")] = False,
) -> Page[Team]:
    return teams.list_teams(uow, page, team_type=team_type, include_archived=include_archived)


@router.post("/teams", status_code=status.HTTP_201_CREATED)
def create_team(uow: Writing, data: TeamCreate) -> Team:
    return teams.create_team(uow, data)


@router.get("/teams/{key}")
def get_team(uow: Reading, key: str) -> TeamDetail:
    """The team with its members, owned domains, interactions, load warnings and latest survey score."""
    return teams.team_detail(uow, key)


@router.patch("/teams/{key}")
def update_team(uow: Writing, key: str, data: TeamUpdate) -> Team:
    return teams.update_team(uow, key, data)


@router.post("/teams/{key}/archive")
def archive_team(uow: Writing, key: str) -> Team:
    """Hides the team from lists and pickers and refuses it new members, domains and interactions; the
    services it owns keep working. Needs `teams:write`; archiving an archived team changes nothing."""
    return teams.archive_team(uow, key)


@router.post("/teams/{key}/restore")
def restore_team(uow: Writing, key: str) -> Team:
    """Brings an archived team back. Needs `teams:write`."""
    return teams.restore_team(uow, key)


@router.get("/teams/{key}/warnings")
def team_warnings(uow: Reading, key: str) -> list[LoadWarning]:
    """Team Topologies heuristics the team's set-up goes against (domain load, size, interactions)."""
    return teams.team_warnings(uow, key)


# --- members -------------------------------------------------------------------------------------------


@router.post("/teams/{key}/members", status_code=status.HTTP_201_CREATED)
def add_member(uow: Writing, key: str, data: MemberAdd) -> Team:
    return teams.add_member(uow, key, data)


@router.patch("/teams/{key}/members/{username}")
def update_member(uow: Writing, key: str, username: str, data: MemberUpdate) -> Team:
    return teams.update_member(uow, key, username, data)


@router.delete("/teams/{key}/members/{username}")
def remove_member(uow: Writing, key: str, username: str) -> Team:
    return teams.remove_member(uow, key, username)


# --- domains -------------------------------------------------------------------------------------------


@router.get("/domains")
def list_domains(uow: Reading, team: str | None = None) -> list[Domain]:
    return teams.list_domains(uow, team=team)


@router.post("/teams/{key}/domains", status_code=status.HTTP_201_CREATED)
def add_domain(uow: Writing, key: str, data: DomainCreate) -> Domain:
    return teams.add_domain(uow, key, data)


@router.get("/domains/{key}")
def get_domain(uow: Reading, key: str) -> Domain:
    return teams.get_domain(uow, key)


@router.patch("/domains/{key}")
def update_domain(uow: Writing, key: str, data: DomainUpdate) -> Domain:
    return teams.update_domain(uow, key, data)


@router.delete("/domains/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_domain(uow: Writing, key: str) -> None:
    teams.delete_domain(uow, key)


# --- interactions ----------------------------------------------------------------------------------------


@router.get("/interactions")
def list_interactions(uow: Reading, team: str | None = None, current: bool = False) -> list[Interaction]:
    return teams.list_interactions(uow, team=team, current=current)


@router.post("/interactions", status_code=status.HTTP_201_CREATED)
def create_interaction(uow: Writing, data: InteractionCreate) -> Interaction:
    """x-as-a-service: `team` consumes what `with_team` provides; facilitating: `team` facilitates
    `with_team`; collaboration: symmetric."""
    return teams.create_interaction(uow, data)


@router.get("/interactions/{interaction_id}")
def get_interaction(uow: Reading, interaction_id: RowId) -> Interaction:
    return teams.get_interaction(uow, interaction_id)


@router.patch("/interactions/{interaction_id}")
def update_interaction(uow: Writing, interaction_id: RowId, data: InteractionUpdate) -> Interaction:
    """Change the purpose or expected duration, end it (`ends_on`) or reopen it."""
    return teams.update_interaction(uow, interaction_id, data)


@router.delete("/interactions/{interaction_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_interaction(uow: Writing, interaction_id: RowId) -> None:
    """Remove one recorded by mistake; to keep the history, end it instead."""
    teams.delete_interaction(uow, interaction_id)


@router.get("/topology")
def topology(uow: Reading) -> Topology:
    """Every team and the interactions going on today."""
    return teams.topology_view(uow)


# --- the cognitive-load survey -----------------------------------------------------------------------------


@router.get("/survey/questions")
def survey_questions(actor: CurrentActor) -> list[SurveyQuestion]:
    return teams.survey_questions()


@router.get("/teams/{key}/survey")
def survey_results(uow: Reading, key: str) -> SurveyResults:
    """The team's cognitive-load scores per month, oldest first."""
    return teams.survey_results(uow, key)


@router.post("/teams/{key}/survey", status_code=status.HTTP_201_CREATED)
def submit_survey(uow: Writing, key: str, data: SurveyAnswer) -> SurveyScore:
    """Your answers for the month; answering again in the same month replaces them."""
    return teams.submit_survey(uow, key, data)


# --- Team API ------------------------------------------------------------------------------------------------


@router.get(
    "/teams/{key}/team-api",
    responses={200: {"content": {"application/json": {}, "application/yaml": {}}}},
)
def export_team_api(uow: Reading, key: str, format: str = "json") -> Response:
    """The team as a Team API document (TeamAPI-As-Code with the product's fields), JSON or YAML."""
    text = teams.render_team_api(catalog.team_api_document(uow, key), format)
    return Response(
        text,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{key}.teamapi.{format}"'},
    )


@router.post(
    "/teams/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}, "application/yaml": {}},
        }
    },
)
async def import_team_api(request: Request, actor: CurrentActor, dry_run: bool = False) -> TeamApiImport:
    """Create or update a team from a Team API document (JSON or YAML body). The whole document is checked
    first; any problem refuses it with every problem listed (`members[2].username: no such user`) and
    nothing stored. `dry_run=true` only checks."""
    body = await request.body()
    source = _decode(body, request.headers.get("content-type", "application/json"))
    return await run_in_threadpool(
        in_write_unit, request, actor, lambda uow: teams.import_team_api(uow, source, dry_run=dry_run)
    )


def _decode(body: bytes, content_type: str) -> str | dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed.on("document", "is not UTF-8 text") from None
    if "yaml" in content_type:
        return text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed.on("document", f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return data if isinstance(data, dict) else text
