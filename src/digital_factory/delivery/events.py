"""Delivery events. `StepQueued` drives the executors; the rest tell higher domains (insights) what happened."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from digital_factory.core.events import DomainEvent, E


def event_of(kind: type[E], row: object, **given: object) -> E:
    """The event `kind` about a row: each field is the row's attribute of that name, unless given."""
    read = {field.name: getattr(row, field.name) for field in fields(kind) if field.name not in given}
    return kind(**read, **given)


@dataclass(frozen=True)
class StepQueued(DomainEvent):
    """A step became ready: an executor should run attempt `attempt` of it (published after commit)."""

    run_id: int
    step_id: int
    attempt: int
    timeout_seconds: int


@dataclass(frozen=True)
class StepCancelRequested(DomainEvent):
    run_id: int
    step_id: int


@dataclass(frozen=True)
class RunFinished(DomainEvent):
    run_id: int
    service_key: str
    status: str
    finished_at: datetime


@dataclass(frozen=True)
class DeploymentFinished(DomainEvent):
    deployment_id: int
    service_key: str
    environment: str
    is_production: bool
    status: str
    version: str
    commit_sha: str
    finished_at: datetime
    is_rework: bool


@dataclass(frozen=True)
class IncidentOpened(DomainEvent):
    key: str
    service_key: str
    environment: str
    detected_at: datetime
    caused_by_deployment_id: int | None


@dataclass(frozen=True)
class IncidentResolved(DomainEvent):
    key: str
    service_key: str
    environment: str
    resolved_at: datetime
    restored_by_deployment_id: int | None
