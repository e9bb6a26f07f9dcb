"""`factory insights flow …`: flow metrics, the cumulative flow diagram, the value stream map and value lead
time (through the REST API). `--json` prints the API's answer as it came."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel

from digital_factory.cli.client import api
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.insights.schemas import CumulativeFlow, FlowMetrics, ValueLeadTimes, ValueStreamMap

app = typer.Typer(
    help="Flow metrics, value stream map and value lead time (through the REST API).", no_args_is_help=True
)
Team = Annotated[str | None, typer.Option(help="Team key.")]
Stream = Annotated[str | None, typer.Option("--value-stream", help="Value stream key.")]
Epic = Annotated[str | None, typer.Option(help="Epic key, e.g. EPIC-3.")]
Level = Annotated[str, typer.Option(help="Count features or stories.")]
Start = Annotated[datetime | None, typer.Option(help="Window start, UTC (default: 30 days before end).")]
End = Annotated[datetime | None, typer.Option(help="Window end, UTC (default: now).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
M = TypeVar("M", bound=BaseModel)


def days(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 86400:.1f} d"


def share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"


def _window(**params: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items() if v is not None}


def _read(shape: type[M], path: str, as_json: bool, **params: Any) -> M:
    """The API's answer at `path`; with `--json`, printed as it came and the command ends there."""
    with domain_errors(), api() as client:
        found: M = client.read(shape, path, **_window(**params))
    if as_json:
        say(found.model_dump_json(indent=2))
        raise typer.Exit()
    return found


def _windowed(shape: type[M], path: str, show: Callable[[M], None]) -> Callable[..., None]:
    """A command over a team, value stream or epic (or everything) and a window; `show` prints the answer."""

    def command(
        team: Team = None,
        value_stream: Stream = None,
        epic: Epic = None,
        level: Level = "feature",
        start: Start = None,
        end: End = None,
        as_json: AsJson = False,
    ) -> None:
        found = _read(
            shape, path, as_json, team=team, value_stream=value_stream, epic=epic, level=level, start=start, end=end
        )
        show(found)

    return command


def _show_metrics(m: FlowMetrics) -> None:
    say(f"{m.scope.level}s, {m.start:%Y-%m-%d %H:%M} to {m.end:%Y-%m-%d %H:%M} UTC")
    print_table(
        ["measure", "value"],
        [
            ["velocity", str(m.velocity)],
            ["flow time median", days(m.flow_time_median_seconds)],
            ["flow time p85", days(m.flow_time_p85_seconds)],
            ["flow time sample", str(m.flow_time_sample)],
            ["load (daily average)", "-" if m.load_average is None else f"{m.load_average:.2f}"],
            ["in progress now", str(m.wip)],
            ["WIP age median", days(m.wip_age_median_seconds)],
            ["efficiency (ratio of sums)", share(m.efficiency)],
            ["canceled", str(m.canceled)],
        ],
    )
    print_table(
        ["flow item", "completed", "share", "in progress", "share"],
        [
            [d.flow_type.value, str(d.count), share(d.share), str(w.count), share(w.share)]
            for d, w in zip(m.velocity_by_type, m.wip_by_type, strict=True)
        ],
    )


def _show_cfd(found: CumulativeFlow) -> None:
    print_table(
        ["day", *(s.value for s in found.states)],
        [[f"{d.at:%Y-%m-%d}", *(str(d.counts[s]) for s in found.states)] for d in found.days],
    )


app.command("metrics", help="The five flow measures of a team, value stream or epic (or everything) over a window.")(
    _windowed(FlowMetrics, "/insights/flow", _show_metrics)
)
app.command("cfd", help="The cumulative flow diagram as a table: per day, the items in each flow state.")(
    _windowed(CumulativeFlow, "/insights/flow/cfd", _show_cfd)
)


@app.command("vsm")
def vsm(value_stream: Stream = None, epic: Epic = None, as_json: AsJson = False) -> None:
    """The value stream map: median waiting and active time per stage, the slowest marked."""
    found = _read(ValueStreamMap, "/insights/value-stream-map", as_json, value_stream=value_stream, epic=epic)
    print_table(
        ["stage", "waiting", "active", "total", "sample", ""],
        [
            [
                s.label,
                days(s.waiting_median_seconds),
                days(s.active_median_seconds),
                days(s.total_median_seconds),
                str(s.sample),
                "slowest" if s.slowest else "",
            ]
            for s in found.stages
        ],
    )


@app.command("lead-time")
def lead_time(epic: Epic = None, value_stream: Stream = None, as_json: AsJson = False) -> None:
    """Value lead time: epic approved to customers first exposed, per feature and per epic."""
    found = _read(ValueLeadTimes, "/insights/value-lead-time", as_json, epic=epic, value_stream=value_stream)
    rows = []
    for e in found.epics:
        rows.append([e.epic, "(first · all)", days(e.to_first_seconds) + " · " + days(e.to_all_seconds), ""])
        rows.extend(
            [e.epic, f.feature, days(f.lead_time_seconds), f"{f.exposed_by or '-'} {f.via or ''}".strip()]
            for f in e.features
        )
    print_table(["epic", "feature", "value lead time", "exposed by"], rows)
