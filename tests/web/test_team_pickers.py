"""The team pickers (product backlog and feature pages, the team page, the flow filter, the onboarding form):
each renders the shared typeahead with twenty teams at most, whatever the number of teams, and the handler
behind it refuses a key that names no team."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import FeatureCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate, TeamType
from tests.factories import actor_of, make_user, web_login
from tests.portfolio.builders import ready_epic

ORIGIN = {"Origin": "http://testserver"}
OPTION = re.compile(r'<option value="([a-z0-9-]+)">')


def seed(runtime: Runtime) -> str:
    """30 stream-aligned teams (crew-00 … crew-29), 25 platform teams (rail-00 … rail-24), an epic ready for
    features and one feature; the feature's key."""
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "bea", Role.BOARD)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(30):
            teams.create_team(uow, TeamCreate(key=f"crew-{n:02d}", name=f"Crew {n:02d}"))
        for n in range(25):
            teams.create_team(uow, TeamCreate(key=f"rail-{n:02d}", name=f"Rail {n:02d}", team_type=TeamType.PLATFORM))
    ready_epic(runtime, actor_of(runtime, "bea"))
    make_user(runtime, "paul", Role.PRODUCT)
    with runtime.store.unit_of_work(actor_of(runtime, "paul")) as uow:
        return portfolio.create_feature(uow, FeatureCreate(epic="EPIC-1", title="Bigger batteries")).key


def picker(page: str, datalist_id: str, field: str) -> list[str]:
    """The options a picker offers with the page, after checking it is the shared typeahead."""
    assert f'name="{field}" ' in page and f'list="{datalist_id}"' in page
    assert f'hx-get="/lookup/teams?field={field}' in page
    found = page[page.index(f'<datalist id="{datalist_id}">') :]
    return OPTION.findall(found[: found.index("</datalist>")])


def test_product_pages_offer_twenty_teams_and_refuse_an_unknown_one(client: TestClient, runtime: Runtime) -> None:
    feature = seed(runtime)
    csrf = web_login(client, make_user(runtime, "pat", Role.PRODUCT))
    backlog = client.get("/product/epics/EPIC-1").text
    first = [f"crew-{n:02d}" for n in range(20)]  # by name: the crews come before the rails
    assert picker(backlog, "feature-team-options", "team") == first
    page = client.get(f"/product/features/{feature}").text
    assert picker(page, "feature-team-options", "team") == first
    assert picker(page, "story-team-options", "team") == first

    made = client.post(
        "/product/epics/EPIC-1/features",
        data={"csrf_token": csrf, "title": "Longer flights", "team": "rail-24"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert made.status_code == 303  # any team may be typed, offered or not
    unknown = client.post(
        "/product/epics/EPIC-1/features",
        data={"csrf_token": csrf, "title": "Nowhere", "team": "no-such"},
        headers=ORIGIN,
    )
    assert unknown.status_code in (404, 422) and "no-such" in unknown.text
    assigned = client.post(
        f"/product/features/{feature}/team", data={"csrf_token": csrf, "team": "crew-29"}, headers=ORIGIN
    )
    assert assigned.status_code in (200, 303)
    refused = client.post(
        f"/product/features/{feature}/team", data={"csrf_token": csrf, "team": "no-such"}, headers=ORIGIN
    )
    assert refused.status_code in (404, 422) and "no-such" in refused.text
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        assert portfolio.get_feature(uow, feature).team == "crew-29"


def test_the_team_page_offers_twenty_other_teams(client: TestClient, runtime: Runtime) -> None:
    seed(runtime)
    csrf = web_login(client, make_user(runtime, "ada", Role.ADMIN))
    page = client.get("/teams/crew-03").text
    others = picker(page, "other-team-options", "with_team")
    assert others == [f"crew-{n:02d}" for n in range(21) if n != 3]
    added = client.post(
        "/teams/crew-03/interactions",
        data={"csrf_token": csrf, "with_team": "rail-20", "mode": "x-as-a-service", "direction": "from"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert added.status_code == 200 and "rail-20" in added.text
    unknown = client.post(
        "/teams/crew-03/interactions",
        data={"csrf_token": csrf, "with_team": "no-such", "mode": "x-as-a-service", "direction": "from"},
        headers=ORIGIN,
    )
    assert unknown.status_code in (404, 422) and "no-such" in unknown.text


def test_the_flow_filter_and_the_onboarding_form_offer_twenty_teams(client: TestClient, runtime: Runtime) -> None:
    seed(runtime)
    web_login(client, make_user(runtime, "ada", Role.ADMIN))
    flow = client.get("/insights/flow", params={"team": "crew-25"}).text
    assert picker(flow, "flow-team-options", "team") == [f"crew-{n:02d}" for n in range(20)]
    assert 'name="team" value="crew-25"' in flow  # the chosen team stays in the filter
    unknown = client.get("/insights/flow", params={"team": "no-such"})
    assert "no-such" in unknown.text and 'aria-describedby="team-error"' in unknown.text
    onboard = client.get("/platform/onboard").text
    assert picker(onboard, "platform-team-options", "platform_team") == [f"rail-{n:02d}" for n in range(20)]
    assert "/lookup/teams?field=platform_team&amp;team_type=platform" in onboard


def people_picker(page: str, datalist_id: str, field: str) -> list[str]:
    assert f'name="{field}" ' in page and f'hx-get="/lookup/users?field={field}"' in page
    found = page[page.index(f'<datalist id="{datalist_id}">') :]
    return OPTION.findall(found[: found.index("</datalist>")])


def test_people_pickers_offer_twenty_people(client: TestClient, runtime: Runtime) -> None:
    seed(runtime)
    for n in range(30):
        make_user(runtime, f"user-{n:02d}")
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for username in ("bea", "paul"):
            teams.add_member(uow, "crew-03", MemberAdd(username=username))
    csrf = web_login(client, make_user(runtime, "ada", Role.ADMIN))
    # by username, members left out: ada, pia, user-00 … user-17
    offered = people_picker(client.get("/teams/crew-03").text, "member-candidates-options", "username")
    assert offered == ["ada", "pia", *(f"user-{n:02d}" for n in range(18))]
    joined = client.post(
        "/teams/crew-03/members",
        data={"csrf_token": csrf, "username": "user-29"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert joined.status_code == 200 and "user-29 joined the team." in joined.text
    unknown = client.post("/teams/crew-03/members", data={"csrf_token": csrf, "username": "nobody"}, headers=ORIGIN)
    assert unknown.status_code in (404, 422) and "nobody" in unknown.text

    web_login(client, make_user(runtime, "pat", Role.PRODUCT))
    owners = people_picker(client.get("/portfolio/epics/new").text, "usernames-options", "owner")
    assert owners == ["ada", "bea", "pat", "paul", "pia", *(f"user-{n:02d}" for n in range(15))]
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    assert client.get("/teams/crew-03").status_code == 200
    assert "/lookup/users" not in client.get("/teams/crew-03").text
