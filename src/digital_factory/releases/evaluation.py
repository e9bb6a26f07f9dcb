"""Flag evaluation: rules, segments, semver comparison and sticky percentage bucketing. Pure, no I/O.

A flag's configuration in one environment is compiled once into closures (`compile_flag`); evaluating
a context then costs a few dictionary look-ups and, for rollouts, one SHA-256 of `flagKey:targetingKey`.

Order of evaluation:
1. off (kill switch)              -> the off variant, reason DISABLED
2. rules, first match wins        -> the rule's variant (TARGETING_MATCH) or its rollout (SPLIT)
3. the default serve              -> its variant (STATIC without rules, DEFAULT with) or its rollout (SPLIT)

A rollout needs a targeting key; without one the evaluation fails with TARGETING_KEY_MISSING (unless
all of the rollout's weight sits on one variant, which needs no key).
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator as operator_module
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

BUCKETS: Final = 10_000  # 0.01 % precision
STATIC: Final = "STATIC"
DEFAULT: Final = "DEFAULT"
TARGETING_MATCH: Final = "TARGETING_MATCH"
SPLIT: Final = "SPLIT"
DISABLED: Final = "DISABLED"
TARGETING_KEY_MISSING: Final = "TARGETING_KEY_MISSING"
TARGETING_KEY = "targetingKey"

NUMERIC_OPERATORS: Final = frozenset({"gt", "gte", "lt", "lte"})
SEMVER_OPERATORS: Final = frozenset({"semver_eq", "semver_gt", "semver_gte", "semver_lt", "semver_lte"})
SEGMENT_OPERATORS: Final = frozenset({"in_segment", "not_in_segment"})
TEXT_OPERATORS: Final = frozenset({"contains", "starts_with", "ends_with"})
MEMBER_OPERATORS: Final = frozenset({"equals", "not_equals", "in", "not_in"})
SINGLE_VALUE_OPERATORS: Final = NUMERIC_OPERATORS | SEMVER_OPERATORS | {"equals", "not_equals"}
OPERATORS: Final = MEMBER_OPERATORS | TEXT_OPERATORS | NUMERIC_OPERATORS | SEMVER_OPERATORS | SEGMENT_OPERATORS

Context = Mapping[str, Any]
Matcher = Callable[[Context], bool]


# --- bucketing -----------------------------------------------------------------------------------


def bucket(flag_key: str, targeting_key: str) -> int:
    """The sticky bucket 0..9999 of a targeting key for a flag: first 4 bytes of SHA-256, modulo 10,000.

    The modulo bias is 7,296 / 2**32 (under 2 in a million): negligible."""
    digest = hashlib.sha256(f"{flag_key}:{targeting_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % BUCKETS


class _Bucketer:
    """`bucket` for one flag, with SHA-256 already fed `flagKey:` (copying a hash state is cheaper than
    starting one)."""

    __slots__ = ("_prefix",)

    def __init__(self, flag_key: str) -> None:
        self._prefix = hashlib.sha256(f"{flag_key}:".encode())

    def __call__(self, targeting_key: str) -> int:
        state = self._prefix.copy()
        state.update(targeting_key.encode())
        return int.from_bytes(state.digest()[:4], "big") % BUCKETS


def basis_points(percent: float) -> int:
    """A percentage with at most two decimals as basis points of the 10,000 buckets."""
    return round(percent * 100)


# --- semantic versions ---------------------------------------------------------------------------

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)

SemverKey = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]


@functools.lru_cache(maxsize=4096)
def semver_key(text: str) -> SemverKey | None:
    """A sortable key following SemVer 2.0 precedence, or None when `text` is not a version.

    Lenient where apps are: a leading `v`, and missing minor or patch (`2.1` = `2.1.0`). Build metadata
    is ignored; a pre-release sorts before its release; numeric identifiers sort below alphanumeric ones."""
    match = _SEMVER.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor or 0), int(patch or 0), 1, ())
    identifiers = tuple((0, int(part)) if part.isdigit() else (1, part) for part in pre.split("."))
    return (int(major), int(minor or 0), int(patch or 0), 0, identifiers)


# --- outcomes --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a context gets: a variant and why, or an error code (OFREP's) and why."""

    variant: str | None
    reason: str
    rule: int | None = None
    error_code: str | None = None
    error_details: str | None = None


_MISSING_KEY = "this flag rolls out by percentage and needs the context's targetingKey"


