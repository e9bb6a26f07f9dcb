"""`factory telemetry …`: indicator and range queries, a service's series and log lines (through the REST API);
`prune` works directly on the store, on the server's machine (an administrator's command)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from digital_factory.cli.client import api, segment
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.cli.store import store_runtime
from digital_factory.telemetry.schemas import Aggregation, Evaluation, LogLineOut, RangeResult, SeriesInfo

app = typer.Typer(
    help="Telemetry and business data: queries, series, logs (through the REST API).", no_args_is_help=True
)
Service = Annotated[str, typer.Argument(help="Service key, e.g. fleet-api.")]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment, e.g. prod.")]


@app.command("query")
def query(
    text: Annotated[
        str, typer.Argument(help="An indicator query, e.g. 'sum(business.units_sold{product=\"heavy-lift\"}[30d])'.")
    ],
    service: Annotated[str | None, typer.Option("--service", "-s", help="Only this service's data.")] = None,
    env: EnvOption = None,
) -> None:
    """Print the query's value now (`none` when nothing was sent)."""
    with domain_errors(), api() as client:
        result: Evaluation = client.read(Evaluation, "/telemetry/query", q=text, service=service, environment=env)
    say("none" if result.value is None else f"{result.value:g}")


@app.command("range")
def range_(
    metric: Annotated[str, typer.Argument(help="Metric name, e.g. red.requests.")],
    hours: Annotated[float, typer.Option(help="How far back to start.")] = 24,
    step: Annotated[int, typer.Option(help="Seconds per point.")] = 3600,
    aggregation: Annotated[Aggregation, typer.Option("--aggregation", "-a")] = Aggregation.SUM,
    match: Annotated[list[str] | None, typer.Option("--match", "-m", help="label=value or label!=value.")] = None,
    by: Annotated[str | None, typer.Option(help="One line per value of this label.")] = None,
) -> None:
    """A metric per step, as a table: one column per line."""
    start = datetime.now(UTC) - timedelta(hours=hours)
    with domain_errors(), api() as client:
        result: RangeResult = client.read(
            RangeResult,
            "/telemetry/range",
            metric=metric,
            start=start.isoformat(),
            step=step,
            aggregation=aggregation.value,
            match=match or None,
            by=by,
        )
    labels = [",".join(f"{k}={v}" for k, v in line.labels.items()) or metric for line in result.series]
    steps = zip(*(line.points for line in result.series), strict=True) if result.series else iter(())
    rows = [[points[0].at.strftime("%Y-%m-%d %H:%M"), *(_number(p.value) for p in points)] for points in steps]
    print_table(["at", *labels], rows)


@app.command("series")
def series(service: Service, env: EnvOption = None, prefix: str = "") -> None:
    """The series a service sent, with their last point."""
    with domain_errors(), api() as client:
        found: list[SeriesInfo] = client.read(
            list[SeriesInfo], f"/telemetry/services/{segment(service)}/series", environment=env, prefix=prefix
        )
    print_table(
        ["metric", "kind", "environment", "attributes", "last"],
        [[s.metric, s.kind, s.environment or "", attribute_text(s.attributes), s.last_at or ""] for s in found],
    )


@app.command("logs")
def logs(
    service: Service,
    env: EnvOption = None,
    severity: Annotated[str | None, typer.Option(help="At or above: DEBUG, INFO, WARN, ERROR, FATAL.")] = None,
    limit: int = 50,
) -> None:
    """A service's newest log lines."""
    with domain_errors(), api() as client:
        lines: list[LogLineOut] = client.read(
            list[LogLineOut],
            f"/telemetry/services/{segment(service)}/logs",
            environment=env,
            severity=severity,
            limit=limit,
        )
    for line in lines:
        say(f"{line.at:%Y-%m-%d %H:%M:%S} {line.severity:<5} {line.body}")


@app.command("prune")
def prune() -> None:
    """Delete telemetry older than its retention now (the server also does so every hour).

    Works directly on the store with the server's settings (FACTORY_HOME / FACTORY_DATABASE_URL and the
    FACTORY_TELEMETRY_*_DAYS periods); run it on the server's machine."""
    from digital_factory.workers.retention import prune_telemetry

    with store_runtime() as runtime:
        pruned = prune_telemetry(runtime.store, runtime.settings)
    say(f"deleted {pruned.points} points, {pruned.rollups} rollups and {pruned.logs} log lines")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def attribute_text(attributes: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(attributes.items()))
