"""WSJF: the formula, its properties over the whole scale, and the refusal of anything off the scale."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digital_factory.core.errors import ValidationFailed
from digital_factory.portfolio import wsjf

on_scale = st.sampled_from(wsjf.SCALE)
off_scale = st.one_of(
    st.integers().filter(lambda n: n not in wsjf.SCALE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
PART_NAMES = ("user_business_value", "time_criticality", "risk_reduction")


def test_worked_example_from_the_docs() -> None:
    # docs/portfolio.md: the heavy-lift drone epic
    score = wsjf.Score(user_business_value=20, time_criticality=8, risk_reduction=13, job_size=8)
    assert score.cost_of_delay == 41
    assert score.wsjf == pytest.approx(5.125)
    # and the smaller, more urgent epic that ranks above it
    swarm = wsjf.Score(user_business_value=8, time_criticality=13, risk_reduction=5, job_size=3)
    assert swarm.cost_of_delay == 26 and swarm.wsjf == pytest.approx(8.667, abs=1e-3)
    assert sorted([score, swarm], key=wsjf.rank_key) == [swarm, score]


def _bigger(value: int) -> list[int]:
    return [v for v in wsjf.SCALE if v > value]


@given(st.tuples(on_scale, on_scale, on_scale), on_scale, st.sampled_from(PART_NAMES), st.data())
def test_wsjf_increases_in_each_cost_of_delay_part(
    parts: tuple[int, int, int], size: int, part: str, data: st.DataObject
) -> None:
    values = dict(zip(PART_NAMES, parts, strict=True))
    if not _bigger(values[part]):
        return
    raised = {**values, part: data.draw(st.sampled_from(_bigger(values[part])))}
    before = wsjf.wsjf(values["user_business_value"], values["time_criticality"], values["risk_reduction"], size)
    after = wsjf.wsjf(raised["user_business_value"], raised["time_criticality"], raised["risk_reduction"], size)
    assert after > before


@given(on_scale, on_scale, on_scale, on_scale, st.data())
def test_wsjf_decreases_in_job_size(ubv: int, tc: int, rr: int, size: int, data: st.DataObject) -> None:
    if not _bigger(size):
        return
    larger = data.draw(st.sampled_from(_bigger(size)))
    assert wsjf.wsjf(ubv, tc, rr, larger) < wsjf.wsjf(ubv, tc, rr, size)


@given(on_scale, on_scale, on_scale, on_scale)
def test_wsjf_is_cost_of_delay_over_job_size_and_finite(ubv: int, tc: int, rr: int, size: int) -> None:
    score = wsjf.Score(ubv, tc, rr, size)
    assert score.exact == Fraction(ubv + tc + rr, size)
    assert 3 / 20 <= score.wsjf <= 60
    assert score.wsjf == pytest.approx(float(score.exact))


@given(st.sampled_from((*PART_NAMES, "job_size")), off_scale)
def test_values_off_the_scale_are_refused_naming_the_field(part: str, value: object) -> None:
    values: dict[str, object] = {name: 5 for name in (*PART_NAMES, "job_size")}
    values[part] = value
    with pytest.raises(ValidationFailed) as refused:
        wsjf.Score(**values)  # type: ignore[arg-type]
    assert [p.field for p in refused.value.problems] == [part]
    assert "modified Fibonacci" in refused.value.problems[0].reason
    with pytest.raises(ValidationFailed):
        wsjf.wsjf(*(values[n] for n in (*PART_NAMES, "job_size")))  # type: ignore[arg-type]


def test_zero_and_tiny_job_sizes_never_divide() -> None:
    for size in (0, -1, 5e-324, 0.5):
        with pytest.raises(ValidationFailed):
            wsjf.wsjf(1, 1, 1, size)  # type: ignore[arg-type]


def test_ranking_ties_break_on_cost_of_delay_then_job_size() -> None:
    a = wsjf.Score(2, 1, 1, 2)  # 4/2 = 2
    b = wsjf.Score(5, 3, 2, 5)  # 10/5 = 2, bigger cost of delay
    c = wsjf.Score(1, 1, 1, 3)  # 1
    assert sorted([c, None, a, b], key=wsjf.rank_key) == [b, a, c, None]


def test_score_from_text_and_columns_without_one() -> None:
    score = wsjf.score_from(
        {"user_business_value": "13", "time_criticality": 1, "risk_reduction": "2", "job_size": "3"}
    )
    assert score.as_dict() == {"user_business_value": 13, "time_criticality": 1, "risk_reduction": 2, "job_size": 3}
    with pytest.raises(ValidationFailed) as refused:
        wsjf.score_from({"user_business_value": "4", "time_criticality": "x", "risk_reduction": 1, "job_size": 1})
    assert [p.field for p in refused.value.problems] == ["user_business_value", "time_criticality"]
    assert wsjf.columns_without_one([score, wsjf.Score(2, 3, 1, 5)]) == ["user_business_value", "job_size"]
