"""New epics stored in bulk: one key allocation and one INSERT per table whatever their number. For one epic
created through a door, for the epics many API requests send at once (written together) and for a file
imported; each enters the Funnel with its transition, its themes, indicators and first score."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert

from digital_factory.accounts import service as accounts
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.portfolio import models
from digital_factory.portfolio.kanban import EpicState
from digital_factory.portfolio.records import first_score, score_values
from digital_factory.portfolio.schemas import EpicCreate, IndicatorSpec
from digital_factory.portfolio.themes import theme_key
from digital_factory.store.bulk import insert_numbered
from digital_factory.store.sequences import next_keys
from digital_factory.store.uow import UnitOfWork

EPICS = cast(Table, models.Epic.__table__)


@dataclass(frozen=True)
class Entry:
    """How new epics enter the Funnel: when, the transition's reason, the note of a first score (None: the
    note sent with it)."""

    at: datetime
    reason: str
    score_note: str | None = None


@dataclass(frozen=True)
class StoredEpic:
    """A new epic as stored: its id and its columns' values."""

    id: int
    values: Mapping[str, Any]

    @property
    def key(self) -> str:
        return str(self.values["key"])


def owner_name(username: str) -> str:
    """An owner's username as stored (usernames are kept lower case)."""
    return username.strip().lower()


def owner_ids(uow: UnitOfWork, usernames: Iterable[str | None]) -> dict[str, int]:
    """The users named, by their stored name; a ValidationFailed on `owner` for one that does not exist."""
    found: dict[str, int] = {}
    for name in {owner_name(n) for n in usernames if n}:
        try:
            found[name] = accounts.get_user(uow, name).id
        except NotFound:
            raise ValidationFailed.on("owner", f"no user named {name!r}") from None
    return found


def store_epics(
    uow: UnitOfWork,
    epics: Sequence[EpicCreate],
    *,
    owners: Mapping[str, int],
    themes: Mapping[str, int],
    entry: Entry,
    refs: Sequence[str | None] | None = None,
) -> list[StoredEpic]:
    """Insert `epics` (owners and theme keys already resolved, by stored name and key) in the Funnel as
    `entry` says, with their transitions, themes, indicators and scores; what was stored, in their order."""
    keys = next_keys(uow.session, "EPIC", len(epics))
    sources = refs if refs is not None else [None] * len(epics)
    values = [
        _epic_values(data, key, ref, owners, entry.at) for data, key, ref in zip(epics, keys, sources, strict=True)
    ]
    ids = insert_numbered(uow.session, EPICS, values)
    stored = [StoredEpic(id, row) for id, row in zip(ids, values, strict=True)]
    _insert_children(uow, list(zip(epics, stored, strict=True)), themes, entry)
    return stored


def _epic_values(
    data: EpicCreate, key: str, ref: str | None, owners: Mapping[str, int], now: datetime
) -> dict[str, Any]:
    return {
        "key": key,
        "source_ref": ref,
        "title": data.title,
        "description": data.description,
        "epic_type": str(data.epic_type),
        "owner_user_id": owners[owner_name(data.owner)] if data.owner else None,
        "state": str(EpicState.FUNNEL),
        "substate": None,
        "done_reason": None,
        "hypothesis": data.hypothesis.model_dump(mode="json"),
        "business_outcomes": list(data.business_outcomes),
        "nfrs": list(data.nfrs),
        "business_case": data.business_case.model_dump(mode="json") if data.business_case else None,
        "mvp_definition": data.mvp_definition,
        "estimated_cost": data.estimated_cost,
        "currency": data.currency,
        "state_entered_at": now,
        "created_at": now,
        "updated_at": now,
        **score_values(data.score),
    }


def _insert_children(
    uow: UnitOfWork, epics: list[tuple[EpicCreate, StoredEpic]], themes: Mapping[str, int], how: Entry
) -> None:
    who = {"actor_user_id": uow.actor.user_id, "actor_name": uow.actor.name}
    transitions: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for data, epic in epics:
        transitions.append(
            {"epic_id": epic.id, "to_state": str(EpicState.FUNNEL), "at": how.at, "reason": how.reason, **who}
        )
        links.extend({"epic_id": epic.id, "theme_id": themes[k]} for k in dict.fromkeys(map(theme_key, data.themes)))
        indicators.extend(_indicator_values(epic.id, n, spec) for n, spec in enumerate(data.leading_indicators))
        if data.score is not None:
            note = how.score_note if how.score_note is not None else data.score.note
            scores.append(first_score(uow, {"epic_id": epic.id}, data.score, how.at, note=note))
    for model, rows in (
        (models.Transition, transitions),
        (models.EpicTheme, links),
        (models.Indicator, indicators),
        (models.Score, scores),
    ):
        if rows:
            uow.session.execute(insert(model), rows)


def _indicator_values(epic_id: int, position: int, spec: IndicatorSpec) -> dict[str, Any]:
    return {
        **spec.model_dump(),
        "source": str(spec.source),
        "direction": str(spec.direction),
        "epic_id": epic_id,
        "position": position,
    }
