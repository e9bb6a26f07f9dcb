"""OTLP ingestion, the use-case: who may send (the service's ingestion key), how much at once (bounded
admission, a per-key rate of items), where each resource's data goes (its catalog service and
environment), and writing it through the metric store. Callers own the transaction; the acknowledgement
is its commit.

A key writes only its own service: a resource whose `service.name` is another service, or whose
`deployment.environment(.name)` is not one of the service's environments, is refused whole (counted in
the partial success), the rest of the request is kept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from digital_factory.accounts.service import SecretDigester
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionGrant
from digital_factory.core.ratelimit import RateLimiter
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.otlp_logs import decode_logs
from digital_factory.telemetry.otlp_metrics import decode_metrics
from digital_factory.telemetry.otlp_traces import decode_traces
from digital_factory.telemetry.otlp_values import Decoded, Origin
from digital_factory.telemetry.otlp_wire import Signal, WireError, decode
from digital_factory.telemetry.points import Batch, Written

Writer = Callable[[UnitOfWork, Sequence[Batch]], Written]


@dataclass(frozen=True)
class OtlpLimits:
    max_bytes: int = 16 * 1024 * 1024  # a request as sent and after decompression
    max_concurrent: int = 4  # requests processed at once; more get 503
    rate: float = 200_000.0  # items (data points, spans, log records) per second per key; 0: no limit
    burst: int = 1_000_000


WRITER_WAIT = 10.0  # seconds a request waits for its turn to write (SQLite's busy timeout)


class OtlpReceiver:
    """What OTLP requests share in one process: the limits, the admission count, the per-key rate, the
    metric store's writer and, on a one-writer store, the turn to write."""

    def __init__(self, limits: OtlpLimits, writer: Writer = write_batches, *, one_writer: bool = False) -> None:
        self.limits = limits
        self.writer = writer
        self.limiter = RateLimiter(limits.rate, limits.burst)
        self._in_flight = 0
        self._lock = threading.Lock()
        self._turn = threading.Lock() if one_writer else None

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """A place among the requests in flight, or 503 (retry after a second) when all are taken."""
        with self._lock:
            if self._in_flight >= self.limits.max_concurrent:
                raise WireError(503, "the telemetry receiver is busy; retry shortly", retry_after=1)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The turn to open a write transaction. On a one-writer store (SQLite) the process's OTLP writers queue
        here and the next starts as soon as the last commits; SQLite's own busy handler would poll with
        sleeps growing to 100 ms. 503 (retry after a second) when the turn does not come in time."""
        if self._turn is None:
            yield
            return
        if not self._turn.acquire(timeout=WRITER_WAIT):
            raise WireError(503, "the metric store is busy; retry shortly", retry_after=1)
        try:
            yield
        finally:
            self._turn.release()

    def throttle(self, grant: IngestionGrant, items: int) -> None:
        """Take `items` from the key's rate, or 429 saying when to retry."""
        wait = self.limiter.take(grant.public_id, items)
        if wait:
            raise WireError(429, f"this ingestion key is over its rate; retry in {wait} s", retry_after=wait)


@dataclass(frozen=True)
class Outcome:
    accepted: int  # items newly stored (points and log lines)
    duplicates: int  # already stored: a re-sent request
    rejected: int  # data points, spans or log records refused
    message: str  # why, for the partial success ("" when nothing was refused)


def decode_request(signal: Signal, media: str, body: bytes) -> Decoded:
    """The request's items by resource, with those refused while decoding (400 when it cannot be read)."""
    request = decode(signal, media, body)
    if isinstance(request, ExportMetricsServiceRequest):
        return decode_metrics(request)
    if isinstance(request, ExportTraceServiceRequest):
        return decode_traces(request)
    assert isinstance(request, ExportLogsServiceRequest)
    return decode_logs(request)


def authenticate(uow: UnitOfWork, digester: SecretDigester, presented: str) -> IngestionGrant:
    """The ingestion key's service and id, or Unauthenticated (malformed, unknown or revoked)."""
    return catalog.resolve_ingestion_grant(uow, digester, presented)


def ingest(uow: UnitOfWork, receiver: OtlpReceiver, grant: IngestionGrant, decoded: Decoded) -> Outcome:
    """Write what the key may write, count what it brought on the key, and say what was refused."""
    environments: list[str] | None = None  # read when a resource names one (most send none)
    batches: list[Batch] = []
    for portion in decoded.portions:
        if portion.origin.environment is not None and environments is None:
            environments = [environment.name for environment in catalog.list_environments(uow, grant.service)]
        refusal = _refusal(portion.origin, grant.service, environments or [])
        if refusal:
            decoded.refuse_portion(portion, refusal)
        elif portion.points or portion.logs:
            batches.append(Batch(grant.service, portion.origin.environment, tuple(portion.points), tuple(portion.logs)))
    written = receiver.writer(uow, batches) if batches else Written(accepted=0, duplicates=0)
    tally = decoded.tally
    catalog.record_ingestion_use(uow, grant.public_id, written.accepted, tally.rejected, uow.clock.now())
    return Outcome(written.accepted, written.duplicates, tally.rejected, tally.message)


def _refusal(origin: Origin, service: str, environments: list[str]) -> str | None:
    if origin.service != service:
        named = f"service.name {origin.service[:100]!r}" if origin.service else "a resource without service.name"
        return f"{named} is not this key's service {service!r}"
    if origin.environment is not None and origin.environment not in environments:
        known = ", ".join(environments) or "none"
        shown = origin.environment[:100]
        return f"deployment.environment {shown!r} is not an environment of {service} (known: {known})"
    return None
