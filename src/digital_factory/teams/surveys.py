"""The cognitive-load survey's use-cases: answering and the scores over time. Callers own the transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import ValidationFailed
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import cognitive_load, models, queries
from digital_factory.teams.access import require_maintainer, team_row
from digital_factory.teams.schemas import SurveyAnswer, SurveyQuestion, SurveyResults, SurveyScore


def survey_questions() -> list[SurveyQuestion]:
    return list(cognitive_load.QUESTIONS)


def submit_survey(uow: UnitOfWork, team_key: str, data: SurveyAnswer) -> SurveyScore:
    """One person's answers for the month of `answered_on`; answering again that month replaces them.
    Returns the month's score with these answers in it."""
    team = team_row(uow, team_key)
    require_maintainer(uow, team)
    problems = cognitive_load.check_answers(data.answers)
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)
    today = uow.clock.now().date()
    answered_on = data.answered_on or today
    if answered_on > today:
        raise ValidationFailed.on("answered_on", f"is in the future (today is {today.isoformat()})")
    period = cognitive_load.period_of(answered_on)
    existing = uow.session.scalar(
        select(models.SurveyResponse).where(
            models.SurveyResponse.team_id == team.id,
            models.SurveyResponse.respondent_id == uow.actor.user_id,
            models.SurveyResponse.period == period,
        )
    )
    if existing is None or uow.actor.user_id is None:
        existing = models.SurveyResponse(team_id=team.id, respondent_id=uow.actor.user_id, period=period)
        uow.session.add(existing)
    existing.answered_on = answered_on
    existing.answers = dict(data.answers)
    existing.submitted_at = uow.clock.now()
    uow.session.flush()
    record_audit(uow, "team.survey", "team", team.key, after={"period": period})  # answers stay private
    return next(s for s in survey_results(uow, team_key).scores if s.period == period)


def survey_results(uow: UnitOfWork, key: str) -> SurveyResults:
    """The team's scores per month, oldest first. Individual answers are never shown."""
    require(uow.actor, Permission.READ)
    team = team_row(uow, key)
    return SurveyResults(team=team.key, questions=survey_questions(), scores=_scores(uow, [team.id]).get(team.id, []))


def latest_survey_scores(uow: UnitOfWork, teams: Iterable[str] | None = None) -> dict[str, SurveyScore]:
    """Every team's most recent score (or only these teams', e.g. a page of them), by team key."""
    require(uow.actor, Permission.READ)
    query = select(models.Team.id, models.Team.key)
    if teams is not None:
        query = query.where(models.Team.key.in_(set(teams)))
    keys = dict(uow.session.execute(query).all())
    return {keys[tid]: scores[-1] for tid, scores in _scores(uow, keys).items() if scores}


def _scores(uow: UnitOfWork, team_ids: Iterable[int]) -> dict[int, list[SurveyScore]]:
    grouped: dict[int, dict[str, list[dict[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for row in queries.survey_responses(uow.session, team_ids):
        if not cognitive_load.check_answers(row.answers):  # answers from an older question set do not count
            grouped[row.team_id][row.period].append(row.answers)
    return {
        tid: [cognitive_load.score(period, answers) for period, answers in sorted(periods.items())]
        for tid, periods in grouped.items()
    }
