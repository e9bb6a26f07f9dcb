"""DORA's five figures from delivery's facts: pure functions, no store (docs/insights.md, "DORA").

D = the production deployments that succeeded in the window (rollbacks among them unless the policy leaves
rollbacks out). A deployment failed (needed intervention) when an incident names it as cause or it was rolled
back. A production deployment whose own status is failed is not in D (nothing new runs) unless it needed
intervention: then it counts in the change fail rate's numerator and denominator and in recovery time.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from digital_factory.core.errors import ValidationFailed
from digital_factory.delivery.schemas import DoraDeployment, DoraFailure, DoraLead
from digital_factory.insights import bands
from digital_factory.insights.bands import BandTable, Cadence
from digital_factory.insights.dora_schemas import (
    DoraFigures,
    DoraPolicy,
    FailRateFigure,
    FrequencyFigure,
    LeadTimeFigure,
    RecoveryFigure,
    ReworkFigure,
)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (PERCENTILE_CONT); `values` sorted ascending."""
    if not values:
        return None
    rank = (len(values) - 1) * p
    low, high = math.floor(rank), math.ceil(rank)
    return values[low] + (values[high] - values[low]) * (rank - low)


def cadence(times: Sequence[datetime], start: datetime, end: datetime) -> Cadence | None:
    """The typical rhythm: on demand when the median week has deployments on 5 days or more, weekly when the
    median week has one, else by the average count per 30 and per 182 days. Weeks are whole 7-day windows
    from `start` (a period under a week is one window)."""
    if not times:
        return None
    days = (end - start).total_seconds() / bands.DAY
    weeks = max(1, int(days // 7))
    deployments = [0] * weeks
    deploy_days: list[set[int]] = [set() for _ in range(weeks)]
    for at in times:
        offset = (at - start).total_seconds()
        index = int(offset // bands.WEEK)
        if index < weeks:
            deployments[index] += 1
            deploy_days[index].add(int(offset // bands.DAY))
    if (percentile(sorted(len(d) for d in deploy_days), 0.5) or 0) >= 5:
        return Cadence.ON_DEMAND
    if (percentile(sorted(deployments), 0.5) or 0) >= 1:
        return Cadence.WEEKLY
    per_day = len(times) / max(days, 1e-9)
    if per_day * 30 >= 1:
        return Cadence.MONTHLY
    return Cadence.SIX_MONTHLY if per_day * 182 >= 1 else Cadence.RARER


def _counted(deployments: Sequence[DoraDeployment], policy: DoraPolicy) -> list[DoraDeployment]:
    return [d for d in deployments if policy.count_rollbacks or not d.is_rollback]


def frequency(
    deployments: Sequence[DoraDeployment], start: datetime, end: datetime, table: BandTable
) -> FrequencyFigure:
    times = sorted(d.finished_at for d in deployments if d.succeeded)
    days = (end - start).total_seconds() / bands.DAY
    rhythm = cadence(times, start, end)
    return FrequencyFigure(
        value=len(times) / days if times and days > 0 else None,
        unit="deployments/day",
        sample_size=len(times),
        deployments=len(times),
        cadence=rhythm.name.lower() if rhythm is not None else None,
        band=bands.by_cadence(table.cadence, rhythm),
    )


def lead_time(leads: Sequence[DoraLead], table: BandTable) -> LeadTimeFigure:
    """Median and 85th percentile of the positive lead times (a change deployed before its commit time is
    ignored). Each lead's values may come sorted: the sort then merges runs."""
    values = sorted(itertools.chain.from_iterable(lead.seconds for lead in leads))
    total = len(values)
    positive = values[bisect.bisect_right(values, 0.0) :]
    median = percentile(positive, 0.5)
    return LeadTimeFigure(
        value=median,
        unit="seconds",
        sample_size=len(positive),
        p85=percentile(positive, 0.85),
        ignored=total - len(positive),
        band=bands.by_range(table.lead_time, median),
    )


def _inside(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def fail_rate(
    deployments: Sequence[DoraDeployment], failures: Sequence[DoraFailure], table: BandTable
) -> FailRateFigure:
    """`deployments` are the window's (already filtered by policy); failures may reach outside it."""
    failed_ids = {f.deployment_id for f in failures}
    counted = [d for d in deployments if d.succeeded or d.id in failed_ids]
    failed = sum(1 for d in counted if d.id in failed_ids)
    rate = failed / len(counted) if counted else None
    return FailRateFigure(
        value=rate,
        unit="ratio",
        sample_size=len(counted),
        failed=failed,
        band=bands.nearest(table.change_fail, rate),
    )


def recovery(failures: Sequence[DoraFailure], start: datetime, end: datetime, table: BandTable) -> RecoveryFigure:
    """Per failed deployment: its first signal's detection to the recovery of its last (open while any signal
    is); median over the failures detected in the window."""
    spans: dict[int, tuple[datetime, datetime | None, bool]] = {}
    for f in failures:
        first, last, is_open = spans.get(f.deployment_id, (f.detected_at, f.recovered_at, False))
        is_open = is_open or f.recovered_at is None
        last = max(last, f.recovered_at) if last and f.recovered_at else (last or f.recovered_at)
        spans[f.deployment_id] = (min(first, f.detected_at), last, is_open)
    durations: list[float] = []
    unrecovered = 0
    for first, last, is_open in spans.values():
        if not _inside(first, start, end):
            continue
        if is_open or last is None:
            unrecovered += 1
        else:
            durations.append(max(0.0, (last - first).total_seconds()))
    median = percentile(sorted(durations), 0.5)
    return RecoveryFigure(
        value=median,
        unit="seconds",
        sample_size=len(durations),
        unrecovered=unrecovered,
        band=bands.by_range(table.recovery, median),
    )


def rework(deployments: Sequence[DoraDeployment]) -> ReworkFigure:
    """Rework: unplanned deployments made because of a production incident — a deployment that restored one
    (named, or by a commit naming it) and every rollback (when rollbacks count)."""
    done = [d for d in deployments if d.succeeded]
    count = sum(1 for d in done if d.is_rework or d.is_rollback)
    return ReworkFigure(
        value=count / len(done) if done else None, unit="ratio", sample_size=len(done), rework=count, band=None
    )


def figures(
    deployments: Sequence[DoraDeployment],
    failures: Sequence[DoraFailure],
    leads: Sequence[DoraLead],
    *,
    unlinked: int,
    window: tuple[datetime, datetime],
    policy: DoraPolicy,
) -> DoraFigures:
    """The five figures of one scope over `window`; `deployments` and `leads` lie in it already."""
    start, end = window
    table = bands.table(policy.bands)
    counted = _counted(deployments, policy)
    kept = {d.id for d in counted}
    in_window = [f for f in failures if _inside(f.deployed_at, start, end) and f.deployment_id in kept]
    result = DoraFigures(
        deployment_frequency=frequency(counted, start, end, table),
        change_lead_time=lead_time(leads, table),
        change_fail_rate=fail_rate(counted, in_window, table),
        failed_deployment_recovery_time=recovery(failures, start, end, table),
        deployment_rework_rate=rework(counted),
        unlinked_incidents=unlinked,
    )
    levels = {
        result.deployment_frequency.band,
        result.change_lead_time.band,
        result.change_fail_rate.band,
        result.failed_deployment_recovery_time.band,
    }
    return result.model_copy(update={"level": levels.pop() if len(levels) == 1 else None})


def bucket_starts(start: datetime, end: datetime, unit: str) -> list[datetime]:
    """Bucket boundaries clipped to [start, end): days, ISO weeks (from Monday 00:00 UTC) or calendar months."""
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        first = day - timedelta(days=day.weekday())
    elif unit == "month":
        first = day.replace(day=1)
    else:
        first = day
    edges = [start]
    at = _next(first, unit)
    while at < end:
        edges.append(at)
        at = _next(at, unit)
    return [*edges, end]


def _next(at: datetime, unit: str) -> datetime:
    if unit == "month":
        return at.replace(year=at.year + at.month // 12, month=at.month % 12 + 1)
    return at + timedelta(days=7 if unit == "week" else 1)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])|W(0[1-9]|[1-4]\d|5[0-3])))?$")


def period_bounds(text: str) -> tuple[datetime, datetime]:
    """`2026`, `2026-Q4`, `2026-11` or `2026-W48` (ISO week) as [start, end) in UTC."""
    match = _PERIOD.match(text.strip().upper())
    if match is None:
        raise ValidationFailed.on(
            "period", f"{text!r} is not a year, quarter (2026-Q4), month (2026-11) or week (2026-W48)"
        )
    year, quarter, month, week = match.groups()
    if quarter:
        start = datetime(int(year), 3 * int(quarter) - 2, 1, tzinfo=UTC)
        return start, _next(_next(_next(start, "month"), "month"), "month")
    if month:
        start = datetime(int(year), int(month), 1, tzinfo=UTC)
        return start, _next(start, "month")
    if week:
        try:
            start = datetime.fromisocalendar(int(year), int(week), 1).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationFailed.on("period", f"{year} has no ISO week {int(week)}") from None
        return start, start + timedelta(days=7)
    return datetime(int(year), 1, 1, tzinfo=UTC), datetime(int(year) + 1, 1, 1, tzinfo=UTC)