class _Serve:
    """A fixed variant or a percentage rollout, with the outcomes prepared in advance."""

    __slots__ = ("_bounds", "_bucket", "_fixed", "_missing")

    def __init__(self, flag_key: str, serve: Mapping[str, Any], fixed_reason: str, rule: int | None) -> None:
        self._bucket = _Bucketer(flag_key)
        self._fixed: Outcome | None = None
        self._bounds: tuple[tuple[int, Outcome], ...] = ()
        rollout = serve.get("rollout")
        if not rollout:
            self._fixed = Outcome(str(serve["variant"]), fixed_reason, rule)
            return
        weighted = [(str(split["variant"]), basis_points(float(split["percent"]))) for split in rollout]
        live = [name for name, weight in weighted if weight > 0]
        if len(live) == 1:  # everyone gets it: no key needed
            self._fixed = Outcome(live[0], SPLIT, rule)
            return
        upper, bounds = 0, []
        for name, weight in weighted:
            if weight > 0:
                upper += weight
                bounds.append((upper, Outcome(name, SPLIT, rule)))
        self._bounds = tuple(bounds)
        self._missing = Outcome(None, "ERROR", rule, TARGETING_KEY_MISSING, _MISSING_KEY)

    def pick(self, context: Context) -> Outcome:
        if self._fixed is not None:
            return self._fixed
        targeting_key = context.get(TARGETING_KEY)
        if not isinstance(targeting_key, str) or not targeting_key:
            return self._missing
        position = self._bucket(targeting_key)
        for upper, outcome in self._bounds:
            if position < upper:
                return outcome
        return self._bounds[-1][1]  # weights are validated to sum to 10,000; defensive


# --- conditions ------------------------------------------------------------------------------------

_ABSENT: Any = object()


def _getter(attribute: str) -> Callable[[Context], Any]:
    if "." not in attribute:
        return lambda context: context.get(attribute, _ABSENT)
    path = attribute.split(".")

    def nested(context: Context) -> Any:
        if attribute in context:
            return context[attribute]
        value: Any = context
        for part in path:
            if not isinstance(value, Mapping) or part not in value:
                return _ABSENT
            value = value[part]
        return value

    return nested


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(value: Any) -> float | None:
    if _is_number(value):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _member_test(values: Sequence[Any]) -> Callable[[Any], bool]:
    texts = frozenset(as_text(v) for v in values)

    def member(value: Any) -> bool:
        if isinstance(value, str | bool) or _is_number(value):
            return as_text(value) in texts
        return False

    return member


def _text_test(operator: str, values: Sequence[Any]) -> Callable[[Any], bool]:
    needles = tuple(str(v) for v in values)
    if operator == "contains":
        return lambda value: isinstance(value, str) and any(n in value for n in needles)
    if operator == "starts_with":
        return lambda value: isinstance(value, str) and value.startswith(needles)
    return lambda value: isinstance(value, str) and value.endswith(needles)


_COMPARATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": operator_module.eq,
    "gt": operator_module.gt,
    "gte": operator_module.ge,
    "lt": operator_module.lt,
    "lte": operator_module.le,
}


def _comparator(operator: str) -> Callable[[Any, Any], bool]:
    return _COMPARATORS[operator.removeprefix("semver_")]


def _numeric_test(operator: str, values: Sequence[Any]) -> Callable[[Any], bool]:
    target = _as_number(values[0])
    compare = _comparator(operator)
    if target is None:
        return lambda value: False

    def test(value: Any) -> bool:
        number = _as_number(value)
        return number is not None and compare(number, target)

    return test


def _semver_test(operator: str, values: Sequence[Any]) -> Callable[[Any], bool]:
    target = semver_key(str(values[0]))
    compare = _comparator(operator)
    if target is None:
        return lambda value: False

    def test(value: Any) -> bool:
        version = semver_key(value) if isinstance(value, str) else None
        return version is not None and compare(version, target)

    return test


def _value_test(operator: str, values: Sequence[Any]) -> Callable[[Any], bool]:
    if operator in MEMBER_OPERATORS:
        return _member_test(values)
    if operator in TEXT_OPERATORS:
        return _text_test(operator, values)
    if operator in NUMERIC_OPERATORS:
        return _numeric_test(operator, values)
    if operator in SEMVER_OPERATORS:
        return _semver_test(operator, values)
    raise ValueError(f"unknown operator {operator!r}")


def _member_condition(attribute: str, values: Sequence[Any], negate: bool) -> Matcher:
    """equals / in (and their negations) on a plain attribute: the hot case, kept to one call."""
    texts = frozenset(as_text(v) for v in values)
    member = _member_test(values)

    def holds(context: Context) -> bool:
        value = context.get(attribute, _ABSENT)
        if value.__class__ is str:
            return value in texts
        return value is not _ABSENT and member(value)

    def holds_not(context: Context) -> bool:
        value = context.get(attribute, _ABSENT)
        if value.__class__ is str:
            return value not in texts
        return value is not _ABSENT and not member(value)

    return holds_not if negate else holds


def _segment_condition(operator: str, values: Sequence[Any], segments: Mapping[str, Matcher]) -> Matcher:
    members = tuple(segments[str(v)] for v in values if str(v) in segments)
    if len(members) == 1:
        only = members[0]
        return only if operator == "in_segment" else (lambda context: not only(context))
    if operator == "in_segment":
        return lambda context: any(member(context) for member in members)
    return lambda context: not any(member(context) for member in members)


