"""`factory insights …`: what the loop's data says back (through the REST API) — DORA's five figures, and
flow (`factory insights flow …`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from digital_factory.cli import insights_flow
from digital_factory.cli.client import api
from digital_factory.cli.options import ApiJson
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.core.durations import elapsed
from digital_factory.insights.schemas import DoraBucket, DoraFigures, DoraReport

app = typer.Typer(help="Insights: DORA and flow metrics (through the REST API).", no_args_is_help=True)
app.add_typer(insights_flow.app, name="flow")

Key = Annotated[str | None, typer.Option(help="Key of the scope (give one, or none for every service).")]


@app.command("dora")
def dora(
    service: Key = None,
    team: Key = None,
    value_stream: Key = None,
    epic: Key = None,
    period: Annotated[
        str | None, typer.Option(help="2026, 2026-Q4, 2026-11 or 2026-W48 (default: the last 90 days).")
    ] = None,
    start: Annotated[datetime | None, typer.Option(help="Start (ISO 8601, UTC), instead of --period.")] = None,
    end: Annotated[datetime | None, typer.Option(help="End, exclusive (default: now).")] = None,
    bucket: Annotated[DoraBucket, typer.Option(help="Trend bucket.")] = DoraBucket.WEEK,
    as_json: ApiJson = False,
) -> None:
    """DORA's five figures with sample size and band, then the trend per bucket."""
    params = {
        "service": service,
        "team": team,
        "value_stream": value_stream,
        "epic": epic,
        "period": period,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "bucket": bucket.value,
    }
    with domain_errors(), api() as client:
        if as_json:
            say(json.dumps(client.get("/insights/dora", **params), indent=2))
            return
        report: DoraReport = client.read(DoraReport, "/insights/dora", **params)
    scope = report.scope.value if report.key is None else f"{report.scope.value} {report.key}"
    title = f"DORA of {scope}, {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} ({report.bands} bands)"
    print_table(["metric", "value", "sample", "band"], _rows(report.figures), title=title)
    say(f"unlinked incidents: {report.figures.unlinked_incidents}; level: {report.figures.level or 'mixed'}")
    trend = [
        [f"{p.start:%Y-%m-%d}", *(_short(row[1]) for row in _rows(p.figures)), p.figures.unlinked_incidents]
        for p in report.trend
    ]
    print_table(["from", "deploys/day", "lead time", "fail rate", "recovery", "rework", "unlinked"], trend)


def _rows(f: DoraFigures) -> list[list[str]]:
    df, lt, cfr = f.deployment_frequency, f.change_lead_time, f.change_fail_rate
    fdrt, rework = f.failed_deployment_recovery_time, f.deployment_rework_rate
    return [
        ["deployment frequency", _per_day(df.value), str(df.sample_size), df.band or ""],
        ["change lead time", _duration(lt.value), f"{lt.sample_size} (+{lt.ignored} <= 0)", lt.band or ""],
        ["change fail rate", _ratio(cfr.value), str(cfr.sample_size), cfr.band or ""],
        ["failed deployment recovery time", _duration(fdrt.value), str(fdrt.sample_size), fdrt.band or ""],
        ["deployment rework rate", _ratio(rework.value), str(rework.sample_size), ""],
    ]


def _short(text: str) -> str:
    return text or "-"


def _per_day(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}/day"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _duration(seconds: float | None) -> str:
    return elapsed(seconds, missing="")
