"""One typeahead for every picker of a team, person, service or epic: `GET /lookup/{kind}` answers at most
LOOKUP_LIMIT matches by key or name, as the options of a <datalist> (htmx refills it as one types).

A page renders the picker with the `lookup` macro (templates/_lookup.html) and its first LOOKUP_LIMIT options,
so it works without JavaScript too; the form's handler checks whatever key is typed, as it always did."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.accounts import service as accounts
from digital_factory.catalog import service as catalog
from digital_factory.portfolio import service as portfolio
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamType
from digital_factory.web.context import read
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)

LOOKUP_LIMIT = 20  # the options a picker offers at once


class LookupKind(StrEnum):
    TEAMS = "teams"
    USERS = "users"
    SERVICES = "services"
    EPICS = "epics"
    SCOPES = "scopes"  # the DORA page's `kind:key` scopes


Option = tuple[str, str]  # (the key to type, the name to recognise it by)


def team_options(
    uow: UnitOfWork, text: str = "", team_type: TeamType | None = None, *, limit: int = LOOKUP_LIMIT
) -> list[Option]:
    return [(t.key, t.name) for t in teams.team_matches(uow, text, limit=limit, team_type=team_type)]


def user_options(uow: UnitOfWork, text: str = "", *, limit: int = LOOKUP_LIMIT) -> list[Option]:
    """People to pick, for those who may pick them (none for the others: their pages offer no such picker)."""
    if not accounts.may_pick_users(uow.actor):
        return []
    return [(u.username, u.display_name) for u in accounts.user_matches(uow, text, limit=limit)]


def accounts_options(uow: UnitOfWork, text: str) -> list[Option]:
    """The endpoint's people: refused (403) to those who may not look people up."""
    return [(u.username, u.display_name) for u in accounts.user_matches(uow, text, limit=LOOKUP_LIMIT)]


def service_options(uow: UnitOfWork, text: str = "") -> list[Option]:
    return [(s.key, s.name) for s in catalog.service_matches(uow, text, limit=LOOKUP_LIMIT)]


def epic_options(uow: UnitOfWork, text: str = "") -> list[Option]:
    return [(e.key, e.title) for e in portfolio.epic_matches(uow, text, limit=LOOKUP_LIMIT)]


def value_stream_options(uow: UnitOfWork, text: str = "") -> list[Option]:
    words = text.strip().lower()
    streams = catalog.list_value_streams(uow)  # a handful: matched here rather than in a query
    return [(v.key, v.name) for v in streams if words in f"{v.key} {v.name}".lower()][:LOOKUP_LIMIT]


SCOPE_KINDS: dict[str, tuple[str, Callable[[UnitOfWork, str], list[Option]]]] = {
    "service": ("service", service_options),
    "team": ("team", team_options),
    "value_stream": ("value stream", value_stream_options),
    "epic": ("epic", epic_options),
}


def scope_options(uow: UnitOfWork, text: str = "") -> list[Option]:
    """Scopes as `kind:key`: of the kind typed before a colon (e.g. "team:fli"), else a few of each kind
    whose key or name holds the text; LOOKUP_LIMIT at most either way."""
    kind, colon, words = text.partition(":")
    if colon and kind in SCOPE_KINDS:
        noun, options = SCOPE_KINDS[kind]
        return [(f"{kind}:{key}", f"{name} ({noun})") for key, name in options(uow, words)]
    each = LOOKUP_LIMIT // len(SCOPE_KINDS)
    return [
        (f"{kind}:{key}", f"{name} ({noun})")
        for kind, (noun, options) in SCOPE_KINDS.items()
        for key, name in options(uow, text)[:each]
    ]


@router.get("/lookup/{kind}", response_class=HTMLResponse)
def lookup(
    request: Request,
    viewer: PageViewer,
    kind: LookupKind,
    q: Annotated[str, Query(max_length=200)] = "",
    field: Annotated[str, Query(max_length=64)] = "",
    team_type: TeamType | None = None,
) -> Response:
    """The matches for what was typed: `q`, or the value of the input named `field` (htmx sends an input
    under its own name, which is the form's field name)."""
    text = q or (request.query_params.get(field, "") if field else "")
    text = text[:200]
    options: dict[LookupKind, Callable[[UnitOfWork], list[Option]]] = {
        LookupKind.TEAMS: lambda uow: team_options(uow, text, team_type),
        LookupKind.USERS: lambda uow: accounts_options(uow, text),
        LookupKind.SERVICES: lambda uow: service_options(uow, text),
        LookupKind.EPICS: lambda uow: epic_options(uow, text),
        LookupKind.SCOPES: lambda uow: scope_options(uow, text),
    }
    found = read(request, viewer, options[kind])
    return render(request, "_lookup_options.html", viewer, options=found)
