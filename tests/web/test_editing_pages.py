"""Editing in the web: themes (with their key results), a feature's title and hypothesis, a story's text,
and value streams; refusals name the reason and store nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ValueStreamCreate
from digital_factory.core.actor import system_actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import FeatureCreate, KeyResultSpec, StoryCreate, ThemeCreate
from tests.factories import actor_of, make_user, web_login
from tests.portfolio.builders import ready_epic

ORIGIN = {"Origin": "http://testserver"}


def test_a_theme_is_edited_in_the_web_and_key_results_say_no_data_yet(client: TestClient, runtime: Runtime) -> None:
    board = make_user(runtime, "bea", Role.BOARD)
    with runtime.store.unit_of_work(actor_of(runtime, "bea")) as uow:
        portfolio.create_theme(
            uow,
            ThemeCreate(
                objective="Grow heavy lift",
                key_results=[
                    KeyResultSpec(description="Share", target=15, unit="%", metric_query="sum(units_sold[30d])")
                ],
            ),
        )
    csrf = web_login(client, board)
    page = client.get("/portfolio/themes").text
    assert 'action="/portfolio/themes/THEME-1"' in page and 'value="Grow heavy lift"' in page
    assert "Now: no data yet" in page  # honest: nothing evaluates key results yet
    form = {
        "csrf_token": csrf,
        "objective": "Grow heavy-lift market share",
        "description": "Bigger payloads",
        "kr_0_description": "Share",
        "kr_0_baseline": "8",
        "kr_0_target": "20",
        "kr_0_unit": "%",
        "kr_1_description": "Revenue",
        "kr_1_target": "5",
        "kr_1_unit": "M EUR",
        "valid_from": "2027-01-01",
    }
    saved = client.post("/portfolio/themes/THEME-1", data=form, headers=ORIGIN, follow_redirects=True)
    assert saved.status_code == 200
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        theme = portfolio.get_theme(uow, "THEME-1")
    assert (theme.objective, theme.description, str(theme.valid_from)) == (
        "Grow heavy-lift market share",
        "Bigger payloads",
        "2027-01-01",
    )
    assert [(k.description, k.baseline, k.target, k.unit, k.metric_query) for k in theme.key_results] == [
        ("Share", 8, 20, "%", None),
        ("Revenue", None, 5, "M EUR", None),
    ]
    bad = client.post(
        "/portfolio/themes/THEME-1",
        data={**form, "objective": "Changed", "valid_to": "2026-01-01"},
        headers=ORIGIN,
    )
    assert bad.status_code == 422 and "valid_to" in bad.text
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        assert portfolio.get_theme(uow, "THEME-1").objective == "Grow heavy-lift market share"  # nothing stored
    # a product manager may not change the board's themes, and is not offered the form
    paul = make_user(runtime, "paul", Role.PRODUCT)
    client.cookies.clear()
    csrf = web_login(client, paul)
    assert 'action="/portfolio/themes/THEME-1"' not in client.get("/portfolio/themes").text
    refused = client.post("/portfolio/themes/THEME-1", data={**form, "csrf_token": csrf}, headers=ORIGIN)
    assert refused.status_code == 403


def test_feature_and_story_text_are_edited_in_the_web(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bea", Role.BOARD)
    ready_epic(runtime, actor_of(runtime, "bea"))
    paul = make_user(runtime, "paul", Role.PRODUCT)
    with runtime.store.unit_of_work(actor_of(runtime, "paul")) as uow:
        feature = portfolio.create_feature(uow, FeatureCreate(epic="EPIC-1", title="Bigger batteries"))
        story = portfolio.create_story(uow, StoryCreate(feature=feature.key, title="Cells", points=3))
    csrf = web_login(client, paul)
    page = client.get(f"/product/features/{feature.key}").text
    assert f'action="/product/features/{feature.key}/edit"' in page
    assert f'action="/product/stories/{story.key}/edit"' in page
    edited = client.post(
        f"/product/features/{feature.key}/edit",
        data={
            "csrf_token": csrf,
            "title": "Bigger, lighter batteries",
            "benefit_hypothesis": "Heavier payloads fly 20 % longer",
            "acceptance_criteria": "30 min with 5 kg\n\nCharges in 1 h",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert edited.status_code == 200 and "Bigger, lighter batteries" in edited.text
    told = client.post(
        f"/product/stories/{story.key}/edit",
        data={
            "csrf_token": csrf,
            "feature": feature.key,
            "title": "Cell chemistry",
            "description": "As a pilot, I want longer flights so that I carry more",
            "points": "",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert told.status_code == 200 and "As a pilot, I want longer flights" in told.text
    empty = client.post(f"/product/features/{feature.key}/edit", data={"csrf_token": csrf, "title": ""}, headers=ORIGIN)
    assert empty.status_code == 422 and "title" in empty.text
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        f = portfolio.get_feature(uow, feature.key)
        s = portfolio.get_story(uow, story.key)
    assert (f.title, f.benefit_hypothesis, f.acceptance_criteria) == (
        "Bigger, lighter batteries",
        "Heavier payloads fly 20 % longer",
        ["30 min with 5 kg", "Charges in 1 h"],
    )
    assert (s.title, s.description, s.points) == (
        "Cell chemistry",
        "As a pilot, I want longer flights so that I carry more",
        None,
    )


def test_a_value_stream_is_edited_in_the_web(client: TestClient, runtime: Runtime) -> None:
    pia = make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.create_value_stream(uow, ValueStreamCreate(key="heavy-lift", name="Heavy lift"))
        catalog.create_value_stream(uow, ValueStreamCreate(key="mapping", name="Mapping"))
    csrf = web_login(client, pia)
    assert 'action="/catalog/value-streams/heavy-lift"' in client.get("/catalog").text
    saved = client.post(
        "/catalog/value-streams/heavy-lift",
        data={"csrf_token": csrf, "name": "Heavy-lift drones", "description": "Payloads over 5 kg"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Value stream Heavy-lift drones saved." in saved.text
    taken = client.post(
        "/catalog/value-streams/mapping", data={"csrf_token": csrf, "name": "Heavy-lift drones"}, headers=ORIGIN
    )
    assert taken.status_code == 409 and "already exists" in taken.text
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        streams = {v.key: (v.name, v.description) for v in catalog.list_value_streams(uow)}
    assert streams == {"heavy-lift": ("Heavy-lift drones", "Payloads over 5 kg"), "mapping": ("Mapping", "")}
