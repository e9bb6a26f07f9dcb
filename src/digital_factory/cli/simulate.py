"""`factory simulate fleet`: a drone fleet that reports to a server through the OpenTelemetry SDK over OTLP
and reads its flags over OFREP, like an outside application (see demo/fleet and docs/telemetry.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from digital_factory.cli.client import DEFAULT_URL
from digital_factory.cli.output import err_console, fail, say

if TYPE_CHECKING:
    from digital_factory.demo.fleet.run import Plan, Tally

app = typer.Typer(help="Simulations that feed a server like real applications would.", no_args_is_help=True)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


@app.command("fleet")
def fleet(
    key: Annotated[
        str, typer.Option("--key", help="The service's ingestion key (dfik_…).", envvar="FACTORY_INGESTION_KEY")
    ],
    url: Annotated[str, typer.Option("--url", help="The server's base URL.", envvar="FACTORY_URL")] = DEFAULT_URL,
    flag_key: Annotated[
        str | None,
        typer.Option("--flag-key", help="An OFREP client key of the flags' service; without it every flag is off."),
    ] = None,
    service: Annotated[str, typer.Option("--service", help="The catalog service reporting.")] = "fleet-api",
    env: Annotated[str, typer.Option("--env", help="Its environment.")] = "prod",
    drones: Annotated[int, typer.Option(min=1, max=5000, help="Drones in the fleet.")] = 20,
    duration: Annotated[str | None, typer.Option(help="Real time to run, e.g. 60s, 5m (default 60s).")] = None,
    count: Annotated[int | None, typer.Option("--count", min=1, help="Rounds to run, instead of a duration.")] = None,
    round_minutes: Annotated[float, typer.Option(min=1, max=1440, help="Simulated minutes per round.")] = 15,
    seed: Annotated[int, typer.Option(help="Same seed and flags, same fleet.")] = 1,
    speed: Annotated[
        float, typer.Option(min=0, help="Simulated minutes per real second (0: as fast as the server answers).")
    ] = 60,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for each answer.")] = 10,
) -> None:
    """Fly a drone fleet: flights, payloads, battery and motor readings, failures, fleet-API traces and logs,
    sales and satisfaction, in simulated time; feature flags (heavy-lift-mode, max-payload-kg) move them."""
    # The SDKs load here, not with every other command.
    from digital_factory.demo.fleet.flags import FlagsUnavailable, FleetFlags
    from digital_factory.demo.fleet.otel import ExportFailed, Reporter, quiet_exporter_logs
    from digital_factory.demo.fleet.run import Tally, run

    plan = _plan(duration, count, speed=speed, minutes=round_minutes, drones=drones, seed=seed)
    undo = quiet_exporter_logs()
    flags = FleetFlags(url, flag_key, timeout=timeout)
    reporter = Reporter(url, key, service, env, seed=seed, timeout=timeout)
    tally, interrupted = Tally(), False
    try:
        with _progress(plan) as show:
            run(plan, flags, reporter, show, tally=tally)
    except (ExportFailed, FlagsUnavailable) as exc:
        raise fail(f"{exc} (after {tally.rounds} rounds)") from None
    except KeyboardInterrupt:
        interrupted = True
        err_console.print("interrupted: flushing and stopping", highlight=False)
    finally:
        reporter.close()
        flags.close()
        undo()
    say(tally_line(tally, service, env))
    if interrupted:
        raise typer.Exit(130)


def _plan(duration: str | None, count: int | None, *, speed: float, minutes: float, drones: int, seed: int) -> Plan:
    from digital_factory.demo.fleet.run import Plan

    if duration is not None and count is not None:
        raise fail("give either --duration or --count, not both", 2)
    try:
        if count is not None:
            plan = Plan(drones=drones, seed=seed, rounds=count, minutes=minutes, speed=speed)
        else:
            seconds = _seconds(duration or "60s")
            plan = Plan.lasting(seconds, speed=speed, minutes=minutes, drones=drones, seed=seed)
        plan.check()
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    return plan


def _seconds(text: str) -> float:
    match = _DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"--duration: {text!r} is not a duration like 60s, 5m or 1h")
    return float(match.group(1)) * _SECONDS[match.group(2) or "s"]


def tally_line(tally: Tally, service: str, env: str) -> str:
    units = ", ".join(f"{product} {tally.units[product]}" for product in ("heavy-lift", "light-lift"))
    return (
        f"{tally.rounds} rounds sent as {service}/{env}: {tally.flights} flights, {tally.points} points, "
        f"{tally.spans} spans, {tally.logs} log records; units sold: {units}"
    )


@contextmanager
def _progress(plan: Plan) -> Iterator[Callable[[Tally], None]]:
    columns = (
        TextColumn("[bold]fleet[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("rounds", total=plan.rounds, status="starting")

        def show(tally: Tally) -> None:
            status = f"{tally.points} points sent, heavy-lift on {tally.heavy_share:.0%}, last export {tally.status}"
            progress.update(task, completed=tally.rounds, status=status)

        yield show
