"""The "Run pipeline" button on a service's delivery page: a hosted repository runs (read in place, no clone
over the server's own git endpoint); a refused run shows why, on the page, in the layout."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from tests.factories import actor_of, make_user, web_login
from tests.platform.support import onboard


def test_run_pipeline_on_a_hosted_service_and_follow_the_links(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    erin = make_user(runtime, "erin", Role.TEAM)
    onboard(runtime, actor_of(runtime, "pia"), members=["erin"])
    csrf = web_login(client, erin)
    page = client.get("/delivery/services/engine-control")
    assert 'name="origin" value="service"' in page.text and 'href="/repositories/engine-control"' in page.text

    started = client.post(
        "/delivery/runs",
        data={"csrf_token": csrf, "service": "engine-control", "origin": "service"},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    run = client.get(started.headers["location"])
    assert run.status_code == 200 and "manual by erin" in run.text
    assert 'data-testid="commit-link"' in run.text and 'href="/repositories/engine-control/commits/' in run.text
    catalog_page = client.get("/catalog/services/engine-control")
    assert 'href="/repositories/engine-control" data-testid="repository-link"' in catalog_page.text


def test_a_refused_run_says_why_on_the_page_it_came_from(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.register_service(uow, ServiceCreate(key="battery-management", name="Battery management"))
    csrf = web_login(client, make_user(runtime, "paul", Role.PLATFORM))
    refused = client.post(
        "/delivery/runs", data={"csrf_token": csrf, "service": "battery-management", "origin": "service"}
    )
    assert refused.status_code == 422
    assert "The pipeline of battery-management did not start" in refused.text
    assert "has no repository to build from" in refused.text
    assert 'class="sidebar"' in refused.text and "<h1>Battery management" in refused.text  # the layout, the page
