"""Roles and the permissions each grants. One table, documented in docs/accounts.md."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    BOARD = "board"
    PRODUCT = "product"
    TEAM = "team"
    PLATFORM = "platform"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    PORTFOLIO_WRITE = "portfolio:write"
    PORTFOLIO_DECIDE = "portfolio:decide"
    PRODUCT_WRITE = "product:write"
    TEAMS_WRITE = "teams:write"
    PLATFORM_WRITE = "platform:write"
    DELIVERY_WRITE = "delivery:write"
    DELIVERY_APPROVE = "delivery:approve"
    RELEASES_WRITE = "releases:write"
    TELEMETRY_WRITE = "telemetry:write"
    AUDIT_READ = "audit:read"
    ACCOUNTS_ADMIN = "accounts:admin"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.BOARD: frozenset({P.READ, P.PORTFOLIO_WRITE, P.PORTFOLIO_DECIDE, P.AUDIT_READ}),
    Role.PRODUCT: frozenset({P.READ, P.PORTFOLIO_WRITE, P.PRODUCT_WRITE, P.RELEASES_WRITE}),
    Role.TEAM: frozenset({P.READ, P.PRODUCT_WRITE, P.DELIVERY_WRITE, P.DELIVERY_APPROVE, P.RELEASES_WRITE}),
    Role.PLATFORM: frozenset(
        {P.READ, P.TEAMS_WRITE, P.PLATFORM_WRITE, P.DELIVERY_WRITE, P.DELIVERY_APPROVE, P.TELEMETRY_WRITE}
    ),
    Role.VIEWER: frozenset({P.READ}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMIN: "Everything, including users, tokens of others and the audit log.",
    Role.BOARD: "Strategic themes, epics and the portfolio kanban; go / no-go and WIP-limit overrides; audit log.",
    Role.PRODUCT: "Epics, features and stories; hands work to teams; releases features behind flags.",
    Role.TEAM: "Works stories, runs pipelines, approves deployments it did not trigger, toggles flags.",
    Role.PLATFORM: "Teams, golden-path templates, onboarding, the service catalog, pipelines and ingestion.",
    Role.VIEWER: "Reads everything except the audit log; changes nothing.",
}


def permissions_for(role: Role, scopes: frozenset[str] | None = None) -> frozenset[str]:
    """What a principal may do: its role's permissions, narrowed by a token's scopes when it has any."""
    granted = frozenset(str(p) for p in ROLE_PERMISSIONS[role])
    if scopes is None:
        return granted
    return granted & scopes


def valid_scopes() -> frozenset[str]:
    return frozenset(str(p) for p in Permission)
