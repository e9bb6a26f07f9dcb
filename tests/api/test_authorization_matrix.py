"""Issue 10's matrix: every state-changing operation of the live OpenAPI document × every kind of caller,
each answer checked against the policy table in docs/accounts.md ("Ownership").

An operation is either covered by a row of that table (parsed here, so the docs and the code cannot drift)
or listed in ROLE_ONLY below (changes no team owns: governed by the role's permission alone). A new route in
neither fails the test. Answers: anonymous → 401; refused → 403; allowed → neither 401/403 nor 5xx."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import ROLE_PERMISSIONS, Role
from digital_factory.app.factory import Runtime
from tests.api.matrix_calls import CALLS
from tests.api.matrix_world import PEOPLE, World, build_world

DOCS = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"
UNSAFE = ("post", "put", "patch", "delete")
PERSONAS = ("anonymous", "viewer", "other_team", "no_team", "platform", "member", "admin")

# Changes that no team owns: the permission alone decides (every role holding it, admin always).
ROLE_ONLY: dict[str, str] = {
    "POST /themes": "portfolio:decide",
    "PATCH /themes/{key}": "portfolio:decide",
    "PATCH /portfolio/kanban": "portfolio:decide",
    "POST /epics/{key}/decisions": "portfolio:decide",
    "POST /insights/epics/{key}/hypothesis/decisions": "portfolio:decide",
    "POST /epics": "portfolio:write",
    "POST /epics/import": "portfolio:write",
    "PATCH /epics/{key}": "portfolio:write",
    "POST /epics/{key}/moves": "portfolio:write",
    "POST /epics/{key}/scores": "portfolio:write",
    "POST /portfolio/scores": "portfolio:write",
    "POST /features": "product:write",
    "PATCH /features/{key}": "product:write",
    "POST /features/{key}/scores": "product:write",
    "POST /features/{key}/state": "product:write",
    "POST /stories": "product:write",
    "PATCH /stories/{key}": "product:write",
    "POST /stories/{key}/state": "product:write",
    "PUT /backlogs/{team}": "product:write",
    "POST /teams": "teams:write",
    "POST /teams/import": "teams:write",
    "POST /teams/{key}/archive": "teams:write",
    "POST /teams/{key}/restore": "teams:write",
    "POST /value-streams": "platform:write",
    "PATCH /value-streams/{key}": "platform:write",
    "DELETE /value-streams/{key}": "platform:write",
    "POST /users": "accounts:admin",
    "PATCH /users/{username}": "accounts:admin",
    "POST /tokens": "accounts:admin",  # with an API token (a web session makes its own; docs: "API tokens")
    "DELETE /tokens/{public_id}": "accounts:admin",  # someone else's token
    "POST /pipelines/lint": "read",  # reads a pipeline file, changes nothing
    "POST /services/{service}/flags/{flag}/preview": "read",  # evaluates a flag, changes nothing
}


@dataclass(frozen=True)
class Rule:
    """Who may: admin always; a role in `roles`; or, when `owners` says so, a member of the owning team
    holding `permission` (or any member, where membership alone suffices)."""

    change: str
    permission: str
    owners: str  # "yes", "—" or "entitled approver"
    roles: frozenset[str]

    def allows(self, persona: str) -> bool:
        role = str(PEOPLE[persona][1])
        if role == Role.ADMIN or role in self.roles:
            return True
        holds = self.permission in {str(p) for p in ROLE_PERMISSIONS[Role(role)]} or "or membership" in self.permission
        # owners: the owning team's member (for "entitled approver", one who did not request the change)
        return self.owners in ("yes", "entitled approver") and persona == "member" and holds


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def docs_rules() -> dict[str, Rule]:
    """The "Ownership" table of docs/accounts.md: "METHOD /route" → its row's rule."""
    section = DOCS.read_text().split("\n## Ownership\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    assert _cells(lines[0]) == ["change", "routes", "permission", "owners", "also allowed (by role)"], lines[0]
    rules: dict[str, Rule] = {}
    for line in lines[2:]:
        change, routes, permission, owners, also = _cells(line)
        roles = frozenset(r.strip() for r in also.split(",") if r.strip() not in ("", "—"))
        assert owners in ("yes", "—", "entitled approver") and roles <= {str(r) for r in Role}, line
        for method, route in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`", routes):
            operation = f"{method} {route}"
            assert operation not in rules, f"{operation} is in two rows"
            rules[operation] = Rule(change, permission, owners, roles)
    return rules


def role_only_rules() -> dict[str, Rule]:
    def holders(permission: str) -> frozenset[str]:
        return frozenset(str(r) for r, granted in ROLE_PERMISSIONS.items() if permission in {str(p) for p in granted})

    return {op: Rule("role alone", permission, "—", holders(permission)) for op, permission in ROLE_ONLY.items()}


def unsafe_operations(client: TestClient) -> list[str]:
    document = client.get("/api/v1/openapi.json").json()
    return sorted(
        f"{method.upper()} {route}" for route, item in document["paths"].items() for method in item if method in UNSAFE
    )


def test_the_policy_table_covers_every_state_changing_operation(client: TestClient) -> None:
    documented, role_only = docs_rules(), role_only_rules()
    assert not set(documented) & set(role_only), "an operation is both owned and role-only"
    live = unsafe_operations(client)
    uncovered = [op for op in live if op not in documented and op not in role_only]
    assert not uncovered, f"state-changing operations in no row of the policy: {uncovered}"
    stale = sorted((set(documented) | set(role_only)) - set(live))
    assert not stale, f"the policy names operations the API does not have: {stale}"
    assert sorted(CALLS) == live, "every operation needs a valid request in tests/api/matrix_calls.py"


def _check(w: World, operation: str, rule: Rule, persona: str) -> str | None:
    """One request; a description of the mismatch, or None."""
    method = operation.split(" ", 1)[0]
    path, body = CALLS[operation](w)
    headers = w.people[persona].headers if persona != "anonymous" else {}
    answer = w.client.request(method, f"/api/v1{path}", headers=headers, json=body)
    w.settle(answer.status_code)
    code = answer.status_code
    if persona == "anonymous":
        ok = code == 401
    elif rule.allows(persona):
        ok = code not in (401, 403) and code < 500
    else:
        ok = code == 403
    if ok:
        return None
    expected = "401" if persona == "anonymous" else "allowed" if rule.allows(persona) else "403"
    return f"{operation} as {persona} ({rule.change}): expected {expected}, got {code} {answer.text[:200]}"


def test_every_operation_answers_every_caller_as_the_table_says(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    w = build_world(client, runtime, tmp_path)
    rules = {**docs_rules(), **role_only_rules()}
    mismatches: list[str] = []
    checked = 0
    operations = unsafe_operations(client)
    for operation in operations:
        rule = rules[operation]
        personas = PERSONAS + (("requester",) if rule.owners == "entitled approver" else ())
        for persona in personas:
            found = _check(w, operation, rule, persona)
            checked += 1
            if found:
                mismatches.append(found)
    assert not mismatches, f"{len(mismatches)} of {checked} answers differ from the policy:\n" + "\n".join(mismatches)
    assert checked >= len(PERSONAS) * len(operations) >= 7 * 79
