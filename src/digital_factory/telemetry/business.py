"""Business events as metric points: what each kind needs, and how it maps (docs/telemetry.md, "Business data").

Pure: no store. `check_event` says what is wrong with an event (field, reason); `event_points` turns a valid
one into the points the metric store keeps. An event's time is its `at` plus a stable sub-second offset taken
from its identity (the sender's `id`, else a digest of the event), so two events at the same moment stay two
points while the same event sent again lands on the same (series, time) and is not counted twice."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime, timedelta

from digital_factory.core.errors import FieldProblem
from digital_factory.telemetry.currencies import CURRENCIES
from digital_factory.telemetry.points import Attributes, Buckets, MetricKind, Point
from digital_factory.telemetry.schemas import MAX_ATTRIBUTES, BusinessEvent, BusinessKind

UNITS_SOLD = "business.units_sold"
REVENUE = "business.revenue"
CSAT = "customer.csat.score"
NPS = "customer.nps.response"
CSAT_BOUNDS = (1.0, 2.0, 3.0, 4.0)  # buckets ≤1, (1,2], (2,3], (3,4], >4: the last two are "satisfied"
NPS_BOUNDS = (6.0, 8.0)  # detractors 0–6, passives 7–8, promoters 9–10

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,99}$")
ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
RESERVED_PREFIXES = ("business.", "customer.", "red.", "log.")
ATTRIBUTE_VALUE_LIMIT = 200
FUTURE_LIMIT = timedelta(days=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # times are stored as nanoseconds since then
NUMBER_LIMIT = 1e15  # larger amounts are mistakes, and sums of them would overflow what a figure can say
NANOS = 1_000_000_000

KIND_FIELDS = ("count", "amount", "currency", "score", "feedback", "metric", "value")
_REQUIRED: dict[BusinessKind, tuple[str, ...]] = {
    BusinessKind.UNITS_SOLD: ("count",),
    BusinessKind.REVENUE: ("amount", "currency"),
    BusinessKind.CSAT: ("score",),
    BusinessKind.NPS: ("score",),
    BusinessKind.CUSTOM: ("metric", "value"),
}
_OPTIONAL: dict[BusinessKind, tuple[str, ...]] = {
    BusinessKind.UNITS_SOLD: ("amount", "currency"),
    BusinessKind.CSAT: ("feedback",),
    BusinessKind.NPS: ("feedback",),
}
SCORE_RANGE = {BusinessKind.CSAT: (1, 5), BusinessKind.NPS: (0, 10)}


def check_event(event: BusinessEvent, now: datetime) -> list[FieldProblem]:
    """Everything wrong with `event` beyond its types (those the schema checks), as (field, reason)."""
    problems = _kind_fields(event)
    problems += _values(event)
    problems += _attributes(event.attributes)
    if event.at is not None:
        if event.at.tzinfo is None:
            problems.append(FieldProblem("at", "needs a time zone offset (RFC 3339), e.g. 2026-11-02T12:00:00Z"))
        elif event.at > now + FUTURE_LIMIT:
            problems.append(FieldProblem("at", "is more than 1 day in the future"))
        elif event.at < EARLIEST:
            problems.append(FieldProblem("at", "is before 1970-01-01"))
    return problems


def _kind_fields(event: BusinessEvent) -> list[FieldProblem]:
    kind = event.kind
    problems: list[FieldProblem] = []
    for name in KIND_FIELDS:
        given = getattr(event, name) is not None
        if not given and name in _REQUIRED[kind]:
            problems.append(FieldProblem(name, f"is required for a {kind} event"))
        elif given and name not in _REQUIRED[kind] + _OPTIONAL.get(kind, ()):
            problems.append(FieldProblem(name, f"is not a field of a {kind} event"))
    if kind is BusinessKind.UNITS_SOLD and (event.amount is None) != (event.currency is None):
        missing = "currency" if event.currency is None else "amount"
        problems.append(FieldProblem(missing, "amount and currency go together"))
    return problems


def _values(event: BusinessEvent) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for name in ("amount", "value"):
        number = getattr(event, name)
        if number is not None and not (math.isfinite(number) and abs(number) <= NUMBER_LIMIT):
            problems.append(FieldProblem(name, f"must be a finite number of at most {NUMBER_LIMIT:.0e} in size"))
    if event.currency is not None and event.currency not in CURRENCIES:
        problems.append(FieldProblem("currency", f"{event.currency!r} is not an ISO 4217 code such as EUR or USD"))
    low_high = SCORE_RANGE.get(event.kind)
    if low_high and event.score is not None and not low_high[0] <= event.score <= low_high[1]:
        problems.append(FieldProblem("score", f"must be a whole number from {low_high[0]} to {low_high[1]}"))
    if event.kind is BusinessKind.CUSTOM and event.metric is not None:
        if not METRIC_NAME.match(event.metric):
            problems.append(FieldProblem("metric", "must match ^[a-z][a-z0-9_.]{0,99}$, e.g. drone.orders"))
        elif event.metric.startswith(RESERVED_PREFIXES):
            reserved = ", ".join(RESERVED_PREFIXES)
            problems.append(FieldProblem("metric", f"must not start with {reserved} (the product's own names)"))
    return problems


def _attributes(attributes: dict[str, str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if len(attributes) > MAX_ATTRIBUTES:
        problems.append(FieldProblem("attributes", f"at most {MAX_ATTRIBUTES} pairs"))
    for key, value in attributes.items():
        if not ATTRIBUTE_KEY.match(key):
            problems.append(FieldProblem(f"attributes.{key}", "the name must match ^[a-z][a-z0-9_.]{0,63}$"))
        elif key == "currency":
            problems.append(FieldProblem("attributes.currency", "is set from the event's currency field"))
        elif len(value) > ATTRIBUTE_VALUE_LIMIT:
            problems.append(FieldProblem(f"attributes.{key}", f"at most {ATTRIBUTE_VALUE_LIMIT} characters"))
    return problems


def identity(event: BusinessEvent) -> str:
    """What makes two events the same: the sender's id, else everything the event says."""
    if event.id is not None:
        text = json.dumps(["id", event.service, event.kind, event.id])
    else:
        text = event.model_dump_json(exclude={"environment"})
    return hashlib.sha256(text.encode()).hexdigest()


