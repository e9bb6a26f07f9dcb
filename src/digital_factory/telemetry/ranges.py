"""Range queries for charts: one figure per step, one line per value of a label.

Sums, counts, averages, extremes and rates of plain series are read in one grouped query per line, from the
largest rollup the step is a whole multiple of (raw points otherwise). Quantiles, `last` and histograms
read each step as its own window. Either way a step agrees with the indicator query over the same span."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.metricquery import Matcher
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.queries import (
    PartialQuery,
    SeriesRow,
    matching_series,
    moment_of,
    nanos_of,
    partial_of,
    window_figure,
)
from digital_factory.telemetry.schemas import MAX_RANGE_STEPS, Aggregation, RangePoint, RangeResult, RangeSeries
from digital_factory.telemetry.summaries import NANOS, Partial

_points = cast(Table, models.Point.__table__)
_rollups = cast(Table, models.Rollup.__table__)
GROUPED = {"sum", "count", "avg", "min", "max", "rate"}
RESOLUTIONS = (86400, 3600, 60)


def query_range(
    uow: UnitOfWork,
    metric: str,
    *,
    start: datetime,
    end: datetime,
    step_seconds: int,
    aggregation: Aggregation = Aggregation.SUM,
    matchers: Sequence[Matcher] = (),
    by: str | None = None,
) -> RangeResult:
    """`metric` per step from `start` to `end`, one line per value of the label `by` (or one line)."""
    require(uow.actor, Permission.READ)
    _check_range(start, end, step_seconds)
    groups: dict[str, list[SeriesRow]] = defaultdict(list)
    for row in matching_series(uow, metric, matchers):
        groups[(row.label(by) or "") if by else ""].append(row)
    start_ns, step_ns = nanos_of(start), step_seconds * NANOS
    steps = Steps(start_ns, step_ns, math.ceil((nanos_of(end) - start_ns) / step_ns))
    connection = uow.session.connection()
    lines = [
        RangeSeries(labels={by: label} if by else {}, points=_line(connection, aggregation.value, rows, steps))
        for label, rows in sorted(groups.items())
    ]
    return RangeResult(
        metric=metric, aggregation=aggregation, step_seconds=step_seconds, start=start, end=end, series=lines
    )


def _check_range(start: datetime, end: datetime, step_seconds: int) -> None:
    if step_seconds < 1:
        raise ValidationFailed.on("step", "must be at least 1 second")
    if end <= start:
        raise ValidationFailed.on("end", "must be after start")
    steps = math.ceil((end - start) / timedelta(seconds=step_seconds))
    if steps > MAX_RANGE_STEPS:
        raise ValidationFailed.on("step", f"gives {steps} points; at most {MAX_RANGE_STEPS}: take a longer step")


@dataclass(frozen=True)
class Steps:
    start_ns: int
    step_ns: int
    count: int

    @property
    def lows(self) -> list[int]:
        return [self.start_ns + index * self.step_ns for index in range(self.count)]


def _line(connection: Connection, aggregation: str, rows: list[SeriesRow], steps: Steps) -> list[RangePoint]:
    if aggregation in GROUPED and not any(row.kind == "histogram" for row in rows):
        partials = _grouped(connection, [row.id for row in rows], steps)
        seconds = steps.step_ns / NANOS
        figures = [partial.figure(aggregation, seconds) for partial in partials]
    else:
        figures = [window_figure(connection, aggregation, rows, low, low + steps.step_ns) for low in steps.lows]
    return [RangePoint(at=moment_of(low), value=value) for low, value in zip(steps.lows, figures, strict=True)]


def _grouped(connection: Connection, ids: list[int], steps: Steps) -> list[Partial]:
    """Each step's partial sums in one query: rollup buckets (or raw points) grouped by step."""
    start_ns, step_ns = steps.start_ns, steps.step_ns
    resolution = next((r for r in RESOLUTIONS if step_ns % (r * NANOS) == 0 and start_ns % (r * NANOS) == 0), 0)
    end_ns = start_ns + steps.count * step_ns
    piece = PartialQuery.of(resolution, ids, start_ns, end_ns)
    step = ((piece.time - start_ns) // step_ns).label("step")
    rows = connection.execute(select(step, *piece.figures).where(*piece.where).group_by(step))
    partials = [Partial() for _ in range(steps.count)]
    for index, *figures in rows:
        partials[int(index)] = partial_of(*figures)
    return partials
