"""Importing epics and features from CSV or JSON: row-level errors, dry runs, all or nothing."""

from __future__ import annotations

import json

import pytest

from digital_factory.accounts.schemas import AuditFilter
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.core.errors import PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicFilter, ImportFormat, ImportReport, ThemeCreate
from tests.portfolio.builders import people

CSV = "\n".join(
    [
        "type,ref,parent,title,kind,owner,themes,hypothesis_for,business_outcomes,"
        "user_business_value,time_criticality,risk_reduction,job_size,acceptance_criteria,flow_item,Jira Status",
        "epic,J-1,,Heavy-lift drones,business,bea,THEME-1,logistics companies,+10% market share;new segment,"
        "20,8,13,8,,,In Progress",
        "feature,J-2,J-1,Bigger batteries,business,,,,,13,8,5,8,40 km with 25 kg;2 h charge,feature,To Do",
        "feature,J-3,J-1,Better engines,enabler,,,,,,,,,,debt,To Do",
        "epic,J-4,,Swarm inspections,,,,,,,,,,,,Backlog",
        "",
    ]
)


def _import(
    runtime: Runtime, actor: Actor, content: str, fmt: ImportFormat = ImportFormat.CSV, **options: bool
) -> ImportReport:
    with runtime.store.unit_of_work(actor) as uow:
        return portfolio.import_items(uow, content, fmt, **options)


def _epic_count(runtime: Runtime, actor: Actor) -> int:
    with runtime.store.unit_of_work(actor, write=False) as uow:
        return portfolio.list_epics(uow, EpicFilter(), PageRequest()).total


def _theme(runtime: Runtime, board: Actor) -> None:
    with runtime.store.unit_of_work(board) as uow:
        portfolio.create_theme(uow, ThemeCreate(objective="Grow heavy lift"))


def test_csv_import_with_dry_run_first(runtime: Runtime) -> None:
    board, pm = people(runtime)
    _theme(runtime, board)
    dry = _import(runtime, pm, CSV, dry_run=True)
    assert dry.ok and (dry.epics, dry.features) == (2, 2)
    assert [i.key for i in dry.items] == [None] * 4
    assert dry.ignored_columns == ["jira status"]
    assert _epic_count(runtime, pm) == 0

    report = _import(runtime, pm, CSV)
    assert report.ok and [i.key for i in report.items] == ["EPIC-1", "FEAT-1", "FEAT-2", "EPIC-2"]
    with runtime.store.unit_of_work(pm, write=False) as uow:
        heavy = portfolio.get_epic(uow, "EPIC-1")
        features = portfolio.product_backlog(uow, "EPIC-1")
        history = portfolio.list_transitions(uow, "EPIC-1")
        batteries = portfolio.get_feature(uow, "FEAT-1")
        entry = list_audit_entries(uow, AuditFilter(action="epic.import"), PageRequest()).items[0]
    assert (heavy.owner, heavy.themes, heavy.hypothesis.for_customers) == ("bea", ["THEME-1"], "logistics companies")
    assert heavy.business_outcomes == ["+10% market share", "new segment"]
    assert heavy.score is not None and heavy.score.wsjf == pytest.approx(41 / 8)
    assert [(f.title, f.flow_item, f.feature_type) for f in features] == [
        ("Bigger batteries", "feature", "business"),
        ("Better engines", "debt", "enabler"),
    ]
    assert batteries.acceptance_criteria == ["40 km with 25 kg", "2 h charge"]
    assert [(t.to_column, t.reason, t.actor_name) for t in history] == [("funnel", "imported", "paul")]
    assert entry.after == {"format": "csv", "epics": ["EPIC-1", "EPIC-2"], "features": ["FEAT-1", "FEAT-2"]}

    again = _import(runtime, pm, CSV)
    assert {(e.row, e.field, e.reason) for e in again.errors} >= {(2, "ref", "already imported as EPIC-1")}
    assert _epic_count(runtime, pm) == 2


BAD_CSV = """type,ref,parent,title,owner,job_size,flow_item,team
epic,A,,Good epic,,,,
epic,B,,,ghost,4,,
epic,H,,Unknown owner,ghost,,,
feature,C,B,Under a bad epic,,,,
feature,D,A,Good feature,,,feature,
feature,E,Z,Lost feature,,,feature,
feature,F,A,Bad flow,,,chore,
idea,G,,What is this,,,,
"""


