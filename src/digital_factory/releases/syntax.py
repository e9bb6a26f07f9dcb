"""A line syntax for targeting conditions, for people typing in the web editor and the CLI. Pure.

One condition per line, all of them must hold:

    plan in pro, fleet
    appVersion semver_gte 2.4.0
    payloadKg >= 5
    email ends_with @drones.example
    in_segment beta-pilots

Values are separated by commas; put a value containing a comma in double quotes. Symbols work too:
`=` `!=` `>` `>=` `<` `<=`.

What a flag serves is a variant (`on`) or a rollout in percent (`on=10,off=90`); a rule on one line is
`CONDITION; CONDITION => SERVE`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from typing import Any

from digital_factory.core.errors import ValidationFailed
from digital_factory.releases import evaluation

SYMBOLS = {"=": "equals", "==": "equals", "!=": "not_equals", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def _values(text: str, where: str) -> list[str]:
    try:
        row = next(csv.reader([text], skipinitialspace=True))
    except (csv.Error, StopIteration):
        raise ValidationFailed.on(where, "values are separated by commas") from None
    values = [v.strip() for v in row if v.strip()]
    if not values:
        raise ValidationFailed.on(where, "give at least one value")
    return values


def _number(text: str, where: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed.on(where, f"{text!r} is not a number") from None


def parse_condition(line: str, where: str) -> dict[str, Any]:
    words = line.strip().split(None, 1)
    if words and words[0] in evaluation.SEGMENT_OPERATORS:
        if len(words) < 2:
            raise ValidationFailed.on(where, f"{words[0]} needs segment keys")
        return {"operator": words[0], "values": _values(words[1], where)}
    parts = line.strip().split(None, 2)
    if len(parts) < 3:
        raise ValidationFailed.on(where, f"{line.strip()!r}: write `attribute operator value`")
    attribute, operator, rest = parts
    operator = SYMBOLS.get(operator, operator)
    if operator not in evaluation.OPERATORS:
        known = ", ".join(sorted(evaluation.OPERATORS))
        raise ValidationFailed.on(where, f"unknown operator {parts[1]!r}; known: {known}")
    values: list[Any] = _values(rest, where)
    if operator in evaluation.NUMERIC_OPERATORS:
        values = [_number(v, where) for v in values]
    return {"attribute": attribute, "operator": operator, "values": values}


def parse_conditions(text: str, field: str) -> list[dict[str, Any]]:
    """Each non-empty line as a condition; errors name the field and the line."""
    conditions, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        try:
            conditions.append(parse_condition(line, f"{field} line {number}"))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)
    if not conditions:
        raise ValidationFailed.on(field, "a rule needs at least one condition")
    return conditions


def _quoted(value: Any) -> str:
    text = evaluation.as_text(value)  # the text form the evaluator compares
    return f'"{text}"' if "," in text or text != text.strip() else text


def format_condition(condition: Mapping[str, Any]) -> str:
    values = ", ".join(_quoted(v) for v in condition.get("values") or ())
    if condition["operator"] in evaluation.SEGMENT_OPERATORS:
        return f"{condition['operator']} {values}"
    return f"{condition['attribute']} {condition['operator']} {values}"


def format_conditions(conditions: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(format_condition(c) for c in conditions)


def parse_percent(text: str, where: str) -> float:
    """A share of targeting keys as people type it: `10`, `12.5`."""
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed.on(where, f"{text!r} is not a percentage") from None


def parse_serve(text: str, where: str) -> dict[str, Any]:
    """`on` (a variant) or `on=10,off=90` (a rollout in percent)."""
    text = text.strip()
    if "=" not in text:
        return {"variant": text}
    splits: dict[str, float] = {}
    for part in (p for p in text.split(",") if p.strip()):
        variant, _, percent = part.partition("=")
        if not variant.strip():
            raise ValidationFailed.on(where, f"{part!r}: write NAME=VALUE")
        splits[variant.strip()] = parse_percent(percent.strip(), where)
    return {"rollout": [{"variant": variant, "percent": percent} for variant, percent in splits.items()]}


def format_serve(serve: Mapping[str, Any]) -> str:
    """What `parse_serve` reads back."""
    if serve.get("rollout"):
        return ",".join(f"{s['variant']}={s['percent']:g}" for s in serve["rollout"])
    return str(serve["variant"])


def parse_rule(text: str, where: str) -> dict[str, Any]:
    """`CONDITION; CONDITION => SERVE`, e.g. `plan in pro, fleet; appVersion semver_gte 2.4 => on`."""
    conditions, arrow, serve = text.partition("=>")
    if not arrow:
        raise ValidationFailed.on(where, f"{text!r}: write `CONDITIONS => VARIANT` (conditions separated by ';')")
    return {"conditions": parse_conditions(conditions.replace(";", "\n"), where), "serve": parse_serve(serve, where)}
