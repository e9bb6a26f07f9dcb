"""What every OTLP signal shares: attribute values as text, the resource's service and environment, and the
tally of refused items that becomes the partial success. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from digital_factory.core.schemas import LATEST_YEAR
from digital_factory.telemetry.points import Attributes, LogLine, Point

SERVICE_NAME = "service.name"
ENVIRONMENT_KEYS = ("deployment.environment.name", "deployment.environment")
MAX_ATTRIBUTES = 64  # per point, the resource's extra ones included
MAX_KEY_LENGTH = 256
MAX_VALUE_LENGTH = 4096
MAX_MESSAGES = 5  # distinct reasons quoted in a partial success
NUL = "\x00"  # no store keeps it in text
REPLACEMENT = "\ufffd"
# OTLP times are unsigned 64-bit nanoseconds; the stores keep signed ones, and the product's times end with
# its supported years: a later time would overflow the store or the arithmetic on it.
END_NS = int(datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000


class Refused(Exception):
    """An item that cannot be stored; the message says why (in the partial success)."""


def storable_time(time_ns: int, what: str) -> int:
    """`time_ns`, or Refused when it lies after the supported years."""
    if time_ns >= END_NS:
        raise Refused(f"{what} lies after the year {LATEST_YEAR}")
    return time_ns


def plain(value: AnyValue) -> Any:
    """An attribute value as plain JSON data."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [plain(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: plain(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None


def as_text(value: AnyValue) -> str:
    """An attribute value as text: strings as they are, numbers and booleans as JSON writes them, arrays
    and key-value lists as compact JSON."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind is None:
        return ""
    return json.dumps(plain(value), separators=(",", ":"), sort_keys=True, allow_nan=True)


def attributes(pairs: Iterable[KeyValue], extra: Attributes = ()) -> Attributes:
    """Sorted (key, text) pairs of the item's attributes and the resource's extra ones (the item's win), or
    Refused when over the limits."""
    merged = dict(extra)
    for pair in pairs:
        merged[pair.key] = as_text(pair.value)
    if len(merged) > MAX_ATTRIBUTES:
        raise Refused(f"more than {MAX_ATTRIBUTES} attributes")
    for key, text in merged.items():
        if NUL in key or NUL in text:
            raise Refused(f"attribute {key[:40]!r} contains a NUL character")
        if len(key) > MAX_KEY_LENGTH:
            raise Refused(f"attribute key {key[:40]!r}… is longer than {MAX_KEY_LENGTH} characters")
        if len(text) > MAX_VALUE_LENGTH:
            raise Refused(f"attribute {key[:40]!r} is longer than {MAX_VALUE_LENGTH} characters")
    return tuple(sorted(merged.items()))


class AttributeSets:
    """`attributes` of one resource's items, converted once per distinct set (most items of a request share
    a few sets); keyed by the pairs' encoded bytes, so only identical sets share a result."""

    def __init__(self, extra: Attributes = ()) -> None:
        self.extra = extra
        self._seen: dict[tuple[bytes, ...], Attributes | str] = {}

    def of(self, pairs: Sequence[KeyValue]) -> Attributes:
        key = tuple([pair.SerializeToString() for pair in pairs])
        found = self._seen.get(key)
        if found is None:
            try:
                found = attributes(pairs, self.extra)
            except Refused as refused:
                found = str(refused)
            self._seen[key] = found
        if isinstance(found, str):
            raise Refused(found)
        return found


@dataclass(frozen=True)
class Origin:
    """Who a resource says it is: its `service.name`, its environment and its other attributes."""

    service: str | None
    environment: str | None
    extra: Attributes


def origin(resource: Resource) -> Origin:
    service: str | None = None
    named: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for pair in resource.attributes:
        if pair.key == SERVICE_NAME:
            service = as_text(pair.value)
        elif pair.key in ENVIRONMENT_KEYS:
            named[pair.key] = as_text(pair.value)
        else:
            extra.append((pair.key, as_text(pair.value)))
    environment = next((named[key] for key in ENVIRONMENT_KEYS if named.get(key)), None)
    return Origin(service, environment, tuple(sorted(dict(extra).items())))


@dataclass
class Tally:
    """Refused items and the first few distinct reasons."""

    noun: str  # "data points", "spans", "log records"
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def refuse(self, reason: str, count: int = 1) -> None:
        if count <= 0:
            return
        self.rejected += count
        if reason not in self.reasons and len(self.reasons) < MAX_MESSAGES:
            self.reasons.append(reason)

    @property
    def message(self) -> str:
        if not self.rejected:
            return ""
        return f"{self.rejected} {self.noun} rejected: " + "; ".join(self.reasons)


@dataclass
class Portion:
    """One resource's decoded share of a request: who sent it, what is kept, how many items it held."""

    origin: Origin
    items: int = 0  # data points, spans or log records in the request, refused ones included
    refused: int = 0  # of which refused while decoding
    points: list[Point] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)


@dataclass
class Decoded:
    """A request decoded: its portions by resource and what was refused while decoding."""

    tally: Tally
    portions: list[Portion] = field(default_factory=list)

    def refuse(self, portion: Portion, reason: str) -> None:
        portion.refused += 1
        self.tally.refuse(reason)

    def refuse_portion(self, portion: Portion, reason: str) -> None:
        """Refuse what is left of a resource's share (its sender may not write there)."""
        self.tally.refuse(reason, portion.items - portion.refused)
        portion.refused = portion.items
        portion.points, portion.logs = [], []

    @property
    def items(self) -> int:
        return sum(portion.items for portion in self.portions)
