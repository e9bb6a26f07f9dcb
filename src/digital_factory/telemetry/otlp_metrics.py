"""OTLP metrics → points: gauges, sums, histograms and exponential histograms (converted to explicit
buckets); summaries are refused. Each data point is checked on its own: invalid ones are counted and
named in the partial success, valid ones kept. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import pairwise

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    ExponentialHistogramDataPoint,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
)

from digital_factory.telemetry.otlp_values import (
    NUL,
    AttributeSets,
    Decoded,
    Portion,
    Refused,
    Tally,
    origin,
    storable_time,
)
from digital_factory.telemetry.points import Buckets, MetricKind, Point, Temporality

NO_RECORDED_VALUE = 1  # DataPointFlags: a staleness marker, not a value
TEMPORALITIES = {1: Temporality.DELTA, 2: Temporality.CUMULATIVE}
MAX_EXPONENTIAL_BUCKETS = 4096
MAX_NAME_LENGTH = 200  # the store's limits
MAX_UNIT_LENGTH = 64


def decode_metrics(request: ExportMetricsServiceRequest) -> Decoded:
    decoded = Decoded(Tally("data points"))
    for resource_metrics in request.resource_metrics:
        portion = Portion(origin(resource_metrics.resource))
        sets = AttributeSets(portion.origin.extra)
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                for outcome in _metric_points(metric, sets):
                    portion.items += 1
                    if isinstance(outcome, Point):
                        portion.points.append(outcome)
                    else:
                        decoded.refuse(portion, outcome)
        decoded.portions.append(portion)
    return decoded


def _metric_points(metric: Metric, sets: AttributeSets) -> Iterator[Point | str]:
    """Each data point of the metric as a point, or the reason it is refused."""
    data = metric.WhichOneof("data")
    if data is None:
        return
    problem = _metric_problem(metric)
    if problem:
        for _ in getattr(metric, data).data_points:
            yield problem
        return
    kind, temporality = _kind(metric)
    data_points: Sequence[NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint]
    data_points = getattr(metric, data).data_points
    for data_point in data_points:
        if data_point.flags & NO_RECORDED_VALUE:
            continue  # a staleness marker: nothing to store, nothing wrong
        try:
            if temporality is None:
                raise Refused("aggregation temporality is unspecified")
            yield _point(metric, kind, temporality, data_point, sets)
        except Refused as refused:
            yield f"{metric.name}: {refused}"


def _metric_problem(metric: Metric) -> str | None:
    """Why none of the metric's points can be kept, if so."""
    name = metric.name[:MAX_NAME_LENGTH]
    if not metric.name.strip():
        return "a metric has no name"
    if len(metric.name) > MAX_NAME_LENGTH:
        return f"{name[:60]}…: the metric name is longer than {MAX_NAME_LENGTH} characters"
    if NUL in metric.name or NUL in metric.unit:
        return f"{name!r}: the metric name or unit contains a NUL character"
    if len(metric.unit) > MAX_UNIT_LENGTH:
        return f"{name}: the unit is longer than {MAX_UNIT_LENGTH} characters"
    if metric.WhichOneof("data") == "summary":
        return f"{name}: summary metrics are not supported (send a histogram)"
    return None


def _kind(metric: Metric) -> tuple[MetricKind, Temporality | None]:
    data = metric.WhichOneof("data")
    if data == "gauge":
        return MetricKind.GAUGE, Temporality.DELTA
    if data == "sum":
        kind = MetricKind.COUNTER if metric.sum.is_monotonic else MetricKind.UPDOWN
        return kind, TEMPORALITIES.get(metric.sum.aggregation_temporality)
    source = metric.histogram if data == "histogram" else metric.exponential_histogram
    return MetricKind.HISTOGRAM, TEMPORALITIES.get(source.aggregation_temporality)


