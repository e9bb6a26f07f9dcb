"""Recording business events: all or nothing, per-object authorization, idempotent requests.

A request's events are checked together (any problem refuses the whole request, each problem named by the
event's place), the sender must own every service named (or send with that service's ingestion key), and
the points go to the metric store in the caller's transaction; feedback text goes beside them."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from digital_factory.store.bulk import insert_new
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.business import check_event, event_points, event_time_ns, identity
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, Point
from digital_factory.telemetry.schemas import BusinessEvent, BusinessWritten

Where = Callable[[int, str], str]
"""How a problem names its event: `[3].score` for a JSON array, `row 4: score` for an upload."""
MAX_PROBLEMS = 100
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_LIMIT = 200

_feedback = cast(Table, models.Feedback.__table__)
_idempotency = cast(Table, models.IdempotencyKey.__table__)


def in_array(index: int, name: str) -> str:
    return f"[{index}].{name}"


def in_rows(index: int, name: str) -> str:
    return f"row {index + 1}: {name}"


def refusal(problems: list[FieldProblem]) -> ValidationFailed:
    """The whole request refused, naming (up to MAX_PROBLEMS) problems."""
    shown = problems[:MAX_PROBLEMS]
    detail = "; ".join(f"{p.field}: {p.reason}" for p in shown)
    more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
    return ValidationFailed(f"nothing was stored: {detail}{more}", shown)


@dataclass(frozen=True)
class BusinessSender:
    """Who sends: `ingestion_service` is set when an ingestion key authenticated the request (that
    service's data only); otherwise the actor's permission and team membership decide."""

    ingestion_service: str | None = None


@dataclass(frozen=True)
class BusinessRequest:
    """One business-data request: its events, and the Idempotency-Key with the body's digest, if sent."""

    events: Sequence[BusinessEvent]
    where: Where = in_array
    idempotency_key: str | None = None
    body_digest: str = ""


@dataclass
class _Target:
    """A service named in the request: its id, environments (promotion order) and default environment."""

    id: int
    environments: list[str]

    @property
    def default(self) -> str | None:
        return self.environments[-1] if self.environments else None


@dataclass
class _Plan:
    primary: dict[tuple[str, str | None], list[Point]] = field(default_factory=lambda: defaultdict(list))
    secondary: dict[tuple[str, str | None], list[Point]] = field(default_factory=lambda: defaultdict(list))
    feedback: list[dict[str, Any]] = field(default_factory=list)
    repeated: int = 0


def record_business_events(
    uow: UnitOfWork, request: BusinessRequest, sender: BusinessSender | None = None
) -> BusinessWritten:
    """Store the request's events (all or none); the same Idempotency-Key again answers the first outcome."""
    sender = sender or BusinessSender()
    targets = _checked(uow, request)
    _authorize(uow, sorted(targets), sender)
    scope = _idempotency_scope(request, targets)
    if scope is not None:
        earlier = _replay(uow, scope, request)
        if earlier is not None:
            return earlier
    written = _store(uow, _plan(uow, request, targets))
    for key in sorted(targets):
        record_audit(
            uow, "business.record", "service", key, after={"events": sum(e.service == key for e in request.events)}
        )
    if scope is not None:
        _remember(uow, scope, request, written)
    return written


def _checked(uow: UnitOfWork, request: BusinessRequest) -> dict[str, _Target]:
    """The services the events name; ValidationFailed listing every problem (up to MAX_PROBLEMS)."""
    now = uow.clock.now()
    targets: dict[str, _Target | None] = {}
    problems: list[FieldProblem] = []
    for index, event in enumerate(request.events):
        found = [*check_event(event, now), *_placement(uow, targets, event)]
        problems.extend(FieldProblem(request.where(index, p.field), p.reason) for p in found)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise refusal(problems)
    return {key: target for key, target in targets.items() if target is not None}


def _placement(uow: UnitOfWork, targets: dict[str, _Target | None], event: BusinessEvent) -> list[FieldProblem]:
    if event.service not in targets:
        targets[event.service] = _target(uow, event.service)
    target = targets[event.service]
    if target is None:
        return [FieldProblem("service", f"no service with the key {event.service!r}")]
    if event.environment is not None and event.environment not in target.environments:
        known = ", ".join(target.environments) or "none"
        return [FieldProblem("environment", f"{event.service} has no environment {event.environment!r} ({known})")]
    return []


def _target(uow: UnitOfWork, key: str) -> _Target | None:
    try:
        ident = catalog.service_id(uow, key)
    except NotFound:
        return None
    return _Target(ident, [environment.name for environment in catalog.list_environments(uow, key)])


def _authorize(uow: UnitOfWork, services: list[str], sender: BusinessSender) -> None:
    for key in services:
        if sender.ingestion_service is None:
            what = f"the business data of {key}"
            catalog.require_service_owner(uow, key, Permission.TELEMETRY_WRITE, what=what)
        elif key != sender.ingestion_service:
            raise PermissionDenied(
                f"the ingestion key of {sender.ingestion_service} sends only its own service's data, not {key}'s"
            )


def _plan(uow: UnitOfWork, request: BusinessRequest, targets: dict[str, _Target]) -> _Plan:
    """Each event's points by (service, environment), once per identity; its feedback rows."""
    plan = _Plan()
    seen: set[str] = set()
    taken: set[tuple[str, str | None, str, tuple[tuple[str, str], ...], int]] = set()
    now = uow.clock.now()
    for event in request.events:
        digest = identity(event)
        if digest in seen:
            plan.repeated += 1
            continue
        seen.add(digest)
        target = targets[event.service]
        environment = event.environment or target.default
        time_ns = event_time_ns(event.at or now, digest)
        # Two distinct events of one series at the same nanosecond: the later one moves on a nanosecond.
        while (event.service, environment, event.kind, tuple(sorted(event.attributes.items())), time_ns) in taken:
            time_ns += 1
        taken.add((event.service, environment, event.kind, tuple(sorted(event.attributes.items())), time_ns))
        first, *rest = event_points(event, time_ns)
        plan.primary[(event.service, environment)].append(first)
        plan.secondary[(event.service, environment)].extend(rest)
        if event.feedback:
            plan.feedback.append(_feedback_row(target.id, environment, first, event, digest))
    return plan


def _feedback_row(
    service_id: int, environment: str | None, point: Point, event: BusinessEvent, digest: str
) -> dict[str, Any]:
    return {
        "service_id": service_id,
        "environment": environment or models.NO_ENVIRONMENT,
        "time_ns": point.time_ns,
        "metric": point.metric,
        "score": float(event.score or 0),
        "text": event.feedback,
        "attributes": dict(event.attributes),
        "digest": hashlib.sha256(f"{service_id}|{environment}|{digest}".encode()).hexdigest(),
    }


def _store(uow: UnitOfWork, plan: _Plan) -> BusinessWritten:
    def batches(points: dict[tuple[str, str | None], list[Point]]) -> list[Batch]:
        return [Batch(service=s, environment=e, points=tuple(p)) for (s, e), p in points.items() if p]

    written = write_batches(uow, batches(plan.primary))
    write_batches(uow, batches(plan.secondary))
    if plan.feedback:
        insert_new(uow.session.connection(), _feedback, plan.feedback)
    events = written.accepted + written.duplicates + plan.repeated
    return BusinessWritten(events=events, accepted=written.accepted, duplicates=written.duplicates + plan.repeated)


def _idempotency_scope(request: BusinessRequest, targets: dict[str, _Target]) -> int | None:
    """The service an Idempotency-Key belongs to (keys are per service), or None without a key."""
    key = request.idempotency_key
    if key is None:
        return None
    if not key or len(key) > IDEMPOTENCY_KEY_LIMIT:
        raise ValidationFailed.on(IDEMPOTENCY_HEADER, f"must be 1 to {IDEMPOTENCY_KEY_LIMIT} characters")
    if len(targets) != 1:
        raise ValidationFailed.on(IDEMPOTENCY_HEADER, "a request with a key must name exactly one service")
    return next(iter(targets.values())).id


def _replay(uow: UnitOfWork, service_id: int, request: BusinessRequest) -> BusinessWritten | None:
    found = uow.session.execute(
        select(_idempotency.c.request_digest, _idempotency.c.response).where(
            _idempotency.c.service_id == service_id, _idempotency.c.key == request.idempotency_key
        )
    ).first()
    if found is None:
        return None
    if found[0] != request.body_digest:
        raise Conflict(
            f"{IDEMPOTENCY_HEADER} {request.idempotency_key!r} was used before with a different body: "
            "send a new key for a new request",
            rule=IDEMPOTENCY_HEADER,
        )
    return BusinessWritten.model_validate(found[1])


def _remember(uow: UnitOfWork, service_id: int, request: BusinessRequest, written: BusinessWritten) -> None:
    row = {
        "service_id": service_id,
        "key": request.idempotency_key,
        "request_digest": request.body_digest,
        "response": written.model_dump(mode="json"),
        "created_at": uow.clock.now(),
    }
    insert_new(uow.session.connection(), _idempotency, [row])  # a concurrent twin stored the same outcome
