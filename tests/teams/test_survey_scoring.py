"""Survey scoring as pure functions, with the worked example of docs/teams.md."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digital_factory.teams import cognitive_load as cl

ALL_THREE = {q.id: 3 for q in cl.QUESTIONS}


def test_questions_cover_every_kind_and_the_headline_question() -> None:
    kinds = {q.kind for q in cl.QUESTIONS}
    assert kinds == {"headline", "intrinsic", "extraneous", "germane"}
    headline = cl.QUESTION_BY_ID[cl.HEADLINE_ID]
    assert headline.kind == "headline" and "respond in a timely fashion" in headline.text
    assert not headline.agree_means_more_load


def test_item_load_runs_both_ways() -> None:
    toil = cl.QUESTION_BY_ID["toil"]  # agreeing means more load
    effective = cl.QUESTION_BY_ID["effective"]  # agreeing means less load
    assert [cl.item_load(toil, a) for a in range(1, 6)] == [0, 25, 50, 75, 100]
    assert [cl.item_load(effective, a) for a in range(1, 6)] == [100, 75, 50, 25, 0]


def test_worked_example() -> None:
    """Two respondents; the numbers are the ones docs/teams.md walks through."""
    first = {"effective": 4, "domain-complexity": 4, "breadth": 2, "toil": 5, "tooling": 4, "learning": 2}
    second = {"effective": 2, "domain-complexity": 3, "breadth": 3, "toil": 4, "tooling": 5, "learning": 3}
    result = cl.score("2026-11", [first, second])
    # per question: effective (25+75)/2=50, domain-complexity (75+50)/2=62.5, breadth (25+50)/2=37.5,
    # toil (100+75)/2=87.5, tooling (75+100)/2=87.5, learning (75+50)/2=62.5
    assert result.intrinsic == 50.0
    assert result.extraneous == 87.5
    assert result.germane == 62.5
    assert result.index == 64.6  # (50 + 62.5 + 37.5 + 87.5 + 87.5 + 62.5) / 6 = 64.58
    assert result.headline == 3.0
    assert result.band == "overloaded"
    assert result.respondents == 2 and result.period == "2026-11"


def test_bands() -> None:
    assert cl.band(0) == "manageable" and cl.band(40) == "manageable"
    assert cl.band(40.1) == "stretched" and cl.band(60) == "stretched"
    assert cl.band(60.1) == "overloaded" and cl.band(100) == "overloaded"
    assert cl.score("2026-01", [ALL_THREE]).index == 50.0


def test_periods_are_calendar_months() -> None:
    assert cl.period_of(date(2026, 3, 31)) == "2026-03"
    assert cl.period_of(date(2026, 12, 1)) == "2026-12"


def test_answer_checks_name_every_problem() -> None:
    answers = {**ALL_THREE, "mood": 4, "toil": 0}
    del answers["learning"]
    problems = [(p.field, p.reason) for p in cl.check_answers(answers)]
    assert problems == [
        ("answers.mood", "no such question"),
        ("answers.learning", "not answered"),
        ("answers.toil", "must be 1 (strongly disagree) to 5 (strongly agree)"),
    ]
    assert cl.check_answers(ALL_THREE) == []


def test_a_score_needs_answers() -> None:
    with pytest.raises(ValueError, match="at least one"):
        cl.score("2026-01", [])


answer_sets = st.fixed_dictionaries({q.id: st.integers(1, 5) for q in cl.QUESTIONS})


@given(st.lists(answer_sets, min_size=1, max_size=12))
def test_scores_stay_in_range_and_the_index_is_the_question_mean(responses: list[dict[str, int]]) -> None:
    result = cl.score("2026-01", responses)
    for value in (result.index, result.intrinsic, result.extraneous, result.germane):
        assert 0 <= value <= 100
    assert 1 <= result.headline <= 5
    loads = [sum(cl.item_load(q, r[q.id]) for r in responses) / len(responses) for q in cl.QUESTIONS]
    assert result.index == pytest.approx(sum(loads) / len(loads), abs=0.051)


@given(answer_sets)
def test_more_toil_never_lowers_the_index(answers: dict[str, int]) -> None:
    if answers["toil"] < 5:
        worse = {**answers, "toil": answers["toil"] + 1}
        assert cl.score("p", [worse]).index >= cl.score("p", [answers]).index
