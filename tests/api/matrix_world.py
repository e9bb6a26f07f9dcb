"""The objects the authorization matrix acts on, made through the API and the services (the front door).

`svc` belongs to the team `owners` (olly, and rita who requests what needs a second person); otto is in
`others`, lone has the team role and no team, pia is platform (in no team), ada admin, vic a viewer.
Objects a successful request would use up (a pending approval, a run to cancel, a secret to delete) come from
a stock: `take` hands out the current one and the matrix drops it after any 2xx, so every answer is about
the caller's permission, not about what an earlier caller left behind."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, TokenCreate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from tests.delivery.gitrepo import finished, make_repo, wait_for, waiting
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, make_user

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: package
        run: echo built
  - name: deploy-dev
    environment: dev
    steps:
      - name: go
        run: echo "dev runs $FACTORY_VERSION"
  - name: deploy-prod
    environment: prod
    steps:
      - name: go
        run: echo "prod runs $FACTORY_VERSION"
"""
BROKEN = "version: 1\nstages:\n  - name: build\n    steps:\n      - name: package\n        run: exit 3\n"
ENVIRONMENTS = [{"name": "dev", "approval_roles": []}, {"name": "prod", "approval_roles": ["team", "admin"]}]

# persona -> (username, role); "anonymous" sends no credentials, "requester" asks for what needs a second person
PEOPLE = {
    "viewer": ("vic", Role.VIEWER),
    "member": ("olly", Role.TEAM),
    "other_team": ("otto", Role.TEAM),
    "no_team": ("lone", Role.TEAM),
    "platform": ("pia", Role.PLATFORM),
    "admin": ("ada", Role.ADMIN),
    "requester": ("rita", Role.TEAM),
}


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    home: Path
    people: dict[str, MadeUser]
    stock: dict[str, Any] = field(default_factory=dict)
    taken: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def n(self) -> int:
        return next(self.counter)

    def send(self, method: str, path: str, who: str = "admin", body: Any = None) -> Any:
        """A request by `who` that must succeed (setting the scene); its JSON answer."""
        answer = self.client.request(method, f"/api/v1{path}", headers=self.people[who].headers, json=body)
        assert answer.status_code < 300, (method, path, who, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def take(self, kind: str, make: Callable[[World], Any]) -> Any:
        """The current object of `kind` (made when there is none); used up when the request succeeds."""
        if kind not in self.stock:
            self.stock[kind] = make(self)
        self.taken.append(kind)
        return self.stock[kind]

    def settle(self, status: int) -> None:
        if 200 <= status < 300:
            for kind in self.taken:
                self.stock.pop(kind, None)
        self.taken.clear()


def build_world(client: TestClient, runtime: Runtime, home: Path) -> World:
    people = {persona: make_user(runtime, name, role) for persona, (name, role) in PEOPLE.items()}
    make_user(runtime, "uma", Role.VIEWER)
    owning_team(runtime, "olly", "rita", key="owners")
    owning_team(runtime, "otto", key="others")
    owning_team(runtime, key="third")
    w = World(client, runtime, home, people)
    for key, pipeline in (("svc", PIPELINE), ("svc-broken", BROKEN)):
        repo = make_repo(home / key, {".factory/pipeline.yml": pipeline})
        body = {"key": key, "name": key, "owner_team": "owners", "repository_url": str(repo.bare)}
        w.send("POST", "/services", "platform", {**body, "environments": ENVIRONMENTS})
    w.send("POST", "/services", "platform", {"key": "lib", "name": "lib", "owner_team": "others"})
    w.send("POST", "/epics", "admin", {"title": "Matrix epic"})
    w.send("POST", "/features", "admin", {"epic": "EPIC-1", "title": "Matrix feature", "team": "owners"})
    w.facts["story"] = new_story(w)
    w.send("POST", "/services/svc/flags", "requester", {"key": "shared"})
    w.facts["theme"] = w.send("POST", "/themes", "admin", {"objective": "Fly further"})["key"]
    w.send("POST", "/value-streams", "admin", {"key": "flight", "name": "Flight"})
    w.facts["domain"] = new_domain(w)
    w.facts["interaction"] = new_interaction(w)
    first = waiting_run(w)
    waiting_run(w)  # a second dev deployment, so rolling back to the first is a real change
    w.facts["dev_deployment"] = first["dev"]
    return w


def waiting_run(w: World) -> dict[str, int]:
    """A run of svc started by rita: deployed to dev, waiting at prod for a second person."""
    run_id = w.send("POST", "/services/svc/runs", "requester", {})["id"]
    run = wait_for(w.runtime, run_id, waiting)
    dev, prod = run.stages[1].deployment_id, run.stages[2].deployment_id
    assert run.status == "waiting" and dev is not None and prod is not None, run.model_dump_json(indent=1)
    return {"run": run_id, "dev": dev, "prod": prod}


def failed_step(w: World) -> str:
    run_id = w.send("POST", "/services/svc-broken/runs", "requester", {})["id"]
    run = wait_for(w.runtime, run_id, finished)
    return f"/runs/{run_id}/steps/{run.stages[0].steps[0].id}/retry"


def new_story(w: World) -> str:
    body = {"feature": "FEAT-1", "title": f"Story {w.n()}", "team": "owners"}
    return str(w.send("POST", "/stories", "admin", body)["key"])


def new_domain(w: World) -> str:
    body = {"name": f"Domain {w.n()}", "complexity": "complicated"}
    return str(w.send("POST", "/teams/owners/domains", "admin", body)["key"])


def new_team(w: World) -> str:
    key = f"team-{w.n()}"
    w.send("POST", "/teams", "admin", {"key": key, "name": key})
    return key


def new_interaction(w: World) -> int:
    body = {"team": "owners", "with_team": new_team(w), "mode": "collaboration"}
    return int(w.send("POST", "/interactions", "admin", body)["id"])


def new_member(w: World) -> str:
    name = f"spare{w.n()}"
    make_user(w.runtime, name, Role.TEAM)
    w.send("POST", "/teams/owners/members", "admin", {"username": name})
    return name


def new_flag(w: World) -> str:
    key = f"flag-{w.n()}"
    w.send("POST", "/services/svc/flags", "requester", {"key": key})
    return key


def pending_change(w: World) -> str:
    """A change of a new flag in prod, requested by rita, waiting for a second person."""
    path = f"/services/svc/flags/{new_flag(w)}/environments/prod/changes"
    return str(w.send("POST", path, "requester", {"enabled": True})["key"])


def new_token(w: World) -> str:
    with w.runtime.store.unit_of_work(system_actor("tests")) as uow:
        made = accounts.create_token(uow, w.runtime.digester, "uma", TokenCreate(name=f"t{w.n()}"))
    return made.token.public_id


def template_source(w: World) -> str:
    return str(w.runtime.platform.template_dir("python-service"))
