"""Weighted Shortest Job First, pure: no I/O, no store.

    cost of delay = user-business value + time criticality + risk reduction / opportunity enablement
    WSJF          = cost of delay / job size

Every input is a relative estimate on the modified Fibonacci scale (1 2 3 5 8 13 20); anything else is
refused, so a job size can never be 0, negative, fractional or tiny (no division blow-ups, no infinities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from digital_factory.core.errors import FieldProblem, ValidationFailed

SCALE: tuple[int, ...] = (1, 2, 3, 5, 8, 13, 20)
PARTS: tuple[str, ...] = ("user_business_value", "time_criticality", "risk_reduction", "job_size")
LABELS: dict[str, str] = {
    "user_business_value": "user-business value",
    "time_criticality": "time criticality",
    "risk_reduction": "risk reduction / opportunity enablement",
    "job_size": "job size",
}


@dataclass(frozen=True)
class Score:
    """One WSJF estimate: the four inputs. WSJF is always derived, never stored alone."""

    user_business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int

    def __post_init__(self) -> None:
        problems = [
            FieldProblem(name, scale_reason(getattr(self, name))) for name in PARTS if not on_scale(getattr(self, name))
        ]
        if problems:
            raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)

    @property
    def cost_of_delay(self) -> int:
        return cost_of_delay(self.user_business_value, self.time_criticality, self.risk_reduction)

    @property
    def wsjf(self) -> float:
        return wsjf(self.user_business_value, self.time_criticality, self.risk_reduction, self.job_size)

    @property
    def exact(self) -> Fraction:
        """WSJF as an exact fraction: what ranking compares, so equal scores really tie."""
        return Fraction(self.cost_of_delay, self.job_size)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PARTS}


def on_scale(value: object) -> bool:
    # bool is an int in Python; True must not pass for 1
    return isinstance(value, int) and not isinstance(value, bool) and value in SCALE


def scale_reason(value: object) -> str:
    return f"{value!r} is not on the modified Fibonacci scale {', '.join(map(str, SCALE))}"


def require_on_scale(name: str, value: object) -> int:
    if not on_scale(value):
        raise ValidationFailed.on(name, scale_reason(value))
    assert isinstance(value, int)
    return value


def cost_of_delay(user_business_value: int, time_criticality: int, risk_reduction: int) -> int:
    for name, value in zip(PARTS, (user_business_value, time_criticality, risk_reduction), strict=False):
        require_on_scale(name, value)
    return user_business_value + time_criticality + risk_reduction


def wsjf(user_business_value: int, time_criticality: int, risk_reduction: int, job_size: int) -> float:
    """WSJF = (UBV + TC + RR|OE) / job size, each input on the modified Fibonacci scale."""
    delay = cost_of_delay(user_business_value, time_criticality, risk_reduction)
    return delay / require_on_scale("job_size", job_size)


def rank_key(score: Score | None) -> tuple[int, Fraction, int, int]:
    """Sort key, ascending = first: scored before unscored, higher WSJF, then higher cost of delay, then
    smaller job size (the usual tie-breaks)."""
    if score is None:
        return (1, Fraction(0), 0, 0)
    return (0, -score.exact, -score.cost_of_delay, score.job_size)


def columns_without_one(scores: Iterable[Score]) -> list[str]:
    """Relative estimation puts a 1 on the smallest item of every column. The columns that have no 1
    among these scores (a hint that the column is not yet estimated relative to its smallest item)."""
    listed = list(scores)
    if not listed:
        return []
    return [name for name in PARTS if all(getattr(s, name) != 1 for s in listed)]


def score_from(values: Mapping[str, object]) -> Score:
    """A Score from loosely typed input (forms, CSV): integers as text are accepted, names are kept."""
    parsed: dict[str, int] = {}
    problems: list[FieldProblem] = []
    for name in PARTS:
        raw = values.get(name)
        value = _as_int(raw)
        if value is None or not on_scale(value):
            problems.append(FieldProblem(name, scale_reason(raw)))
        else:
            parsed[name] = value
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)
    return Score(**parsed)


def _as_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None
