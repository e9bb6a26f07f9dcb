"""/users, /tokens, /audit, /me, /roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import (
    ROLE_DESCRIPTIONS,
    ROLE_PERMISSIONS,
    AuditEntry,
    AuditFilter,
    CreatedToken,
    CreatedUser,
    Permission,
    Token,
    TokenCreate,
    User,
    UserCreate,
    UserUpdate,
)
from digital_factory.api.context import CurrentActor, Reading, Writing, runtime
from digital_factory.api.paging import Paging
from digital_factory.core.pagination import Page
from digital_factory.core.schemas import OutputModel

router = APIRouter()


class Me(OutputModel):
    user: User
    permissions: list[str]
    token_id: int | None


@router.get("/me", tags=["accounts"])
def who_am_i(uow: Reading) -> Me:
    actor = uow.actor
    return Me(user=accounts.get_user(uow, actor.name), permissions=sorted(actor.permissions), token_id=actor.token_id)


class RoleInfo(OutputModel):
    role: str
    description: str
    permissions: list[str]


@router.get("/roles", tags=["accounts"])
def list_roles(actor: CurrentActor) -> list[RoleInfo]:
    accounts.require(actor, Permission.READ)
    return [
        RoleInfo(role=str(role), description=ROLE_DESCRIPTIONS[role], permissions=sorted(map(str, perms)))
        for role, perms in ROLE_PERMISSIONS.items()
    ]


@router.get("/users", tags=["accounts"])
def list_users(uow: Reading, page: Paging) -> Page[User]:
    return accounts.list_users(uow, page)


@router.post("/users", status_code=status.HTTP_201_CREATED, tags=["accounts"])
def create_user(uow: Writing, data: UserCreate) -> CreatedUser:
    return accounts.create_user(uow, data)


@router.get("/users/{username}", tags=["accounts"])
def get_user(uow: Reading, username: str) -> User:
    accounts.require(uow.actor, Permission.READ)
    return accounts.get_user(uow, username)


@router.patch("/users/{username}", tags=["accounts"])
def update_user(uow: Writing, username: str, data: UserUpdate) -> User:
    return accounts.update_user(uow, username, data)


@router.get("/tokens", tags=["accounts"])
def list_tokens(uow: Reading, user: str | None = None, all_users: bool = False) -> list[Token]:
    """Your own tokens; admins may name another `user` or ask for `all_users`."""
    return accounts.list_tokens(uow, None if all_users else (user or uow.actor.name))


@router.post("/tokens", status_code=status.HTTP_201_CREATED, tags=["accounts"])
def create_token(request: Request, uow: Writing, data: TokenCreate, user: str | None = None) -> CreatedToken:
    """A new token for yourself (or, as an admin, for `user`). The secret is in this response only."""
    return accounts.create_token(uow, runtime(request).digester, user or uow.actor.name, data)


@router.delete("/tokens/{public_id}", tags=["accounts"])
def revoke_token(uow: Writing, public_id: str) -> Token:
    return accounts.revoke_token(uow, public_id)


def audit_filter(
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_name: Annotated[str | None, Query(alias="actor")] = None,
) -> AuditFilter:
    return AuditFilter(action=action, object_type=object_type, object_id=object_id, actor=actor_name)


@router.get("/audit", tags=["accounts"])
def list_audit(uow: Reading, filters: Annotated[AuditFilter, Depends(audit_filter)], page: Paging) -> Page[AuditEntry]:
    accounts.require(uow.actor, Permission.AUDIT_READ)
    return accounts.list_audit_entries(uow, filters, page)