def event_time_ns(at: datetime, digest: str) -> int:
    """`at` in nanoseconds plus an offset from the event's identity, inside `at`'s own precision: within
    the microsecond when `at` has one, else within the second."""
    seconds = math.floor(at.timestamp())
    offset = int(digest[:16], 16)
    if at.microsecond:
        return seconds * NANOS + at.microsecond * 1000 + offset % 1000
    return seconds * NANOS + offset % NANOS


def event_points(event: BusinessEvent, time_ns: int) -> tuple[Point, ...]:
    """The points of a valid event at `time_ns`."""
    attributes = _sorted(event.attributes)
    kind = event.kind
    if kind is BusinessKind.UNITS_SOLD:
        units = Point(UNITS_SOLD, MetricKind.COUNTER, attributes, time_ns, float(event.count or 0), unit="{unit}")
        if event.amount is None or event.currency is None:
            return (units,)
        return (units, _revenue(attributes, time_ns, event.amount, event.currency))
    if kind is BusinessKind.REVENUE:
        return (_revenue(attributes, time_ns, event.amount or 0.0, event.currency or ""),)
    if kind is BusinessKind.CUSTOM:
        return (Point(event.metric or "", MetricKind.COUNTER, attributes, time_ns, float(event.value or 0.0)),)
    metric, bounds = (CSAT, CSAT_BOUNDS) if kind is BusinessKind.CSAT else (NPS, NPS_BOUNDS)
    return (
        Point(metric, MetricKind.HISTOGRAM, attributes, time_ns, 1.0, buckets=_one(bounds, event.score or 0), unit="1"),
    )


def _revenue(attributes: Attributes, time_ns: int, amount: float, currency: str) -> Point:
    labelled = _sorted({**dict(attributes), "currency": currency})
    return Point(REVENUE, MetricKind.COUNTER, labelled, time_ns, float(amount), unit=f"{{{currency}}}")


def _one(bounds: tuple[float, ...], score: int) -> Buckets:
    """A histogram of one observation: counts[i] holds values in (bounds[i-1], bounds[i]]."""
    index = next((i for i, bound in enumerate(bounds) if score <= bound), len(bounds))
    counts = tuple(1 if i == index else 0 for i in range(len(bounds) + 1))
    return Buckets(bounds=bounds, counts=counts, sum=float(score), min=float(score), max=float(score))


def _sorted(attributes: dict[str, str]) -> Attributes:
    return tuple(sorted(attributes.items()))
