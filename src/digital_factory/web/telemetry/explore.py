"""The metric explorer: any metric of a service as a chart and a table (aggregation, step, group-by label,
time span), and a box that evaluates an indicator query. Bad choices are named next to their field."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.catalog import service as catalog
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.core.metricquery import Matcher
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import Aggregation, Evaluation, RangeResult
from digital_factory.web.context import field_problems, read
from digital_factory.web.lookup import service_options
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render
from digital_factory.web.telemetry.charts import line_option, lines_of, rounded
from digital_factory.web.telemetry.figures import KIND_AGGREGATION, SPANS, STEPS, checked_hours, duration, step_for

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Choice:
    """What the person picked: the page's query string (checked while the page is gathered)."""

    service: str = ""
    env: str = ""
    metric: str = ""
    aggregation: str = ""
    step: str = ""
    by: str = ""
    hours: int = 24
    q: str = ""


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple[datetime, list[float | None]]]


def _step(choice: Choice) -> int:
    if not choice.step:
        return step_for(choice.hours)
    if not choice.step.isdigit():
        raise ValidationFailed.on("step", "is a whole number of seconds")
    return int(choice.step)


def _aggregation(choice: Choice, kind: str | None) -> Aggregation:
    if not choice.aggregation:
        return KIND_AGGREGATION.get(kind or "", Aggregation.AVG)
    try:
        return Aggregation(choice.aggregation)
    except ValueError:
        raise ValidationFailed.on("aggregation", f"is one of {', '.join(a.value for a in Aggregation)}") from None


def _chart(uow: UnitOfWork, choice: Choice, kind: str | None, labels: list[str]) -> dict[str, Any]:
    if choice.by and choice.by not in labels:
        raise ValidationFailed.on("by", f"{choice.metric} has no label {choice.by!r}")
    end = uow.clock.now()
    matchers = [Matcher("service", False, choice.service)]
    if choice.env:
        matchers.append(Matcher("environment", False, choice.env))
    result = telemetry.query_range(
        uow,
        choice.metric,
        start=end - timedelta(hours=choice.hours),
        end=end,
        step_seconds=_step(choice),
        aggregation=_aggregation(choice, kind),
        matchers=matchers,
        by=choice.by or None,
    )
    return {
        "result": result,
        "chart": line_option(lines_of(result, choice.by or None)),
        "table": _table(result, choice),
        "step_text": duration(result.step_seconds),
    }


def _table(result: RangeResult, choice: Choice) -> Table:
    columns = [s.labels.get(choice.by, "") or result.metric for s in result.series]
    moments = [p.at for p in result.series[0].points] if result.series else []
    rows = [(at, [rounded(s.points[i].value) for s in result.series]) for i, at in enumerate(moments)]
    return Table(columns, [row for row in rows if any(v is not None for v in row[1])])


def _evaluate(uow: UnitOfWork, choice: Choice) -> Evaluation:
    return telemetry.evaluate(uow, choice.q, service=choice.service or None, environment=choice.env or None)


def _explore(uow: UnitOfWork, choice: Choice) -> dict[str, Any]:
    services = service_options(uow)  # the picker's first choices; typing asks /lookup/services
    found: dict[str, Any] = {"services": services, "errors": {}, "environments": [], "metrics": [], "labels": []}
    if choice.service:
        try:  # a typed key may name no service: said next to the field, like any other bad choice
            found["environments"] = [e.name for e in catalog.get_service(uow, choice.service).environments]
        except NotFound as exc:
            found["errors"]["service"] = exc.detail
            return found
        found["metrics"] = telemetry.metric_names(uow, choice.service)
    if choice.metric:
        env = choice.env or None
        listed = telemetry.list_series(uow, choice.service, environment=env, prefix=choice.metric)
        series = [s for s in listed if s.metric == choice.metric]
        labels = sorted({name for s in series for name in s.attributes} | (set() if env else {"environment"}))
        found["labels"] = labels
        try:
            found.update(_chart(uow, choice, series[0].kind if series else None, labels))
        except ValidationFailed as exc:
            found["errors"].update(field_problems(exc))
    if choice.q.strip():
        try:
            found["evaluation"] = _evaluate(uow, choice)
        except ValidationFailed as exc:
            found["errors"]["q"] = "; ".join(field_problems(exc).values())
    return found


@router.get("/telemetry/explore", response_class=HTMLResponse)
def explore(request: Request, viewer: PageViewer, asked: Annotated[Choice, Depends()]) -> Response:
    choice = replace(asked, metric=asked.metric if asked.service else "", hours=checked_hours(asked.hours))
    # A bad choice or query is part of what the explorer answers (named next to its field), not a refusal.
    found = read(request, viewer, lambda uow: _explore(uow, choice))
    return render(
        request,
        "telemetry_explore.html",
        viewer,
        active="telemetry",
        choice=choice,
        aggregations=[a.value for a in Aggregation],
        steps=STEPS,
        spans=SPANS,
        **found,
    )
