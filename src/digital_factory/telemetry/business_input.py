"""Business events from request bodies: one JSON event or an array, JSON lines, or CSV.

Every problem names its place (`[3].score`, `row 4: score`: rows count from 1, the CSV header is row 0) and
the reason; one bad event refuses the whole body, so nothing is half-stored."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from digital_factory.core.errors import FieldProblem, ValidationFailed
from digital_factory.telemetry.business_record import Where, in_array, in_rows, refusal
from digital_factory.telemetry.schemas import MAX_BULK_ROWS, MAX_EVENTS_PER_REQUEST, BusinessEvent

CSV_COLUMNS = (
    "kind",
    "service",
    "environment",
    "at",
    "id",
    "count",
    "amount",
    "currency",
    "score",
    "feedback",
    "metric",
    "value",
)
ATTRIBUTE_COLUMN = "attr."
NDJSON = "application/x-ndjson"
CSV = "text/csv"
JSON = "application/json"
BULK_TYPES = (NDJSON, CSV, JSON)


def events_from_json(body: bytes) -> list[BusinessEvent]:
    """One event (an object) or a JSON array of at most MAX_EVENTS_PER_REQUEST."""
    document = _json(body, "body")
    items = document if isinstance(document, list) else [document]
    if isinstance(document, list) and not 1 <= len(items) <= MAX_EVENTS_PER_REQUEST:
        raise ValidationFailed.on("body", f"send 1 to {MAX_EVENTS_PER_REQUEST} events (or use events:bulk)")
    return [event for _, event in _validated(enumerate(items), in_array, lax=False)]


def events_from_upload(body: bytes, content_type: str) -> tuple[list[BusinessEvent], Where]:
    """The events of a bulk body by its media type, and how its problems name a row."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in BULK_TYPES:
        raise ValidationFailed.on("Content-Type", f"send {NDJSON}, {CSV} or {JSON}, not {media or 'nothing'}")
    if media == JSON:
        document = _json(body, "body")
        items = list(enumerate(document if isinstance(document, list) else [document]))
        return _numbered(_validated(_capped(items), in_rows, lax=False))
    text = _text(body)
    rows = _json_lines(text) if media == NDJSON else _csv_rows(text)
    return _numbered(_validated(_capped(rows), in_rows, lax=media == CSV))


def _numbered(found: list[tuple[int, BusinessEvent]]) -> tuple[list[BusinessEvent], Where]:
    """The events, and a `Where` that names each by its row in the upload (blank lines are skipped)."""
    rows = [index for index, _ in found]
    return [event for _, event in found], lambda position, name: in_rows(rows[position], name)


def _json(body: bytes, name: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed.on(name, f"is not valid JSON: {exc}") from exc


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.on("body", f"is not UTF-8 text (byte {exc.start})") from exc


def _capped(rows: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    for count, (index, row) in enumerate(rows, start=1):
        if count > MAX_BULK_ROWS:
            raise ValidationFailed.on("body", f"at most {MAX_BULK_ROWS} rows per upload: split the file")
        yield index, row


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Broken(f"is not valid JSON: {exc.msg}")


class _Broken:
    """A row that could not be read at all (the reason goes in the problem list)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _csv_rows(text: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    unknown = [n for n in header if n not in CSV_COLUMNS and not n.startswith(ATTRIBUTE_COLUMN)]
    missing = [n for n in ("kind", "service") if n not in header]
    if unknown or missing or len(set(header)) != len(header):
        reason = (
            f"unknown columns {unknown}" if unknown else f"missing columns {missing}" if missing else "repeated columns"
        )
        raise ValidationFailed.on("row 0", f"{reason}; the columns are {', '.join(CSV_COLUMNS)} and attr.<name>")
    for number, cells in enumerate(reader):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield number, _Broken(f"has {len(cells)} cells, the header {len(header)}")
            continue
        yield number, _csv_event(header, cells)


def _csv_event(header: list[str], cells: list[str]) -> dict[str, Any]:
    event: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for name, cell in zip(header, cells, strict=True):
        if cell == "":
            continue
        if name.startswith(ATTRIBUTE_COLUMN):
            attributes[name[len(ATTRIBUTE_COLUMN) :]] = cell
        else:
            event[name] = cell
    if attributes:
        event["attributes"] = attributes
    return event


def _validated(rows: Iterable[tuple[int, Any]], where: Where, *, lax: bool) -> list[tuple[int, BusinessEvent]]:
    events: list[tuple[int, BusinessEvent]] = []
    problems: list[FieldProblem] = []
    for index, row in rows:
        if isinstance(row, _Broken):
            problems.append(FieldProblem(where(index, "row").removesuffix(": row"), row.reason))
            continue
        try:
            events.append((index, BusinessEvent.model_validate(row, strict=False if lax else None)))
        except ValidationError as exc:
            problems.extend(FieldProblem(where(index, _location(e["loc"])), e["msg"]) for e in exc.errors())
    if problems:
        raise refusal(problems)
    return events


def _location(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "event"
