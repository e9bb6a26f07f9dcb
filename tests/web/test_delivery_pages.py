"""Delivery pages over HTTP: run list and page, the event stream, forms with CSRF, the environment view."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunRequest
from tests.delivery.gitrepo import finished, make_repo, wait_for
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, actor_of, make_user, web_login

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: hello
        run: echo "hello from $FACTORY_SERVICE <b>"
  - name: deploy
    environment: prod
    steps:
      - name: go
        run: echo shipped
"""


def _service(runtime: Runtime, tmp_path: Path, owners: tuple[str, ...] = ("fiona", "pavel")) -> None:
    """drone-api, owned by a team of `owners`."""
    team = owning_team(runtime, *owners)
    repo = make_repo(tmp_path / "repo", {".factory/pipeline.yml": PIPELINE}, "Hello (FEAT-3)")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="drone-api",
                name="Drone API",
                owner_team=team,
                repository_url=str(repo.bare),
                environments=[EnvironmentSpec(name="prod", approval_roles=[Role.TEAM])],
            ),
        )


def test_run_from_the_web_approve_and_follow_events(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pavel = make_user(runtime, "pavel", Role.TEAM)
    _service(runtime, tmp_path)
    csrf = web_login(client, fiona)
    page = client.get("/delivery")
    assert page.status_code == 200 and "Run pipeline" in page.text
    no_csrf = client.post("/delivery/runs", data={"service": "drone-api"}, headers={"Origin": "http://testserver"})
    assert no_csrf.status_code == 403
    started = client.post(
        "/delivery/runs",
        data={"service": "drone-api", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    run = wait_for(runtime, run_id, lambda r: r.status == "waiting")
    hello = run.stages[0].steps[0]

    with client.stream("GET", f"/delivery/runs/{run_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        received = ""
        for line in stream.iter_lines():
            received += line + "\n"
            if "event: log" in received and "hello from drone-api" in received:
                break
    assert '"run": "waiting"' in received

    view = client.get(f"/delivery/runs/{run_id}")
    assert "hello from drone-api &lt;b&gt;" in view.text  # escaped
    assert f'data-step-log="{hello.id}"' in view.text and "Approve" in view.text
    self_approval = client.post(
        f"/delivery/deployments/{run.stages[1].deployment_id}/approve",
        data={"comment": "mine", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
    )
    assert self_approval.status_code == 403

    client.cookies.clear()
    csrf = web_login(client, pavel)
    approved = client.post(
        f"/delivery/deployments/{run.stages[1].deployment_id}/approve",
        data={"comment": "Ship it", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    done = wait_for(runtime, run_id, finished)
    assert done.status == "passed"
    with client.stream("GET", f"/delivery/runs/{run_id}/events", params={"c": f"{hello.id}.1.999"}) as stream:
        body = "".join(stream.iter_text())
    assert "event: end" in body and "hello from" not in body  # the cursor says it was seen

    overview = client.get("/delivery")
    assert "What runs where" in overview.text and f"<strong>{done.version}</strong>" in overview.text
    service_page = client.get("/delivery/services/drone-api")
    assert service_page.status_code == 200
    assert done.version in service_page.text and "pavel" in service_page.text and "FEAT-3" in service_page.text
    opened = client.post(
        "/delivery/services/drone-api/incidents",
        data={"environment": "prod", "title": "Props spin backwards", "severity": "sev2", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
        follow_redirects=True,
    )
    assert "Props spin backwards" in opened.text and "heuristic" in opened.text
    bad = client.post(
        "/delivery/services/drone-api/incidents",
        data={"environment": "prod", "title": "", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
    )
    assert bad.status_code == 422 and "title" in bad.text
    assert client.get("/delivery/runs/99999").status_code == 404


def _page(client: TestClient, user: MadeUser, path: str) -> str:
    client.cookies.clear()
    web_login(client, user)
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def test_pages_offer_delivery_actions_only_to_whom_the_policy_allows(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pavel = make_user(runtime, "pavel", Role.TEAM)
    tess = make_user(runtime, "tess", Role.TEAM)  # the team role, in no team
    _service(runtime, tmp_path)
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        started = delivery.start_run(uow, runtime.delivery, "drone-api", RunRequest())
    prod = wait_for(runtime, started.id, lambda r: r.status == "waiting").stages[1].deployment_id
    approve_form = f'action="/delivery/deployments/{prod}/approve"'
    run_path = f"/delivery/runs/{started.id}"

    outsider = _page(client, tess, "/delivery")
    assert ">Run pipeline</button>" not in outsider and 'data-testid="run-why"' in outsider
    outsider = _page(client, tess, run_path)
    assert approve_form not in outsider and ">Cancel run</button>" not in outsider
    assert "only members of the team that owns drone-api (other than who triggered it)" in outsider
    outsider = _page(client, tess, "/delivery/services/drone-api")
    assert ">Open incident</button>" not in outsider and 'data-testid="service-why"' in outsider
    outsider = _page(client, tess, "/catalog/services/drone-api")
    assert 'data-testid="approvals-prod"' not in outsider and 'data-testid="policy-why"' in outsider

    requester = _page(client, fiona, run_path)
    assert approve_form not in requester and "you triggered it" in requester and ">Cancel run</button>" in requester
    assert approve_form in _page(client, pavel, run_path)

    _page(client, fiona, "/catalog/services/drone-api")
    csrf = web_login(client, fiona)
    saved = client.post(
        "/catalog/services/drone-api/environments/prod",
        data={"approval_roles": ["team", "admin"], "approvers": "tess", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Approval policy of prod saved." in saved.text
    with runtime.store.unit_of_work(actor_of(runtime, "tess"), write=False) as uow:
        assert catalog.get_environment(uow, "drone-api", "prod").approvers == ["tess"]
    assert approve_form in _page(client, tess, run_path)  # now in the approver group


OPTION = re.compile(r'<option value="([a-z0-9-]+)">')


def _fleet_of_drones(runtime: Runtime) -> None:
    """25 services owned by fiona's team (drone-00 …), 3 owned by another team (probe-0 …)."""
    team = owning_team(runtime, "fiona")
    other = owning_team(runtime, key="probes")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        for n in range(25):
            catalog.register_service(uow, ServiceCreate(key=f"drone-{n:02d}", name=f"Drone {n:02d}", owner_team=team))
        for n in range(3):
            catalog.register_service(uow, ServiceCreate(key=f"probe-{n}", name=f"Probe {n}", owner_team=other))


def test_the_run_form_picks_a_service_by_typing_its_key(client: TestClient, runtime: Runtime) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pia = make_user(runtime, "pia", Role.PLATFORM)
    _fleet_of_drones(runtime)
    csrf = web_login(client, fiona)
    page = client.get("/delivery").text
    assert '<select name="service"' not in page and 'list="runnable-services"' in page
    assert OPTION.findall(page) == [f"drone-{n:02d}" for n in range(20)]  # the first suggestions, no more
    assert "Those are the services your team owns" in page
    typed = client.get("/delivery/runnable-services", params={"service": "Drone 2"})
    assert typed.status_code == 200 and OPTION.findall(typed.text) == [f"drone-{n:02d}" for n in range(20, 25)]
    assert OPTION.findall(client.get("/delivery/runnable-services", params={"service": "probe"}).text) == []

    def run(service: str) -> tuple[int, str]:
        sent = client.post(
            "/delivery/runs",
            data={"service": service, "csrf_token": csrf},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        return sent.status_code, sent.text

    status, text = run("warp-drive")  # a plain text input, no script: the key is checked when sent
    assert status == 404 and "The pipeline of warp-drive did not start: " in text and 'value="warp-drive"' in text
    status, text = run("  ")
    assert status == 422 and "name the service whose pipeline to run" in text
    status, text = run("probe-0")  # typed, though never suggested: the 403 page says whose it is to run
    assert status == 403 and "members of the team probes" in text

    client.cookies.clear()
    web_login(client, pia)  # the platform runs any service's pipeline
    everyone = client.get("/delivery/runnable-services", params={"service": "o"}).text
    assert (
        len(OPTION.findall(everyone)) == 20
        and "Those are the services your team owns" not in client.get("/delivery").text
    )
    assert OPTION.findall(client.get("/delivery/runnable-services", params={"service": "probe"}).text) == [
        "probe-0",
        "probe-1",
        "probe-2",
    ]
