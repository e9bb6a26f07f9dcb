"""`factory business …`: record business events, upload CSV or JSON lines, a service's summary and feedback
(through the REST API)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from digital_factory.cli.client import api
from digital_factory.cli.output import domain_errors, exit_code_for, fail, print_table, say
from digital_factory.cli.telemetry import Service, attribute_text
from digital_factory.core.errors import ValidationFailed
from digital_factory.telemetry.schemas import BusinessSummary, BusinessWritten, FeedbackEntry

app = typer.Typer(help="Business data: units sold, revenue, CSAT, NPS, custom events.", no_args_is_help=True)
record_app = typer.Typer(help="Record one business event.", no_args_is_help=True)
app.add_typer(record_app, name="record")

UPLOAD_TIMEOUT = 600.0  # a 100,000-row file takes a while to store
Env = Annotated[str | None, typer.Option("--env", "-e", help="Environment (default: the service's production one).")]
At = Annotated[str | None, typer.Option(help="When it happened, RFC 3339 (2026-11-02T12:00:00Z); default now.")]
Attr = Annotated[
    list[str] | None, typer.Option("--attr", "-a", help="An attribute name=value, e.g. product=heavy-lift; repeatable.")
]
EventId = Annotated[str | None, typer.Option("--id", help="Your event id: the same id again is not counted twice.")]
Feedback = Annotated[str | None, typer.Option(help="The customer's comment.")]


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


MEDIA_TYPES = {FileFormat.CSV: "text/csv", FileFormat.JSONL: "application/x-ndjson"}


def _send(kind: str, service: str, env: str | None, at: str | None, attr: list[str] | None, **fields: Any) -> None:
    event = {"kind": kind, "service": service, **{k: v for k, v in fields.items() if v is not None}}
    if env:
        event["environment"] = env
    if at:
        event["at"] = at
    if attr:
        event["attributes"] = _attributes(attr)
    with _refusals(), api() as client:
        written: BusinessWritten = client.send(BusinessWritten, "POST", "/business/events", json=event)
    say("recorded" if written.accepted else "already recorded (not counted twice)")


def _attributes(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise fail(f"--attr {pair!r}: write name=value, e.g. product=heavy-lift", 2)
        found[name.strip()] = value.strip()
    return found


@record_app.command("units-sold")
def units_sold(
    service: Service,
    count: Annotated[int, typer.Option(help="Units sold (at least 1).")],
    amount: Annotated[float | None, typer.Option(help="What they sold for (with --currency).")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code, e.g. EUR.")] = None,
    env: Env = None,
    at: At = None,
    attr: Attr = None,
    event_id: EventId = None,
) -> None:
    """Units sold (and, with --amount and --currency, their revenue)."""
    _send("units_sold", service, env, at, attr, count=count, amount=amount, currency=currency, id=event_id)


@record_app.command("revenue")
def revenue(
    service: Service,
    amount: Annotated[float, typer.Option(help="The amount.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code, e.g. EUR.")],
    env: Env = None,
    at: At = None,
    attr: Attr = None,
    event_id: EventId = None,
) -> None:
    """Revenue in one currency."""
    _send("revenue", service, env, at, attr, amount=amount, currency=currency, id=event_id)


Score = Annotated[int, typer.Option(help="The answer: 1 to 5 for csat, 0 to 10 for nps.")]


def _survey(kind: str) -> Callable[..., None]:
    """A survey answer of `kind` (csat or nps), optionally with the customer's comment."""

    def answer(
        service: Service,
        score: Score,
        feedback: Feedback = None,
        env: Env = None,
        at: At = None,
        attr: Attr = None,
        event_id: EventId = None,
    ) -> None:
        _send(kind, service, env, at, attr, score=score, feedback=feedback, id=event_id)

    return answer


record_app.command("csat", help="A customer-satisfaction answer (1-5), optionally with the customer's comment.")(
    _survey("csat")
)
record_app.command("nps", help="A Net Promoter Score answer (0-10), optionally with the customer's comment.")(
    _survey("nps")
)


@record_app.command("custom")
def custom(
    service: Service,
    metric: Annotated[str, typer.Argument(help="Metric name, e.g. drone.orders.")],
    value: Annotated[float, typer.Option(help="The number to add.")],
    env: Env = None,
    at: At = None,
    attr: Attr = None,
    event_id: EventId = None,
) -> None:
    """A number for a metric of your own (summed like units sold)."""
    _send("custom", service, env, at, attr, metric=metric, value=value, id=event_id)


@app.command("upload")
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A .csv or .jsonl file.")],
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="csv or jsonl (default: by the file's extension).")
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Send the same key again to retry safely: the first outcome is answered.")
    ] = None,
) -> None:
    """Upload many events; a bad row refuses the whole file and every problem is listed by row."""
    chosen = file_format or _format_of(file)
    headers = {"Content-Type": MEDIA_TYPES[chosen]}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    with _refusals(), api() as client:
        written: BusinessWritten = client.send(
            BusinessWritten,
            "POST",
            "/business/events:bulk",
            content=file.read_bytes(),
            headers=headers,
            timeout=UPLOAD_TIMEOUT,
        )
    say(f"{written.events} events: {written.accepted} recorded, {written.duplicates} already recorded")


def _format_of(file: Path) -> FileFormat:
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return FileFormat.CSV
    if suffix in (".jsonl", ".ndjson"):
        return FileFormat.JSONL
    raise fail(f"{file.name}: say --format csv or --format jsonl (the extension {suffix or 'is missing'})", 2)


@contextmanager
def _refusals() -> Iterator[None]:
    """`domain_errors`, listing each problem of a refused request on its own line."""
    with domain_errors():
        try:
            yield
        except ValidationFailed as exc:
            if not exc.problems:
                raise
            for problem in exc.problems:
                say(f"{problem.field}: {problem.reason}")
            raise fail("nothing was stored", exit_code_for(exc)) from None


@app.command("summary")
def summary(service: Service, days: int = 30, env: Env = None) -> None:
    """Units sold, revenue, CSAT and NPS over the last days."""
    with domain_errors(), api() as client:
        found: BusinessSummary = client.read(
            BusinessSummary, "/business/summary", service=service, days=days, environment=env
        )
    revenue = ", ".join(f"{total.amount:,.2f} {total.currency}" for total in found.revenue) or "none"
    print_table(
        ["figure", "value"],
        [
            ["units sold", f"{found.units_sold:g}"],
            ["revenue", revenue],
            ["CSAT", _percent(found.csat_percent, f"{found.csat_responses} responses")],
            ["average CSAT", "none" if found.csat_average is None else f"{found.csat_average:.2f}"],
            ["NPS", "none" if found.nps is None else f"{found.nps:+.1f} ({found.nps_responses} responses)"],
        ],
        title=f"{service}, last {days} days",
    )


def _percent(value: float | None, note: str) -> str:
    return "none" if value is None else f"{value:.1f} % ({note})"


@app.command("feedback")
def feedback(
    service: Service,
    limit: int = 20,
    since: Annotated[str | None, typer.Option(help="RFC 3339: only feedback from then on.")] = None,
) -> None:
    """The latest customer comments, newest first."""
    with domain_errors(), api() as client:
        entries: list[FeedbackEntry] = client.read(
            list[FeedbackEntry],
            "/business/feedback",
            service=service,
            limit=limit,
            since=since,
        )
    print_table(
        ["at", "kind", "score", "feedback", "attributes"],
        [
            [f"{e.at:%Y-%m-%d %H:%M}", e.kind.value, f"{e.score:g}", e.text, attribute_text(e.attributes)]
            for e in entries
        ],
    )
