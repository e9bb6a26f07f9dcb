"""DORA performance bands as versioned reference data, one table per report year (2021, 2023, 2024), and the
pure rules that place a figure in a band. Never mix the years: a report names the table it used.

Rules: lead time, recovery time and deployment cadence by range membership, best band first (a value in a
gap the report's table leaves between two bands falls to the lower one; a band whose range repeats an earlier
one is never reached — 2024's Medium recovery "< 1 day" after High's); change fail rate by the nearest
cluster value (the reports give point estimates, not thresholds; a tie goes to the better band). Deployment
rework rate has no band in any report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from digital_factory.insights.dora_schemas import DoraBand

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
SIX_MONTHS = 182 * DAY
REPORT_YEARS = (2021, 2023, 2024)


class Cadence(IntEnum):
    """How often a service typically deploys (see `dora_figures.cadence`), rarest first."""

    RARER = 0  # less than once per six months
    SIX_MONTHLY = 1  # once per month to once per six months
    MONTHLY = 2  # once per week to once per month
    WEEKLY = 3  # once per day to once per week
    ON_DEMAND = 4  # daily or more (deployments on most days of a typical week)


@dataclass(frozen=True)
class BandTable:
    year: int
    lead_time: tuple[tuple[DoraBand, float], ...]  # (band, exclusive upper bound in seconds), best first
    recovery: tuple[tuple[DoraBand, float], ...]
    cadence: tuple[tuple[DoraBand, Cadence], ...]  # (band, the least cadence it takes), best first
    change_fail: tuple[tuple[DoraBand, float], ...]  # (band, the cluster's rate), nearest wins
    source: str


E, H, M, L = DoraBand.ELITE, DoraBand.HIGH, DoraBand.MEDIUM, DoraBand.LOW
INF = math.inf

TABLES: dict[int, BandTable] = {
    2021: BandTable(
        year=2021,
        lead_time=((E, HOUR), (H, WEEK), (M, SIX_MONTHS), (L, INF)),
        recovery=((E, HOUR), (H, DAY), (M, WEEK), (L, INF)),
        cadence=((E, Cadence.ON_DEMAND), (H, Cadence.MONTHLY), (M, Cadence.SIX_MONTHLY), (L, Cadence.RARER)),
        # 0-15 % for Elite, 16-30 % shared by High, Medium and Low: mid-points; above 15 % reads as High
        change_fail=((E, 0.075), (H, 0.23), (M, 0.23), (L, 0.23)),
        source="Accelerate State of DevOps 2021",
    ),
    2023: BandTable(
        year=2023,
        lead_time=((E, DAY), (H, WEEK), (M, MONTH), (L, INF)),
        recovery=((E, HOUR), (H, DAY), (M, WEEK), (L, INF)),
        cadence=((E, Cadence.ON_DEMAND), (H, Cadence.WEEKLY), (M, Cadence.MONTHLY), (L, Cadence.RARER)),
        change_fail=((E, 0.05), (H, 0.10), (M, 0.15), (L, 0.64)),
        source="Accelerate State of DevOps 2023",
    ),
    2024: BandTable(
        year=2024,
        lead_time=((E, DAY), (H, WEEK), (M, MONTH), (L, INF)),
        recovery=((E, HOUR), (H, DAY), (M, DAY), (L, INF)),
        cadence=((E, Cadence.ON_DEMAND), (H, Cadence.WEEKLY), (M, Cadence.MONTHLY), (L, Cadence.RARER)),
        # the 2024 clusters: Medium's rate is below High's
        change_fail=((E, 0.05), (H, 0.20), (M, 0.10), (L, 0.40)),
        source="Accelerate State of DevOps 2024",
    ),
}


def table(year: int) -> BandTable:
    return TABLES[year]


def by_range(ranges: tuple[tuple[DoraBand, float], ...], seconds: float | None) -> DoraBand | None:
    """The first band whose exclusive upper bound lies above the value."""
    if seconds is None:
        return None
    return next(band for band, upper in ranges if seconds < upper)


def by_cadence(levels: tuple[tuple[DoraBand, Cadence], ...], cadence: Cadence | None) -> DoraBand | None:
    if cadence is None:
        return None
    return next(band for band, least in levels if cadence >= least)


def nearest(centroids: tuple[tuple[DoraBand, float], ...], rate: float | None) -> DoraBand | None:
    """The band whose cluster rate is closest (ties: the one listed first, the better band)."""
    if rate is None:
        return None
    return min(centroids, key=lambda pair: abs(pair[1] - rate))[0]


def modal(bands: list[DoraBand | None]) -> DoraBand | None:
    """The most common of the per-metric levels (a tie goes to the lower band: never flatter); None without
    any."""
    known = [b for b in bands if b is not None]
    if not known:
        return None
    order = list(DoraBand)
    return max(known, key=lambda b: (known.count(b), order.index(b)))
