"""Reading epic and feature imports (CSV or JSON), pure: rows with their numbers, refs and fields, and
the problems found while reading. Validation against the store happens in the import service.

CSV: one row per epic or feature; `type` says which. Features name their epic in `parent`: the `ref` of
an epic row in the same file, or the key of an epic already in the store (EPIC-7). Lists (themes,
outcomes, NFRs, acceptance criteria) are separated by `;`. Empty cells count as absent.

JSON: {"epics": [{...epic fields..., "ref": "...", "features": [{...feature fields...}]}],
       "features": [{..., "epic": "EPIC-7" or an epic's ref}]}  (a bare list means "epics")
with the field names of the API's create requests.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 50_000
LIST_SEPARATOR = ";"
SCORE_COLUMNS = ("user_business_value", "time_criticality", "risk_reduction", "job_size")
HYPOTHESIS_COLUMNS = {
    "hypothesis_for": "for_customers",
    "hypothesis_who": "who",
    "hypothesis_the": "the_solution",
    "hypothesis_is_a": "is_a",
    "hypothesis_that": "that",
    "hypothesis_unlike": "unlike",
    "hypothesis_our_solution": "our_solution",
}
BUSINESS_CASE_COLUMNS = ("analysis_summary", "mvp_cost", "full_cost")
EPIC_COLUMNS = (
    "title",
    "description",
    "kind",
    "owner",
    "themes",
    *HYPOTHESIS_COLUMNS,
    "business_outcomes",
    "nfrs",
    "mvp",
    "estimated_cost",
    "currency",
    *BUSINESS_CASE_COLUMNS,
    *SCORE_COLUMNS,
)
FEATURE_COLUMNS = (
    "title",
    "description",
    "kind",
    "benefit_hypothesis",
    "acceptance_criteria",
    "flow_item",
    "team",
    *SCORE_COLUMNS,
)
CSV_COLUMNS: tuple[str, ...] = ("type", "ref", "parent", *dict.fromkeys(EPIC_COLUMNS + FEATURE_COLUMNS))
_LIST_COLUMNS = {"themes", "business_outcomes", "nfrs", "acceptance_criteria"}


@dataclass
class Row:
    number: int
    kind: str  # "epic" or "feature"
    ref: str | None
    parent: str | None  # features: an epic's ref in this file, or an epic key
    data: dict[str, Any]
    lax: bool  # values are text (CSV): numbers may come as digits


@dataclass
class Problem:
    row: int
    ref: str | None
    field: str
    reason: str


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def parse_csv(text: str) -> Parsed:
    parsed = Parsed()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        parsed.problems.append(Problem(1, None, "header", "the file is empty; the first line must name the columns"))
        return parsed
    missing = [c for c in ("type", "title") if c not in header]
    if missing:
        parsed.problems.append(Problem(1, None, "header", f"missing column(s): {', '.join(missing)}"))
        return parsed
    reader.fieldnames = header
    parsed.ignored_columns = [h for h in header if h not in CSV_COLUMNS]
    for index, record in enumerate(reader):
        number = index + 2  # the header is line 1
        if index >= MAX_ROWS:
            parsed.problems.append(Problem(number, None, "file", f"more than {MAX_ROWS} rows; split the import"))
            break
        cells = {k: (v or "").strip() for k, v in record.items() if k is not None and isinstance(v, str)}
        if None in record:
            parsed.problems.append(Problem(number, cells.get("ref") or None, "row", "more cells than columns"))
            continue
        if not any(cells.values()):
            continue  # blank line
        _csv_row(parsed, number, cells)
    return parsed


def _csv_row(parsed: Parsed, number: int, cells: dict[str, str]) -> None:
    ref = cells.get("ref") or None
    kind = cells.get("type", "").lower()
    if kind not in {"epic", "feature"}:
        parsed.problems.append(Problem(number, ref, "type", f"{kind!r} is not epic or feature"))
        return
    parent = cells.get("parent") or None
    if kind == "epic" and parent:
        parsed.problems.append(Problem(number, ref, "parent", "epics have no parent"))
        return
    data = _plain_cells(kind, cells)
    groups: list[tuple[str, dict[str, str]]] = [("score", {c: c for c in SCORE_COLUMNS})]
    if kind == "epic":
        groups += [("hypothesis", HYPOTHESIS_COLUMNS), ("business_case", {c: c for c in BUSINESS_CASE_COLUMNS})]
    for name, columns in groups:
        values = {field_name: cells[column] for column, field_name in columns.items() if cells.get(column)}
        if values:
            data[name] = values
    parsed.rows.append(Row(number, kind, ref, parent, data, lax=True))


_GROUPED = {*SCORE_COLUMNS, *HYPOTHESIS_COLUMNS, *BUSINESS_CASE_COLUMNS}


def _plain_cells(kind: str, cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    renamed = {"kind": "epic_type" if kind == "epic" else "feature_type", "mvp": "mvp_definition"}
    for column in EPIC_COLUMNS if kind == "epic" else FEATURE_COLUMNS:
        value = cells.get(column, "")
        if not value or column in _GROUPED:
            continue
        if column in _LIST_COLUMNS:
            data[column] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        elif column in {"kind", "flow_item"}:
            data[renamed.get(column, column)] = value.lower()
        else:
            data[renamed.get(column, column)] = value
    return data


def parse_json(text: str) -> Parsed:
    parsed = Parsed()
    document = _json_document(text, parsed)
    if document is None:
        return parsed
    parsed.ignored_columns = sorted(set(document) - {"epics", "features"})
    counter = _Counter()
    for item in document.get("epics", []):
        _json_epic(parsed, counter, item)
    for feature in document.get("features", []):
        _json_feature(parsed, counter.next(), feature, parent=None, nested_in=None)
    if counter.value > MAX_ROWS:
        parsed.problems.append(Problem(MAX_ROWS + 1, None, "file", f"more than {MAX_ROWS} items; split the import"))
    return parsed


def _json_document(text: str, parsed: Parsed) -> dict[str, Any] | None:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        parsed.problems.append(Problem(1, None, "file", f"not valid JSON: {exc.msg} at line {exc.lineno}"))
        return None
    if isinstance(document, list):
        document = {"epics": document}
    if not isinstance(document, dict):
        parsed.problems.append(Problem(1, None, "file", 'expected an object with "epics" and/or "features"'))
        return None
    for name in ("epics", "features"):
        if not isinstance(document.get(name, []), list):
            parsed.problems.append(Problem(1, None, name, "must be a list"))
            return None
    return document


def _json_epic(parsed: Parsed, counter: _Counter, item: object) -> None:
    number = counter.next()
    if not isinstance(item, dict):
        parsed.problems.append(Problem(number, None, "epic", "must be an object"))
        return
    data = dict(item)
    ref = _ref(data.pop("ref", None))
    features = data.pop("features", [])
    parsed.rows.append(Row(number, "epic", ref, None, data, lax=False))
    if not isinstance(features, list):
        parsed.problems.append(Problem(number, ref, "features", "must be a list"))
        return
    for feature in features:
        _json_feature(parsed, counter.next(), feature, parent=ref, nested_in=number)


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


def _json_feature(parsed: Parsed, number: int, item: object, *, parent: str | None, nested_in: int | None) -> None:
    if not isinstance(item, dict):
        parsed.problems.append(Problem(number, None, "feature", "must be an object"))
        return
    data = dict(item)
    ref = _ref(data.pop("ref", None))
    named = data.pop("epic", None)
    if nested_in is not None and named is not None:
        parsed.problems.append(Problem(number, ref, "epic", "a nested feature belongs to the epic it is listed under"))
        return
    target = parent if nested_in is not None else (named if isinstance(named, str) else None)
    if nested_in is not None and parent is None:
        target = f"#row{nested_in}"  # the enclosing epic, which has no ref
    if target is None:
        parsed.problems.append(Problem(number, ref, "epic", "name the feature's epic (a key such as EPIC-7, or a ref)"))
        return
    parsed.rows.append(Row(number, "feature", ref, target, data, lax=False))


def _ref(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
