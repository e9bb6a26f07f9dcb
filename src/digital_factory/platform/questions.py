"""Copier questions as form fields, and answers checked against them (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from digital_factory.core.errors import FieldProblem, ValidationFailed
from digital_factory.platform.schemas import AnswerValue, Choice, TemplateQuestion

# Answers onboarding fills in itself when a template asks for them.
RESERVED = ("service_key", "service_name", "team_key", "description")
MAX_ANSWER_LENGTH = 1000
_TYPES = {"str", "int", "float", "bool", "yaml", "json", "path"}


def questions(config: Mapping[str, Any]) -> list[TemplateQuestion]:
    """The questions of a copier configuration, in order; computed values (`when: false`) left out."""
    out = []
    for name, spec in config.items():
        if name.startswith("_"):
            continue
        details: Mapping[str, Any] = spec if isinstance(spec, Mapping) else {"default": spec}
        if details.get("when") is False:
            continue
        kind = str(details.get("type") or _infer(details.get("default")))
        default = details.get("default")
        out.append(
            TemplateQuestion(
                name=name,
                type=kind if kind in _TYPES else "str",
                help=str(details.get("help") or name.replace("_", " ")),
                default=default if _literal(default) else None,
                choices=_choices(details.get("choices")),
                secret=bool(details.get("secret")),
                reserved=name in RESERVED,
            )
        )
    return out


def _infer(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return "str"


def _literal(value: Any) -> bool:
    """A default people can see as-is (not a Jinja expression copier computes)."""
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    return isinstance(value, bool | int | float)


def _choices(raw: Any) -> list[Choice]:
    if isinstance(raw, Mapping):
        return [Choice(label=str(label), value=_scalar(value)) for label, value in raw.items()]
    if isinstance(raw, list):
        return [Choice(label=str(value), value=_scalar(value)) for value in raw]
    return []


def _scalar(value: Any) -> AnswerValue:
    return value if isinstance(value, str | int | float | bool) else str(value)


def answers(
    asked: list[TemplateQuestion], given: Mapping[str, AnswerValue], reserved: Mapping[str, str]
) -> dict[str, AnswerValue]:
    """Answers for copier: the reserved ones from onboarding, the rest checked against the questions.

    Unanswered questions are left to copier's defaults. Values are data, never template source."""
    by_name = {q.name: q for q in asked}
    problems = []
    out: dict[str, AnswerValue] = {name: value for name, value in reserved.items() if name in by_name}
    for name, value in given.items():
        question = by_name.get(name)
        if question is None:
            problems.append(FieldProblem(f"answers.{name}", "the template has no such question"))
            continue
        if question.reserved:
            continue  # onboarding's own value wins
        if isinstance(value, str) and value == "" and question.type != "str":
            continue
        try:
            out[name] = _coerce(question, value)
        except ValueError as exc:
            problems.append(FieldProblem(f"answers.{name}", str(exc)))
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)
    return out


def _coerce(question: TemplateQuestion, value: AnswerValue) -> AnswerValue:
    if isinstance(value, str) and ("\x00" in value or len(value) > MAX_ANSWER_LENGTH):
        raise ValueError(f"must be at most {MAX_ANSWER_LENGTH} characters, without NUL")
    result: AnswerValue
    if question.type == "bool":
        result = value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}
    elif question.type == "int":
        try:
            result = int(value) if not isinstance(value, bool) else int("x")
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a whole number") from None
    elif question.type == "float":
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number") from None
    else:
        result = str(value)
    if question.choices:
        allowed = [choice.value for choice in question.choices]
        matched = [choice for choice in allowed if str(choice) == str(result)]
        if not matched:
            raise ValueError(f"{value!r} is not one of {', '.join(map(str, allowed))}")
        result = matched[0]
    return result
