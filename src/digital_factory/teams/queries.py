"""Bulk reads for lists and pages: a handful of queries however many teams there are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digital_factory.teams import models


def memberships(session: Session, team_ids: Iterable[int]) -> dict[int, list[models.TeamMember]]:
    ids = set(team_ids)
    found: dict[int, list[models.TeamMember]] = defaultdict(list)
    if not ids:
        return found
    rows = session.scalars(
        select(models.TeamMember).where(models.TeamMember.team_id.in_(ids)).order_by(models.TeamMember.id)
    )
    for row in rows:
        found[row.team_id].append(row)
    return found


def domains(session: Session, team_ids: Iterable[int] | None = None) -> list[models.Domain]:
    query = select(models.Domain).order_by(models.Domain.name)
    if team_ids is not None:
        query = query.where(models.Domain.team_id.in_(set(team_ids)))
    return list(session.scalars(query))


def interactions(session: Session, team_id: int | None = None) -> list[models.Interaction]:
    query = select(models.Interaction).order_by(models.Interaction.starts_on, models.Interaction.id)
    if team_id is not None:
        query = query.where(or_(models.Interaction.team_id == team_id, models.Interaction.other_team_id == team_id))
    return list(session.scalars(query))


def teams_by_id(session: Session, ids: Iterable[int]) -> dict[int, models.Team]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(models.Team).where(models.Team.id.in_(wanted)))}


def survey_responses(session: Session, team_ids: Iterable[int]) -> list[models.SurveyResponse]:
    return list(
        session.scalars(
            select(models.SurveyResponse)
            .where(models.SurveyResponse.team_id.in_(set(team_ids)))
            .order_by(models.SurveyResponse.period, models.SurveyResponse.id)
        )
    )
