"""The short cognitive-load survey: its questions and how answers become scores. Pure; no I/O.

Every answer is on a 5-point Likert scale (1 = strongly disagree … 5 = strongly agree). Each answer is
turned into a load between 0 and 100: for statements where agreeing means more load,
`load = (answer - 1) / 4 * 100`; for statements where agreeing means less load (the headline question
and the germane one), `load = (5 - answer) / 4 * 100`. A period's score for a kind is the mean load over
that kind's questions and every respondent; the index is the mean over all questions (each question
weighs the same). See docs/teams.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from statistics import fmean

from digital_factory.core.errors import FieldProblem
from digital_factory.teams.schemas import LoadKind, SurveyQuestion, SurveyScore

# (id, kind, statement, whether agreeing means more load)
_ITEMS: tuple[tuple[str, LoadKind, str, bool], ...] = (
    (
        "effective",
        LoadKind.HEADLINE,
        "We feel effective and able to respond in a timely fashion to the work we are asked to do.",
        False,
    ),
    (
        "domain-complexity",
        LoadKind.INTRINSIC,
        "The problems in the domains we own are hard: changing them safely needs deep specialist knowledge.",
        True,
    ),
    (
        "breadth",
        LoadKind.INTRINSIC,
        "We own more different things (services, domains, technologies) than we can keep in our heads.",
        True,
    ),
    (
        "toil",
        LoadKind.EXTRANEOUS,
        "Getting a change to production takes manual steps, tickets or waiting for other teams.",
        True,
    ),
    ("tooling", LoadKind.EXTRANEOUS, "Our tools, pipelines and environments get in the way more than they help.", True),
    (
        "learning",
        LoadKind.GERMANE,
        "We have enough time and focus to learn our domain and improve how we solve our users' problems.",
        False,
    ),
)
QUESTIONS: tuple[SurveyQuestion, ...] = tuple(
    SurveyQuestion(id=id_, kind=kind, text=text, agree_means_more_load=more) for id_, kind, text, more in _ITEMS
)
QUESTION_BY_ID = {q.id: q for q in QUESTIONS}
HEADLINE_ID = "effective"

# Bands of the index [I]: the product's reading, not a published scale.
BANDS: tuple[tuple[float, str], ...] = ((40.0, "manageable"), (60.0, "stretched"), (100.0, "overloaded"))
OVERLOADED_FROM = 60.0


def check_answers(answers: Mapping[str, int]) -> list[FieldProblem]:
    """Every question answered exactly once, each with 1-5; nothing else."""
    problems = [
        FieldProblem(f"answers.{key}", "no such question") for key in sorted(answers) if key not in QUESTION_BY_ID
    ]
    problems += [FieldProblem(f"answers.{q.id}", "not answered") for q in QUESTIONS if q.id not in answers]
    problems += [
        FieldProblem(f"answers.{key}", "must be 1 (strongly disagree) to 5 (strongly agree)")
        for key, value in sorted(answers.items())
        if key in QUESTION_BY_ID and not 1 <= value <= 5
    ]
    return problems


def item_load(question: SurveyQuestion, answer: int) -> float:
    """One answer as load, 0-100."""
    steps = answer - 1 if question.agree_means_more_load else 5 - answer
    return steps / 4 * 100


def period_of(day: date) -> str:
    """Surveys are aggregated per calendar month."""
    return f"{day.year:04d}-{day.month:02d}"


def band(index: float) -> str:
    return next(name for upper, name in BANDS if index <= upper)


def score(period: str, responses: Sequence[Mapping[str, int]]) -> SurveyScore:
    """A period's scores from its respondents' complete answer sets."""
    if not responses:
        raise ValueError("a score needs at least one response")
    per_question = {q.id: fmean(item_load(q, r[q.id]) for r in responses) for q in QUESTIONS}

    def kind_mean(kind: LoadKind) -> float:
        return round(fmean(per_question[q.id] for q in QUESTIONS if q.kind is kind), 1)

    index = round(fmean(per_question.values()), 1)
    return SurveyScore(
        period=period,
        respondents=len(responses),
        index=index,
        intrinsic=kind_mean(LoadKind.INTRINSIC),
        extraneous=kind_mean(LoadKind.EXTRANEOUS),
        germane=kind_mean(LoadKind.GERMANE),
        headline=round(fmean(r[HEADLINE_ID] for r in responses), 2),
        band=band(index),
    )