def test_invalid_rows_block_the_import_unless_skipped(runtime: Runtime) -> None:
    _, pm = people(runtime)
    report = _import(runtime, pm, BAD_CSV)
    problems = {(e.row, e.ref, e.field) for e in report.errors}
    assert problems == {
        (3, "B", "title"),
        (3, "B", "score.user_business_value"),  # a score needs all four parts
        (3, "B", "score.time_criticality"),
        (3, "B", "score.risk_reduction"),
        (3, "B", "score.job_size"),
        (4, "H", "owner"),
        (5, "C", "parent"),
        (7, "E", "parent"),
        (8, "F", "flow_item"),
        (9, "G", "type"),
    }
    reasons = {(e.row, e.field): e.reason for e in report.errors}
    assert reasons[5, "parent"] == "its epic (row 3) is invalid"
    assert reasons[7, "parent"] == "no epic with the ref 'Z' in this file"
    assert reasons[4, "owner"] == "no user named 'ghost'"
    assert "modified Fibonacci" in reasons[3, "score.job_size"]
    assert (report.epics, report.features, report.items) == (0, 0, [])
    assert _epic_count(runtime, pm) == 0

    skipped = _import(runtime, pm, BAD_CSV, skip_invalid=True)
    assert [(i.row, i.key) for i in skipped.items] == [(2, "EPIC-1"), (6, "FEAT-1")]
    assert skipped.skipped == 6
    assert _epic_count(runtime, pm) == 1


def test_json_import_with_nested_features(runtime: Runtime) -> None:
    _, pm = people(runtime)
    existing = _import(runtime, pm, json.dumps([{"title": "Existing"}]), ImportFormat.JSON)
    assert existing.ok
    document = {
        "epics": [
            {
                "ref": "X-1",
                "title": "Cold-chain medical delivery",
                "leading_indicators": [
                    {
                        "name": "Deliveries on time",
                        "metric_query": 'ratio(sum(deliveries{on_time="true"}[7d]), sum(deliveries[7d]))',
                        "baseline": 0.8,
                        "target": 0.95,
                        "deadline": "2027-03-31",
                    }
                ],
                "features": [{"title": "Insulated pod"}, {"ref": "X-3", "title": "Temperature telemetry"}],
            },
            {"title": "No ref, nested feature", "features": [{"title": "Child"}]},
        ],
        "features": [{"epic": "EPIC-1", "title": "Added to an existing epic"}, {"epic": "X-1", "title": "By ref"}],
    }
    report = _import(runtime, pm, json.dumps(document), ImportFormat.JSON)
    assert report.ok, report.errors
    assert [(i.row, i.kind, i.key) for i in report.items] == [
        (1, "epic", "EPIC-2"),
        (2, "feature", "FEAT-1"),
        (3, "feature", "FEAT-2"),
        (4, "epic", "EPIC-3"),
        (5, "feature", "FEAT-3"),
        (6, "feature", "FEAT-4"),
        (7, "feature", "FEAT-5"),
    ]
    with runtime.store.unit_of_work(pm, write=False) as uow:
        cold = portfolio.get_epic(uow, "EPIC-2")
        assert [f.title for f in portfolio.product_backlog(uow, "EPIC-1")] == ["Added to an existing epic"]
        assert len(portfolio.product_backlog(uow, "EPIC-2")) == 3
    assert cold.leading_indicators[0].metric_query == 'ratio(sum(deliveries{on_time="true"}[7d]), sum(deliveries[7d]))'

    strict = _import(
        runtime, pm, json.dumps([{"title": "T", "estimated_cost": "100", "colour": "red"}]), ImportFormat.JSON
    )
    assert {(e.field, e.reason) for e in strict.errors} == {
        ("estimated_cost", "Input should be a valid integer"),
        ("colour", "Extra inputs are not permitted"),
    }


@pytest.mark.parametrize(
    ("content", "fmt", "field"),
    [
        ("", ImportFormat.CSV, "header"),
        ("ref,title\nA,B\n", ImportFormat.CSV, "header"),
        ("{not json", ImportFormat.JSON, "file"),
        ('{"epics": {}}', ImportFormat.JSON, "epics"),
        ('"just a string"', ImportFormat.JSON, "file"),
    ],
)
def test_unreadable_files_say_why(runtime: Runtime, content: str, fmt: ImportFormat, field: str) -> None:
    _, pm = people(runtime)
    with pytest.raises(ValidationFailed) as refused:  # nothing to report row by row: the file is refused
        _import(runtime, pm, content, fmt, skip_invalid=True)
    assert [p.field for p in refused.value.problems] == [field]


def test_importing_needs_the_permissions(runtime: Runtime) -> None:
    from digital_factory.accounts.schemas import Role
    from tests.factories import actor_of, make_user

    make_user(runtime, "tia", Role.TEAM)
    with pytest.raises(PermissionDenied):
        _import(runtime, actor_of(runtime, "tia"), CSV, dry_run=True)
