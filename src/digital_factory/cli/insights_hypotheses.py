"""`factory hypothesis …`: an epic's hypothesis evaluated now, a theme's key results, the WSJF re-score
suggestions, and the board's decision recorded with the evaluation (all through the REST API)."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel

from digital_factory.cli.client import api, segment
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.insights.schemas import HypothesisEvaluation, RescoreSuggestion, ThemeKeyResults
from digital_factory.portfolio.schemas import DecisionKind, DecisionResult

app = typer.Typer(
    help="Hypothesis evaluation: leading indicators on live data, key results, re-score suggestions.",
    no_args_is_help=True,
)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
EpicKey = Annotated[str, typer.Argument(help="Epic key, e.g. EPIC-1.")]
M = TypeVar("M", bound=BaseModel)


def _json(answer: BaseModel | list[RescoreSuggestion]) -> None:
    if isinstance(answer, list):
        typer.echo("[" + ",".join(item.model_dump_json() for item in answer) + "]")
    else:
        typer.echo(answer.model_dump_json(indent=2))


def _read(shape: type[M], path: str, json: bool) -> M:
    """The API's answer at `path`; with `--json`, printed as JSON and the command ends there."""
    with domain_errors(), api() as client:
        result: M = client.read(shape, path)
    if json:
        _json(result)
        raise typer.Exit()
    return result


def _figure(value: float | None, pattern: str = "{:g}") -> str:
    return "–" if value is None else pattern.format(value)


@app.command("show")
def show(epic: EpicKey, json: JsonFlag = False) -> None:
    """Each leading indicator's value now, progress, sample size and status; the score and recommendation."""
    result = _read(HypothesisEvaluation, f"/insights/epics/{segment(epic)}/hypothesis", json)
    say(f"{result.epic} · {result.title}")
    say(
        f"hypothesis {result.status} · score {_figure(result.score, '{:.0%}')} · "
        f"recommendation {result.recommendation or '–'} · evaluated {result.evaluated_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    print_table(
        ["indicator", "query", "baseline", "target", "by", "observed", "progress", "samples", "status"],
        [
            [
                i.name + (" (critical)" if i.critical else ""),
                i.metric_query,
                _figure(i.baseline),
                _figure(i.target),
                i.deadline.isoformat(),
                _figure(i.observed),
                _figure(i.progress, "{:.0%}"),
                "–" if i.sample_size is None else i.sample_size,
                str(i.status),
            ]
            for i in result.indicators
        ],
    )


@app.command("key-results")
def key_results(theme: Annotated[str, typer.Argument(help="Theme key, e.g. THEME-1.")], json: JsonFlag = False) -> None:
    """A strategic theme's key results with their metric queries' current values."""
    result = _read(ThemeKeyResults, f"/insights/themes/{segment(theme)}/key-results", json)
    say(f"{result.theme} · {result.objective}")
    print_table(
        ["key result", "baseline", "target", "observed", "progress", "samples"],
        [
            [
                k.description,
                _figure(k.baseline),
                f"{k.target:g} {k.unit}".strip(),
                _figure(k.observed),
                _figure(k.progress, "{:.0%}"),
                "–" if k.sample_size is None else k.sample_size,
            ]
            for k in result.key_results
        ],
    )


@app.command("feedback")
def feedback(json: JsonFlag = False) -> None:
    """Epics whose outcomes contradict the user-business value they were scored with."""
    with domain_errors(), api() as client:
        found: list[RescoreSuggestion] = client.read(list[RescoreSuggestion], "/insights/wsjf-feedback")
    if json:
        _json(found)
        return
    print_table(
        ["epic", "state", "value", "score", "hypothesis", "suggestion"],
        [
            [s.epic, str(s.state), s.user_business_value, _figure(s.score, "{:.0%}"), str(s.status), s.reason]
            for s in found
        ],
    )


@app.command("decide")
def decide(
    epic: EpicKey,
    kind: Annotated[DecisionKind, typer.Option("--kind", "-k", help="persevere, pivot or stop (or go, no-go).")],
    rationale: Annotated[str, typer.Option("--rationale", "-r", help="Why; kept with the decision.")],
) -> None:
    """Record the board's decision with the evaluation the server makes now (shown first)."""
    with domain_errors(), api() as client:
        result: DecisionResult = client.send(
            DecisionResult,
            "POST",
            f"/insights/epics/{segment(epic)}/hypothesis/decisions",
            json={"kind": kind.value, "rationale": rationale},
        )
    evaluation = result.decision.evaluation
    say(f"{result.decision.epic}: {result.decision.kind} recorded; now in {result.epic.column}")
    if evaluation is not None:
        say(
            f"with the evaluation of {evaluation.evaluated_at:%Y-%m-%d %H:%M:%S} UTC: hypothesis {evaluation.status}, "
            f"score {_figure(evaluation.score, '{:.0%}')}, recommended {evaluation.recommendation or '–'}"
        )
