"""What the portfolio commands share: their common arguments and options, the request body from options and a
JSON file, an edit of only what is given, sending a WSJF score and how an item's column and score read."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from digital_factory.cli.client import api
from digital_factory.cli.output import domain_errors, fail
from digital_factory.portfolio.schemas import EpicSummary, WsjfScore

FromJson = Annotated[
    Path | None,
    typer.Option("--json", help="A JSON file with the request body (the API's fields); options given on the line win."),
]
EpicKey = Annotated[str, typer.Argument(help="e.g. EPIC-1")]
FeatureKey = Annotated[str, typer.Argument(help="e.g. FEAT-1")]
NewTitle = Annotated[str | None, typer.Option(help="New title.")]
ItemType = Annotated[str | None, typer.Option("--type", help="business or enabler.")]
ScoreValues = Annotated[list[int], typer.Argument(help="UBV TC RR JOB-SIZE, each 1 2 3 5 8 13 or 20.")]
ScoreNote = Annotated[str, typer.Option(help="Why the score changed.")]
SCORE_PARTS = ("user_business_value", "time_criticality", "risk_reduction", "job_size")
T = TypeVar("T")


def body(path: Path | None, **options: Any) -> dict[str, Any]:
    """The fields of `path` (a JSON object), overridden by the options given on the command line."""
    fields: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {path}: {exc}", 2) from None
        except json.JSONDecodeError as exc:
            raise fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}", 2) from None
        if not isinstance(loaded, dict):
            raise fail(f"{path} must hold a JSON object", 2)
        fields.update(loaded)
    fields.update({k: v for k, v in options.items() if v is not None and v != []})
    return fields


def edit(shape: type[T], path: str, fields: dict[str, Any], choices: str) -> T:
    """PATCH `fields` to `path`; with no fields, refuse (exit 2) and name what `choices` may be given."""
    if not fields:
        raise fail(f"nothing to change: give {choices}", 2)
    with domain_errors():
        return api().send(shape, "PATCH", path, json=fields)


def send_score(shape: type[T], path: str, values: list[int], note: str) -> T:
    """POST a WSJF score to `path`: the four numbers (UBV, TC, RR, job size) and why it changed."""
    if len(values) != 4:
        raise fail("give four numbers: user-business value, time criticality, risk reduction, job size", 2)
    with domain_errors():
        return api().send(shape, "POST", path, json={**dict(zip(SCORE_PARTS, values, strict=True)), "note": note})


def wsjf(score: WsjfScore | None) -> str:
    return f"{score.wsjf:.2f}" if score else "-"


def column(epic: EpicSummary) -> str:
    return epic.column + (f" ({epic.done_reason})" if epic.done_reason else "")


def minute(at: datetime) -> str:
    """A timestamp to the minute, as the history lines show it."""
    return f"{at:%Y-%m-%dT%H:%M}"