def _attribute_condition(attribute: str, operator: str, values: Sequence[Any]) -> Matcher:
    negate = operator.startswith("not_")
    test = _value_test(operator, values)
    if "." not in attribute:
        if negate:
            return lambda context: (value := context.get(attribute, _ABSENT)) is not _ABSENT and not test(value)
        return lambda context: (value := context.get(attribute, _ABSENT)) is not _ABSENT and test(value)
    get = _getter(attribute)
    if negate:
        return lambda context: (value := get(context)) is not _ABSENT and not test(value)
    return lambda context: (value := get(context)) is not _ABSENT and test(value)


def compile_condition(condition: Mapping[str, Any], segments: Mapping[str, Matcher]) -> Matcher:
    """One condition as a test of a context. A missing attribute never matches (negated operators too)."""
    operator = str(condition["operator"])
    values: Sequence[Any] = condition.get("values") or ()
    if operator in SEGMENT_OPERATORS:
        return _segment_condition(operator, values, segments)
    attribute = str(condition["attribute"])
    if operator in MEMBER_OPERATORS and "." not in attribute:
        return _member_condition(attribute, values, operator.startswith("not_"))
    return _attribute_condition(attribute, operator, values)


def _all(matchers: Sequence[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    checks = tuple(matchers)

    def every(context: Context) -> bool:
        for check in checks:  # noqa: SIM110  (a loop, not a generator per evaluation)
            if not check(context):
                return False
        return True

    return every


def compile_segment(definition: Mapping[str, Any]) -> Matcher:
    """Included keys are in, excluded keys are out, otherwise a context is in when all conditions hold
    (a segment without conditions holds only its included keys)."""
    included = frozenset(str(k) for k in definition.get("included") or ())
    excluded = frozenset(str(k) for k in definition.get("excluded") or ())
    conditions = [compile_condition(c, {}) for c in definition.get("conditions") or ()]
    rest = _all(conditions) if conditions else None

    def member(context: Context) -> bool:
        key = context.get(TARGETING_KEY)
        if isinstance(key, str):
            if key in included:
                return True
            if key in excluded:
                return False
        return rest is not None and rest(context)

    return member


# --- flags -------------------------------------------------------------------------------------------


class CompiledFlag:
    """A flag's configuration in one environment, ready to evaluate contexts."""

    __slots__ = ("_default", "_disabled", "_rules", "flag_type", "id", "key", "metadata", "values", "version")

    def __init__(
        self,
        *,
        key: str,
        flag_type: str,
        variants: Mapping[str, Any],
        config: Mapping[str, Any],
        segments: Mapping[str, Mapping[str, Any]] | None = None,
        flag_id: int = 0,
        version: int = 0,
        metadata: Mapping[str, str | int | float | bool] | None = None,
    ) -> None:
        self.id = flag_id
        self.key = key
        self.flag_type = flag_type
        self.version = version
        self.values: dict[str, Any] = dict(variants)
        self.metadata: dict[str, str | int | float | bool] = dict(metadata or {})
        compiled_segments = {name: compile_segment(d) for name, d in (segments or {}).items()}
        self._disabled = None if config.get("enabled") else Outcome(str(config["off_variant"]), DISABLED)
        rules = config.get("rules") or ()
        self._rules = tuple(
            (_all([compile_condition(c, compiled_segments) for c in rule["conditions"]]),
             _Serve(key, rule["serve"], TARGETING_MATCH, index))
            for index, rule in enumerate(rules)
        )  # fmt: skip
        self._default = _Serve(key, config["default"], DEFAULT if rules else STATIC, None)

    def evaluate(self, context: Context) -> Outcome:
        if self._disabled is not None:
            return self._disabled
        for matches, serve in self._rules:
            if matches(context):
                return serve.pick(context)
        return self._default.pick(context)

    def value_of(self, outcome: Outcome) -> Any:
        return self.values.get(outcome.variant) if outcome.variant is not None else None


def referenced_segments(config: Mapping[str, Any]) -> set[str]:
    """The segment keys a configuration's rules refer to."""
    found: set[str] = set()
    for rule in config.get("rules") or ():
        for condition in rule.get("conditions") or ():
            if condition.get("operator") in SEGMENT_OPERATORS:
                found.update(str(v) for v in condition.get("values") or ())
    return found


def referenced_variants(config: Mapping[str, Any]) -> set[str]:
    """Every variant a configuration can serve (including its off variant)."""
    found = {str(config["off_variant"])}
    serves: Iterable[Mapping[str, Any]] = [config["default"], *(r["serve"] for r in config.get("rules") or ())]
    for serve in serves:
        if serve.get("rollout"):
            found.update(str(split["variant"]) for split in serve["rollout"])
        elif serve.get("variant") is not None:
            found.add(str(serve["variant"]))
    return found


def exposure(config: Mapping[str, Any]) -> float:
    """Share (percent) of the default population served something other than the off variant;
    0 when the flag is off. Rules are left out: it is the fallthrough's exposure."""
    if not config.get("enabled"):
        return 0.0
    off = config["off_variant"]
    serve = config["default"]
    if not serve.get("rollout"):
        return 0.0 if serve.get("variant") == off else 100.0
    points = sum(basis_points(float(s["percent"])) for s in serve["rollout"] if s["variant"] != off)
    return points / 100
