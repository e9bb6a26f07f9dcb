"""One valid request per state-changing operation of the API, on the matrix's objects (see matrix_world).

Each entry maps "METHOD /route" (as the OpenAPI document spells it) to a function of the world giving the
path to call and the JSON body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.matrix_world import (
    PIPELINE,
    World,
    failed_step,
    new_domain,
    new_flag,
    new_interaction,
    new_member,
    new_story,
    new_team,
    new_token,
    pending_change,
    template_source,
    waiting_run,
)
from tests.factories import make_user

Call = tuple[str, Any]
SVC = "/services/svc"
FLAG = f"{SVC}/flags/shared"
HYPOTHESIS = ("for_customers", "who", "the_solution", "is_a", "that", "unlike", "our_solution")
SCORES = {"user_business_value": 5, "time_criticality": 3, "risk_reduction": 2, "job_size": 3}


def _secret(w: World) -> str:
    name = f"GONE_{w.n()}"
    w.send("PUT", f"{SVC}/secrets/{name}", "admin", {"value": "a-secret-to-delete"})
    return name


def _segment(w: World) -> str:
    key = f"seg-{w.n()}"
    w.send("PUT", f"{SVC}/environments/dev/segments/{key}", "admin", {"key": key, "included": ["a"]})
    return key


def _dependency(w: World) -> str:
    key = f"dep-{w.n()}"
    w.send("POST", "/services", "admin", {"key": key, "name": key, "owner_team": "others"})
    w.send("POST", f"{SVC}/dependencies", "admin", {"on": key})
    return key


def _team_document(w: World) -> dict[str, Any]:
    document: dict[str, Any] = w.send("GET", "/teams/third/team-api", "admin")
    key = f"imported-{w.n()}"
    return {**document, "info": {**document["info"], "key": key, "name": key}, "members": []}


def _epic(w: World) -> str:
    """An epic with its hypothesis statement, so it may move to Reviewing."""
    hypothesis = dict.fromkeys(HYPOTHESIS, "drones")
    return str(w.send("POST", "/epics", "admin", {"title": f"Epic {w.n()}", "hypothesis": hypothesis})["key"])


def _reviewed_epic(w: World) -> str:
    key = _epic(w)
    w.send("POST", f"/epics/{key}/moves", "admin", {"to": "reviewing"})
    return key


def _feature(w: World) -> str:
    return str(w.send("POST", "/features", "admin", {"epic": "EPIC-1", "title": f"F {w.n()}", "team": "owners"})["key"])


def _value_stream(w: World) -> str:
    key = f"vs-{w.n()}"
    w.send("POST", "/value-streams", "admin", {"key": key, "name": key})
    return key


def _archived_team(w: World) -> str:
    key = new_team(w)
    w.send("POST", f"/teams/{key}/archive", "admin")
    return key


def _new_hook(w: World) -> str:
    body = {"kind": "github", "team": "owners", "name": f"hook {w.n()}"}
    return str(w.send("POST", "/integrations", "admin", body)["hook"]["public_id"])


def _standing_hook(w: World) -> str:
    if "hook" not in w.facts:
        w.facts["hook"] = _new_hook(w)
    return str(w.facts["hook"])


def _mapping(w: World) -> str:
    external = f"o/mapped-{w.n()}"
    w.send("POST", f"/integrations/{_standing_hook(w)}/mappings", "admin", {"external": external, "service": "svc"})
    return f"/integrations/{_standing_hook(w)}/mappings?external={external}"


def _public_id(w: World, path: str, body: dict[str, Any]) -> str:
    made = w.send("POST", path, "admin", body)
    return str(made.get("public_id") or made["key"]["public_id"])


CALLS: dict[str, Callable[[World], Call]] = {
    # catalog
    "POST /services": lambda w: ("/services", {"key": f"new-{w.n()}", "name": "New", "owner_team": "owners"}),
    "PATCH /services/{key}": lambda w: (SVC, {"description": "Steers the drone"}),
    "POST /services/{key}/dependencies": lambda w: (f"{SVC}/dependencies", {"on": _fresh_service(w)}),
    "DELETE /services/{key}/dependencies/{on}": lambda w: (
        f"{SVC}/dependencies/{w.take('dependency', _dependency)}",
        None,
    ),
    "POST /services/{key}/work": lambda w: (f"{SVC}/work", {"key": _feature(w)}),
    "PUT /services/{key}/environments/{environment}": lambda w: (
        f"{SVC}/environments/prod",
        {"approval_roles": ["team", "admin"], "approvers": []},
    ),
    "PUT /services/{key}/environments/{environment}/delivery-policy": lambda w: (
        f"{SVC}/environments/prod/delivery-policy",
        {"required_approvals": 1},
    ),
    "PUT /services/{key}/egress-policy": lambda w: (f"{SVC}/egress-policy", {"egress": w.n() % 2 == 0}),
    "POST /services/{key}/ingestion-keys": lambda w: (f"{SVC}/ingestion-keys", {"name": f"ingest {w.n()}"}),
    "POST /services/{key}/ingestion-keys/{public_id}/revoke": lambda w: (
        f"{SVC}/ingestion-keys/{w.take('ingestion', lambda w: _public_id(w, f'{SVC}/ingestion-keys', {}))}/revoke",
        None,
    ),
    "POST /value-streams": lambda w: ("/value-streams", _named(f"vs-new-{w.n()}")),
    "PATCH /value-streams/{key}": lambda w: ("/value-streams/flight", {"description": "Everything that flies"}),
    "DELETE /value-streams/{key}": lambda w: (f"/value-streams/{w.take('value-stream', _value_stream)}", None),
    # delivery
    "PUT /services/{key}/secrets/{name}": lambda w: (f"{SVC}/secrets/DEPLOY_TOKEN", {"value": "a-deploy-token"}),
    "DELETE /services/{key}/secrets/{name}": lambda w: (f"{SVC}/secrets/{w.take('secret', _secret)}", None),
    "POST /services/{key}/runs": lambda w: (f"{SVC}/runs", {}),
    "POST /runs/{run_id}/cancel": lambda w: (f"/runs/{w.take('run', waiting_run)['run']}/cancel", None),
    "POST /runs/{run_id}/steps/{step_id}/retry": lambda w: (w.take("failed", failed_step), None),
    "POST /services/{key}/environments/{environment}/rollback": lambda w: (
        f"{SVC}/environments/dev/rollback",
        {"to_deployment": w.facts["dev_deployment"]},
    ),
    "POST /deployments/{deployment_id}/approve": lambda w: (
        f"/deployments/{w.take('approve', waiting_run)['prod']}/approve",
        {"comment": "ship it"},
    ),
    "POST /deployments/{deployment_id}/reject": lambda w: (
        f"/deployments/{w.take('reject', waiting_run)['prod']}/reject",
        {"comment": "not now"},
    ),
    "POST /incidents": lambda w: ("/incidents", {"service": "svc", "environment": "prod", "title": "Drift"}),
    "POST /incidents/{key}/resolve": lambda w: (
        f"/incidents/{w.take('incident', _incident)}/resolve",
        {"resolution": "Recalibrated"},
    ),
    "POST /pipelines/lint": lambda w: ("/pipelines/lint", {"content": PIPELINE}),
    # integrations
    "POST /integrations": lambda w: ("/integrations", {"kind": "gitlab", "team": "owners", "name": f"hook {w.n()}"}),
    "POST /integrations/{public_id}/rotate": lambda w: (f"/integrations/{_standing_hook(w)}/rotate", None),
    "POST /integrations/{public_id}/mappings": lambda w: (
        f"/integrations/{_standing_hook(w)}/mappings",
        {"external": f"o/r-{w.n()}", "service": "svc"},
    ),
    "DELETE /integrations/{public_id}/mappings": lambda w: (w.take("mapping", _mapping), None),
    "DELETE /integrations/{public_id}": lambda w: (f"/integrations/{w.take('hook', _new_hook)}", None),
    # releases
    "POST /services/{service}/flags": lambda w: (f"{SVC}/flags", {"key": f"new-flag-{w.n()}"}),
    "PATCH /services/{service}/flags/{flag}": lambda w: (FLAG, {"name": "Shared flag"}),
    "POST /services/{service}/flags/{flag}/archive": lambda w: (
        f"{SVC}/flags/{w.take('flag', new_flag)}/archive",
        None,
    ),
    "POST /services/{service}/flags/{flag}/environments/{environment}/changes": lambda w: (
        f"{FLAG}/environments/dev/changes",
        {"enabled": True},
    ),
    "POST /services/{service}/flags/{flag}/environments/{environment}/rollout": lambda w: (
        f"{FLAG}/environments/dev/rollout",
        {"percent": 10},
    ),
    "POST /services/{service}/flags/{flag}/environments/{environment}/kill": lambda w: (
        f"{FLAG}/environments/prod/kill",
        {"reason": "drones drift"},
    ),
    "POST /services/{service}/flags/{flag}/preview": lambda w: (f"{FLAG}/preview", {"context": {"targetingKey": "d"}}),
    "POST /flag-changes/{key}/approve": lambda w: (f"/flag-changes/{w.take('fc-a', pending_change)}/approve", {}),
    "POST /flag-changes/{key}/reject": lambda w: (f"/flag-changes/{w.take('fc-r', pending_change)}/reject", {}),
    "POST /flag-changes/{key}/cancel": lambda w: (f"/flag-changes/{w.take('fc-c', pending_change)}/cancel", None),
    "PUT /services/{service}/environments/{environment}/segments/{segment}": lambda w: (
        f"{SVC}/environments/dev/segments/pilots",
        {"key": "pilots", "included": ["alice"]},
    ),
    "DELETE /services/{service}/environments/{environment}/segments/{segment}": lambda w: (
        f"{SVC}/environments/dev/segments/{w.take('segment', _segment)}",
        None,
    ),
    "POST /services/{service}/client-keys": lambda w: (f"{SVC}/client-keys", {"environment": "dev", "name": "app"}),
    "POST /client-keys/{public_id}/revoke": lambda w: (
        f"/client-keys/{w.take('client-key', lambda w: _public_id(w, f'{SVC}/client-keys', {'environment': 'dev'}))}"
        "/revoke",
        None,
    ),
    # platform
    "POST /templates": lambda w: ("/templates", {"key": f"tpl-{w.n()}", "name": "Copy", "source": template_source(w)}),
    "POST /templates/{key}/refresh": lambda w: ("/templates/python-service/refresh", None),
    "PUT /templates/{key}/trust": lambda w: ("/templates/python-service/trust", {"trusted": False}),
    "POST /onboardings": lambda w: (
        "/onboardings",
        _onboarding(w.n()),
    ),
    "POST /fleet/upgrades": lambda w: ("/fleet/upgrades", {"all": True}),
    # teams
    "POST /teams": lambda w: ("/teams", {"key": f"new-team-{w.n()}", "name": "New team"}),
    "POST /teams/import": lambda w: ("/teams/import", _team_document(w)),
    "PATCH /teams/{key}": lambda w: ("/teams/owners", {"mission": "Keep drones steady"}),
    "POST /teams/{key}/archive": lambda w: (f"/teams/{w.take('team', new_team)}/archive", None),
    "POST /teams/{key}/restore": lambda w: (f"/teams/{w.take('archived', _archived_team)}/restore", None),
    "POST /teams/{key}/members": lambda w: ("/teams/owners/members", {"username": _spare_user(w)}),
    "PATCH /teams/{key}/members/{username}": lambda w: ("/teams/owners/members/rita", {"team_role": "engineer"}),
    "DELETE /teams/{key}/members/{username}": lambda w: (
        f"/teams/owners/members/{w.take('member', new_member)}",
        None,
    ),
    "POST /teams/{key}/domains": lambda w: (
        "/teams/owners/domains",
        {"name": f"Domain n{w.n()}", "complexity": "simple"},
    ),
    "PATCH /domains/{key}": lambda w: (f"/domains/{w.facts['domain']}", {"description": "Where drones fly"}),
    "DELETE /domains/{key}": lambda w: (f"/domains/{w.take('domain', new_domain)}", None),
    "POST /interactions": lambda w: (
        "/interactions",
        {"team": "owners", "with_team": new_team(w), "mode": "collaboration"},
    ),
    "PATCH /interactions/{interaction_id}": lambda w: (
        f"/interactions/{w.facts['interaction']}",
        {"purpose": "Share telemetry"},
    ),
    "DELETE /interactions/{interaction_id}": lambda w: (
        f"/interactions/{w.take('interaction', new_interaction)}",
        None,
    ),
    "POST /teams/{key}/survey": lambda w: ("/teams/owners/survey", {"answers": _survey(w)}),
    # portfolio
    "POST /themes": lambda w: ("/themes", {"objective": "Fly longer"}),
    "PATCH /themes/{key}": lambda w: (f"/themes/{w.facts['theme']}", {"description": "Endurance"}),
    "POST /epics": lambda w: ("/epics", {"title": "Quieter rotors"}),
    "POST /epics/import": lambda w: ("/epics/import", {"epics": [{"title": "Imported epic"}]}),
    "PATCH /epics/{key}": lambda w: ("/epics/EPIC-1", {"description": "The matrix's epic"}),
    "POST /epics/{key}/decisions": lambda w: (
        f"/epics/{w.take('epic-decision', _reviewed_epic)}/decisions",
        {"kind": "no-go", "rationale": "not worth it"},
    ),
    "POST /epics/{key}/moves": lambda w: (f"/epics/{w.take('epic-move', _epic)}/moves", {"to": "reviewing"}),
    "POST /insights/epics/{key}/hypothesis/decisions": lambda w: (
        f"/insights/epics/{w.take('hypothesis-decision', _reviewed_epic)}/hypothesis/decisions",
        {"kind": "no-go", "rationale": "the evidence says no"},
    ),
    "POST /epics/{key}/scores": lambda w: ("/epics/EPIC-1/scores", SCORES),
    "POST /features": lambda w: ("/features", {"epic": "EPIC-1", "title": "Hover hold"}),
    "PATCH /features/{key}": lambda w: ("/features/FEAT-1", {"description": "Hold position"}),
    "POST /features/{key}/scores": lambda w: ("/features/FEAT-1/scores", SCORES),
    "POST /features/{key}/state": lambda w: (f"/features/{w.take('feature', _feature)}/state", {"to": "active"}),
    "PATCH /portfolio/kanban": lambda w: ("/portfolio/kanban", {}),
    "POST /portfolio/scores": lambda w: ("/portfolio/scores", {"scores": [{**SCORES, "key": "EPIC-1"}]}),
    "POST /stories": lambda w: ("/stories", {"feature": "FEAT-1", "title": "Tune the gains", "team": "owners"}),
    "PATCH /stories/{key}": lambda w: (f"/stories/{w.facts['story']}", {"description": "PID gains"}),
    "POST /stories/{key}/state": lambda w: (f"/stories/{w.take('story', new_story)}/state", {"to": "active"}),
    "PUT /backlogs/{team}": lambda w: ("/backlogs/owners", {"stories": [w.facts["story"]]}),
    # accounts
    "POST /users": lambda w: ("/users", {"username": f"newbie{w.n()}", "role": "viewer"}),
    "PATCH /users/{username}": lambda w: ("/users/uma", {"display_name": "Uma"}),
    "POST /tokens": lambda w: ("/tokens", {"name": "automation"}),
    "DELETE /tokens/{public_id}": lambda w: (f"/tokens/{w.take('token', new_token)}", None),
    # business data
    "POST /business/events": lambda w: ("/business/events", {"kind": "units_sold", "service": "svc", "count": 2}),
    "POST /business/events:bulk": lambda w: (
        "/business/events:bulk",
        [{"kind": "nps", "service": "svc", "score": 9}, {"kind": "csat", "service": "svc", "score": 4}],
    ),
}


def _named(key: str) -> dict[str, str]:
    return {"key": key, "name": key}


def _onboarding(n: int) -> dict[str, str]:
    return {"team_key": f"onb-{n}", "team_name": f"Onboarded {n}", "service_key": f"onb-svc-{n}", "service_name": "Ob"}


def _fresh_service(w: World) -> str:
    key = f"lib-{w.n()}"
    w.send("POST", "/services", "admin", {"key": key, "name": key, "owner_team": "others"})
    return key


def _incident(w: World) -> str:
    body = {"service": "svc", "environment": "prod", "title": f"Incident {w.n()}"}
    return str(w.send("POST", "/incidents", "admin", body)["key"])


def _spare_user(w: World) -> str:
    name = f"joiner{w.n()}"
    make_user(w.runtime, name)
    return name


def _survey(w: World) -> dict[str, int]:
    questions = w.send("GET", "/survey/questions", "admin")
    return {q["id"]: 3 for q in questions}
