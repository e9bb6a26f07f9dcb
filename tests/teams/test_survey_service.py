"""The cognitive-load survey through the service: who may answer, monthly scores over time, privacy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime
from digital_factory.core.errors import PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.teams import service as teams
from digital_factory.teams import surveys
from digital_factory.teams.schemas import MemberAdd, SurveyAnswer
from tests.factories import actor_of, make_user
from tests.teams.helpers import drone_teams, fix_clock

CALM = {"effective": 5, "domain-complexity": 2, "breadth": 1, "toil": 1, "tooling": 2, "learning": 5}
BUSY = {"effective": 2, "domain-complexity": 4, "breadth": 4, "toil": 5, "tooling": 4, "learning": 2}


def test_scores_over_time_from_members_answers(runtime: Runtime) -> None:
    drone_teams(runtime)
    make_user(runtime, "felix", Role.TEAM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.add_member(uow, "flight-software", MemberAdd(username="felix"))
    fix_clock(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=CALM, answered_on=date(2026, 3, 12)))
        surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=BUSY, answered_on=date(2026, 5, 4)))
    with runtime.store.unit_of_work(actor_of(runtime, "felix")) as uow:
        may = surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=CALM, answered_on=date(2026, 5, 20)))
    assert may.period == "2026-05" and may.respondents == 2
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        results = surveys.survey_results(uow, "flight-software")
        detail = teams.team_detail(uow, "flight-software")
        latest = surveys.latest_survey_scores(uow)
    assert [(s.period, s.respondents) for s in results.scores] == [("2026-03", 1), ("2026-05", 2)]
    march = results.scores[0]
    # CALM: loads 0, 25, 0, 0, 25, 0 -> index 8.3; intrinsic 12.5; extraneous 12.5; germane 0
    assert (march.index, march.intrinsic, march.extraneous, march.germane) == (8.3, 12.5, 12.5, 0.0)
    assert march.band == "manageable" and march.headline == 5.0
    assert detail.latest_survey == results.scores[-1] == latest["flight-software"]
    assert "power-systems" not in latest
    assert len(results.questions) == 6

    # answering again in the same month replaces the earlier answer
    with runtime.store.unit_of_work(actor_of(runtime, "felix")) as uow:
        again = surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=BUSY, answered_on=date(2026, 5, 28)))
        assert again.index == surveys.survey_results(uow, "flight-software").scores[-1].index
    assert again.respondents == 2
    assert again.band == "overloaded"
    # the audit log records that someone answered, never what
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        entry = list_audit_entries(uow, AuditFilter(action="team.survey"), PageRequest()).items[0]
    assert entry.after == {"period": "2026-05"} and entry.actor_name == "felix"


def test_who_may_answer_and_what_is_refused(runtime: Runtime) -> None:
    drone_teams(runtime)
    clock = fix_clock(runtime)
    for outsider in ("pavel", "vic"):  # another team's member; a read-only viewer
        with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, outsider)) as uow:
            surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=CALM))
    with pytest.raises(ValidationFailed) as future, runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        surveys.submit_survey(
            uow, "flight-software", SurveyAnswer(answers=CALM, answered_on=clock.now().date() + timedelta(days=1))
        )
    assert future.value.problems[0].field == "answered_on"
    incomplete = {k: v for k, v in CALM.items() if k != "toil"} | {"mood": 3}
    with pytest.raises(ValidationFailed) as bad, runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=incomplete))
    assert {p.field for p in bad.value.problems} == {"answers.mood", "answers.toil"}
    with runtime.store.unit_of_work(actor_of(runtime, "fiona"), write=False) as uow:
        assert surveys.survey_results(uow, "flight-software").scores == []
