"""How teams work together (collaboration, x-as-a-service, facilitating) and for how long. Callers own the
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models, queries, topology
from digital_factory.teams.schemas import (
    DurationUnit,
    Interaction,
    InteractionCreate,
    InteractionMode,
    InteractionUpdate,
)


def create_interaction(uow: UnitOfWork, data: InteractionCreate) -> Interaction:
    """Records how two teams work together. Refused: a team with itself, an end before the start, and a
    second interaction of the same mode and direction between the same teams over an overlapping period."""
    team, other = access.team_row(uow, data.team), access.team_row(uow, data.with_team)
    access.require_either_maintainer(uow, team, other)
    for side in (team, other):
        access.require_active(side, "recording interactions with it")
    row = store_interaction(uow, team, other, data)
    out = interactions_out(uow, [row])[0]
    record_audit(uow, "interaction.create", "interaction", row.id, after=_interaction_view(out))
    return out


def store_interaction(
    uow: UnitOfWork, team: models.Team, other: models.Team, data: InteractionCreate
) -> models.Interaction:
    """Checks and stores one interaction (starting today unless told); no permission check, no audit."""
    starts_on = data.starts_on or uow.clock.now().date()
    check_interaction(uow, team, other, mode=data.mode, starts_on=starts_on, ends_on=data.ends_on)
    row = models.Interaction(
        team_id=team.id,
        other_team_id=other.id,
        mode=str(data.mode),
        purpose=data.purpose,
        starts_on=starts_on,
        ends_on=data.ends_on,
        expected_duration=data.expected_duration,
        expected_duration_unit=str(data.expected_duration_unit) if data.expected_duration_unit else None,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def check_interaction(
    uow: UnitOfWork,
    team: models.Team,
    other: models.Team,
    *,
    mode: InteractionMode,
    starts_on: date,
    ends_on: date | None,
    ignore_id: int | None = None,
) -> None:
    if team.id == other.id:
        raise ValidationFailed.on("with_team", "a team does not interact with itself")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed.on("ends_on", f"ends before it starts ({starts_on.isoformat()})")
    pairs = [(team.id, other.id)]
    if mode is InteractionMode.COLLABORATION:
        pairs.append((other.id, team.id))
    query = select(models.Interaction).where(
        models.Interaction.mode == str(mode),
        or_(*[(models.Interaction.team_id == a) & (models.Interaction.other_team_id == b) for a, b in pairs]),
    )
    for existing in uow.session.scalars(query):
        if existing.id != ignore_id and _overlap(existing.starts_on, existing.ends_on, starts_on, ends_on):
            raise Conflict(
                f"{team.key} and {other.key} already have a {mode.value} interaction from "
                f"{existing.starts_on.isoformat()} to {existing.ends_on.isoformat() if existing.ends_on else 'open'}"
                "; end it first or change that one",
                rule="one-interaction-per-mode",
            )


def _overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def update_interaction(uow: UnitOfWork, interaction_id: int, data: InteractionUpdate) -> Interaction:
    row = _interaction_row(uow, interaction_id)
    team, other = access.team_by_id(uow, row.team_id), access.team_by_id(uow, row.other_team_id)
    access.require_either_maintainer(uow, team, other)
    before = _interaction_view(interactions_out(uow, [row])[0])
    if data.reopen and data.ends_on is not None:
        raise ValidationFailed.on("reopen", "send either ends_on or reopen")
    if (data.expected_duration is None) != (data.expected_duration_unit is None):
        raise ValidationFailed.on("expected_duration", "expected_duration and expected_duration_unit go together")
    ends_on = None if data.reopen else (data.ends_on if data.ends_on is not None else row.ends_on)
    check_interaction(
        uow, team, other, mode=InteractionMode(row.mode), starts_on=row.starts_on, ends_on=ends_on, ignore_id=row.id
    )
    row.ends_on = ends_on
    if data.purpose is not None:
        row.purpose = data.purpose
    if data.expected_duration is not None and data.expected_duration_unit is not None:
        row.expected_duration = data.expected_duration
        row.expected_duration_unit = str(data.expected_duration_unit)
    uow.session.flush()
    out = interactions_out(uow, [row])[0]
    record_audit(uow, "interaction.update", "interaction", row.id, before=before, after=_interaction_view(out))
    return out


def end_interaction(uow: UnitOfWork, interaction_id: int, on: date | None = None) -> Interaction:
    """Ends an interaction (today unless told), e.g. when a collaboration becomes x-as-a-service."""
    day = on or uow.clock.now().date()
    row = _interaction_row(uow, interaction_id)
    return update_interaction(uow, interaction_id, InteractionUpdate(ends_on=max(day, row.starts_on)))


def delete_interaction(uow: UnitOfWork, interaction_id: int) -> None:
    """Removes an interaction recorded by mistake (ending one keeps the history: prefer that)."""
    row = _interaction_row(uow, interaction_id)
    access.require_either_maintainer(
        uow, access.team_by_id(uow, row.team_id), access.team_by_id(uow, row.other_team_id)
    )
    before = _interaction_view(interactions_out(uow, [row])[0])
    uow.session.delete(row)
    uow.session.flush()
    record_audit(uow, "interaction.delete", "interaction", interaction_id, before=before)


def get_interaction(uow: UnitOfWork, interaction_id: int) -> Interaction:
    require(uow.actor, Permission.READ)
    return interactions_out(uow, [_interaction_row(uow, interaction_id)])[0]


def list_interactions(uow: UnitOfWork, *, team: str | None = None, current: bool = False) -> list[Interaction]:
    require(uow.actor, Permission.READ)
    rows = queries.interactions(uow.session, access.team_row(uow, team).id if team else None)
    found = interactions_out(uow, rows)
    return [i for i in found if i.current] if current else found


def _interaction_row(uow: UnitOfWork, interaction_id: int) -> models.Interaction:
    row = uow.session.get(models.Interaction, interaction_id)
    if row is None:
        raise NotFound(f"no interaction with id {interaction_id}")
    return row


def interactions_out(uow: UnitOfWork, rows: Sequence[models.Interaction]) -> list[Interaction]:
    """Interactions with both teams named and whether they go on today: one query for the teams."""
    teams = queries.teams_by_id(uow.session, [r.team_id for r in rows] + [r.other_team_id for r in rows])
    today = uow.clock.now().date()
    out = []
    for row in rows:
        unit = DurationUnit(row.expected_duration_unit) if row.expected_duration_unit else None
        out.append(
            Interaction(
                id=row.id,
                team=teams[row.team_id].key,
                team_name=teams[row.team_id].name,
                with_team=teams[row.other_team_id].key,
                with_team_name=teams[row.other_team_id].name,
                mode=InteractionMode(row.mode),
                purpose=row.purpose,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                expected_duration=row.expected_duration,
                expected_duration_unit=unit,
                expected_end=topology.expected_end(row.starts_on, row.expected_duration, unit),
                current=topology.is_current(row.starts_on, row.ends_on, today),
                created_at=row.created_at,
            )
        )
    return out


def _interaction_view(i: Interaction) -> dict[str, Any]:
    return i.model_dump(
        mode="json",
        include={"team", "with_team", "mode", "purpose", "starts_on", "ends_on", "expected_duration"},
    )
