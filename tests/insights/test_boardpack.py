"""The board pack through the services and the API: sections, decisions due, a self-contained file."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.boardpack import DecisionsSection, EpicsSection
from tests.factories import actor_of, make_user
from tests.insights.boardpack_data import portfolio_for_q4

EXTERNAL = re.compile(r"""(https?:|//[a-z0-9]|["'(=]\s*/static/|\bsrc=|<link\b|@import)""", re.IGNORECASE)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-Q4", "2026-10-01", "2027-01-01"),
        ("2026-11", "2026-11-01", "2026-12-01"),
        ("2026", "2026-01-01", "2027-01-01"),
        (" 2026-q1 ", "2026-01-01", "2026-04-01"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    period = insights.parse_period(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26", "Q4-2026", "1999", ""])
def test_bad_periods_say_the_forms(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        insights.parse_period(text)
    assert refused.value.problems[0].field == "period"


def test_the_pack_lists_every_epic_and_the_decisions_due(runtime: Runtime) -> None:
    keys = portfolio_for_q4(runtime)
    make_user(runtime, "vic", Role.VIEWER)
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        pack = insights.board_pack(uow, "2026-Q4")
    assert [s.block for s in pack.sections] == ["epics", "hypotheses", "decisions", "dora", "flow", "attribution"]
    epics, decisions = pack.sections[0], pack.sections[2]
    assert isinstance(epics, EpicsSection) and isinstance(decisions, DecisionsSection)
    assert sorted(e.key for e in epics.epics) == sorted(keys.values())
    # ready epics scored (20 + 8 + 13) / 8 = 5.125 come first; the unscored two after
    assert [e.wsjf for e in epics.epics][:2] == [5.125, 5.125]
    assert dict(epics.per_state) == {"funnel": 2, "ready": 1, "implementing": 1}
    assert [(d.key, d.deadline.isoformat(), d.overdue) for d in decisions.due] == [
        (keys["overdue"], "2026-08-01", True),
        (keys["due"], "2026-12-15", False),
    ]
    html = insights.render_board_pack(pack)
    assert html.count('data-decision="') == 2 and html.count('data-epic="') == 4
    assert "logistics companies" in html and "<svg" in html


def test_the_api_serves_a_self_contained_attachment(runtime: Runtime, client: TestClient) -> None:
    keys = portfolio_for_q4(runtime)
    viewer = make_user(runtime, "vic", Role.VIEWER)
    headers = {"Authorization": f"Bearer {viewer.token}"}
    response = client.get("/api/v1/insights/board-pack", params={"period": "2026-Q4"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"] == 'attachment; filename="board-pack-2026-Q4.html"'
    assert keys["due"] in response.text
    assert EXTERNAL.search(response.text) is None, EXTERNAL.search(response.text)

    refused = client.get("/api/v1/insights/board-pack", params={"period": "2026-Q9"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "period"
