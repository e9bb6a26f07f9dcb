"""The WSJF backlog's scoring table a page at a time: ranks count from the top of the whole backlog."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate, EpicState, KanbanConfigUpdate, MoveRequest, ScoreInput
from tests.factories import make_user, web_login
from tests.portfolio.builders import HYPOTHESIS, people

RANKED = re.compile(r'<tr data-epic="(EPIC-\d+)">\s*<td>(\d+)</td>')


def test_the_backlog_pages_its_scoring_table(client: TestClient, runtime: Runtime) -> None:
    board, _ = people(runtime)
    with runtime.store.unit_of_work(board) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits=dict.fromkeys(EpicState)))
        for n in range(60):  # job sizes 1 … 13: the larger n, the lower the WSJF
            score = ScoreInput(
                user_business_value=20, time_criticality=1, risk_reduction=1, job_size=(1, 2, 3, 5, 8, 13)[n // 10]
            )
            made = portfolio.create_epic(uow, EpicCreate(title=f"Idea {n}", hypothesis=HYPOTHESIS, score=score))
            portfolio.move_epic(uow, made.key, MoveRequest(to="reviewing"))
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    first = client.get("/portfolio/backlog").text
    rows = RANKED.findall(first)
    assert len(rows) == 50 and [int(rank) for _, rank in rows] == list(range(1, 51))
    assert "showing 1–50 of 60 epics" in first and 'rel="next" href="/portfolio/backlog?offset=50"' in first
    second = client.get("/portfolio/backlog", params={"offset": 50}).text
    assert [int(rank) for _, rank in RANKED.findall(second)] == list(range(51, 61))
    assert {key for key, _ in RANKED.findall(second)}.isdisjoint(key for key, _ in rows)
    assert 'rel="prev" href="/portfolio/backlog"' in second