def _point(
    metric: Metric,
    kind: MetricKind,
    temporality: Temporality,
    data_point: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint,
    sets: AttributeSets,
) -> Point:
    if not data_point.time_unix_nano:
        raise Refused("time_unix_nano is missing")
    if isinstance(data_point, NumberDataPoint):
        value, buckets = _number(data_point), None
    elif isinstance(data_point, HistogramDataPoint):
        value, buckets = float(data_point.count), explicit_buckets(data_point)
    else:
        value, buckets = float(data_point.count), exponential_buckets(data_point)
    return Point(
        metric=metric.name,
        kind=kind,
        attributes=sets.of(data_point.attributes),
        time_ns=storable_time(data_point.time_unix_nano, "time_unix_nano"),
        value=value,
        temporality=temporality,
        start_ns=storable_time(data_point.start_time_unix_nano, "start_time_unix_nano") or None,
        buckets=buckets,
        unit=metric.unit,
    )


def _number(data_point: NumberDataPoint) -> float:
    which = data_point.WhichOneof("value")
    if which is None:
        raise Refused("the data point has no value")
    value = float(data_point.as_double if which == "as_double" else data_point.as_int)
    if not math.isfinite(value):
        raise Refused(f"the value is {value} (not a finite number)")
    return value


def _summary_of(data_point: HistogramDataPoint | ExponentialHistogramDataPoint) -> dict[str, float | None]:
    """The optional sum, min and max, each finite when present."""
    found: dict[str, float | None] = {}
    for name in ("sum", "min", "max"):
        value = getattr(data_point, name) if data_point.HasField(name) else None
        if value is not None and not math.isfinite(value):
            raise Refused(f"the {name} is {value} (not a finite number)")
        found[name] = value
    return found


def explicit_buckets(data_point: HistogramDataPoint) -> Buckets:
    bounds = tuple(data_point.explicit_bounds)
    counts = tuple(data_point.bucket_counts)
    if not bounds and not counts:
        counts = (data_point.count,)  # no buckets: one open bucket holds them all
    if len(counts) != len(bounds) + 1:
        raise Refused(f"{len(counts)} bucket counts for {len(bounds)} bounds (needs one more count than bounds)")
    if not all(math.isfinite(bound) for bound in bounds):
        raise Refused("a bucket bound is not a finite number")
    if any(later <= earlier for earlier, later in pairwise(bounds)):
        raise Refused("bucket bounds are not strictly increasing")
    if sum(counts) != data_point.count:
        raise Refused(f"the bucket counts add up to {sum(counts)}, not the count {data_point.count}")
    return Buckets(bounds=bounds, counts=counts, **_summary_of(data_point))


def exponential_buckets(data_point: ExponentialHistogramDataPoint) -> Buckets:
    """Explicit buckets holding the same counts: index k of the positive range holds (base**k, base**(k+1)],
    of the negative range [-base**(k+1), -base**k), with base = 2**(2**-scale); the zero bucket holds
    [-zero_threshold, zero_threshold]. Each becomes an explicit bucket ending at its upper edge."""
    positive, negative = data_point.positive, data_point.negative
    total = data_point.zero_count + sum(positive.bucket_counts) + sum(negative.bucket_counts)
    if total != data_point.count:
        raise Refused(f"the bucket counts add up to {total}, not the count {data_point.count}")
    if len(positive.bucket_counts) + len(negative.bucket_counts) > MAX_EXPONENTIAL_BUCKETS:
        raise Refused(f"more than {MAX_EXPONENTIAL_BUCKETS} exponential buckets")
    threshold = data_point.zero_threshold
    if not math.isfinite(threshold) or threshold < 0:
        raise Refused(f"the zero threshold is {threshold}")
    edges: list[tuple[float, int]] = []  # (upper edge, count) from the most negative up
    try:
        base = 2.0 ** (2.0**-data_point.scale)
        for index in reversed(range(len(negative.bucket_counts))):
            edges.append((-(base ** (negative.offset + index)), negative.bucket_counts[index]))
        edges.append((threshold, data_point.zero_count))
        for index, count in enumerate(positive.bucket_counts):
            edges.append((base ** (positive.offset + index + 1), count))
    except OverflowError:
        raise Refused("an exponential bucket lies beyond the range of a double") from None
    bounds = tuple(edge for edge, _ in edges[:-1])
    if not all(math.isfinite(bound) for bound in bounds) or any(
        later <= earlier for earlier, later in pairwise(bounds)
    ):
        raise Refused("the exponential buckets overlap (check the scale, offsets and zero threshold)")
    return Buckets(bounds=bounds, counts=tuple(count for _, count in edges), **_summary_of(data_point))
