"""A team, its member and a service with environments, and hooks mapped onto it: made through the services
and the API (the front door), plus senders that sign deliveries the way GitHub, GitLab and CDEvents do."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.delivery import models as delivery_models
from digital_factory.integrations import models
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, make_user

TEAM = "hook-crew"
ENVIRONMENTS = ("staging", "production")


@dataclass
class Target:
    public_id: str
    secret: str
    service: str
    kind: str

    @property
    def url(self) -> str:
        return f"/hooks/{self.kind}?hook={self.public_id}"


def member(runtime: Runtime, username: str = "mia") -> MadeUser:
    user = make_user(runtime, username, Role.TEAM)
    owning_team(runtime, username, key=TEAM)
    return user


def service(runtime: Runtime, key: str, environments: tuple[str, ...] = ENVIRONMENTS) -> str:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key=key,
                name=key.title(),
                owner_team=TEAM,
                environments=[EnvironmentSpec(name=name) for name in environments],
            ),
        )
    return key


def hook(client: TestClient, who: MadeUser, kind: str, service_key: str, *externals: str) -> Target:
    made = client.post("/api/v1/integrations", headers=who.headers, json={"kind": kind, "team": TEAM, "name": kind})
    assert made.status_code == 201, made.text
    public_id, secret = made.json()["hook"]["public_id"], made.json()["secret"]
    for external in externals:
        mapped = client.post(
            f"/api/v1/integrations/{public_id}/mappings",
            headers=who.headers,
            json={"external": external, "service": service_key},
        )
        assert mapped.status_code == 201, mapped.text
    return Target(public_id=public_id, secret=secret, service=service_key, kind=kind)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_github(client: TestClient, target: Target, event: str, payload: Any, delivery: str) -> Any:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature(target.secret, body),
    }
    return client.post(target.url, content=body, headers=headers)


def send_gitlab(client: TestClient, target: Target, event: str, body: bytes, uuid: str) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-Gitlab-Event": event,
        "X-Gitlab-Event-UUID": uuid,
        "X-Gitlab-Token": target.secret,
    }
    return client.post(target.url, content=body, headers=headers)


def stored(runtime: Runtime) -> dict[str, int]:
    """How many rows the webhook path may write: deliveries and delivery's records."""
    tables = {
        "deliveries": models.Delivery,
        "changes": delivery_models.Change,
        "runs": delivery_models.PipelineRun,
        "deployments": delivery_models.Deployment,
        "incidents": delivery_models.Incident,
    }
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return {
            name: uow.session.scalar(select(func.count()).select_from(table)) or 0 for name, table in tables.items()
        }


def changes(runtime: Runtime, service_key: str) -> dict[str, delivery_models.Change]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        service_id = catalog.service_id(uow, service_key)
        rows = uow.session.scalars(
            select(delivery_models.Change).where(delivery_models.Change.service_id == service_id)
        )
        found = {row.sha: row for row in rows}
        uow.session.expunge_all()
        return found
