"""Portfolio events: higher domains (platform, insights) react to epics and work items changing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digital_factory.core.events import DomainEvent


@dataclass(frozen=True)
class EpicCreated(DomainEvent):
    epic_id: int
    key: str
    title: str


@dataclass(frozen=True)
class EpicMoved(DomainEvent):
    """An epic changed column on the portfolio kanban (columns are `state` or `implementing:<stage>`)."""

    epic_id: int
    key: str
    from_column: str
    to_column: str
    done_reason: str | None
    at: datetime
    wip_override: bool


@dataclass(frozen=True)
class EpicDecided(DomainEvent):
    """The board decided about an epic: go (the start of value lead time), no-go, persevere, pivot, stop."""

    epic_id: int
    key: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class FeatureCreated(DomainEvent):
    feature_id: int
    key: str
    epic_key: str
    team_key: str | None


@dataclass(frozen=True)
class FeatureAssigned(DomainEvent):
    """A feature got a team (or lost it: team_key None)."""

    feature_id: int
    key: str
    epic_key: str
    team_key: str | None


@dataclass(frozen=True)
class WorkItemStateChanged(DomainEvent):
    """A feature or story moved between flow states (new, active, waiting, done)."""

    item_type: str
    item_id: int
    key: str
    from_state: str
    to_state: str
    at: datetime
