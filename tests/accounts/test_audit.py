"""Reading the audit log: newest first, each filter narrows, pages count what matches."""

from __future__ import annotations

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import AuditFilter, Role, UserCreate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest

ENTRIES = [
    ("ada", "team.create", "team", "engines"),
    ("ada", "team.update", "team", "engines"),
    ("bob", "team.create", "team", "rotors"),
    ("bob", "flag.toggle", "flag", "night-mode"),
    ("cyd", "team.create", "team", "frames"),
]


def seed(runtime: Runtime) -> None:
    for actor, action, object_type, object_id in ENTRIES:
        with runtime.store.unit_of_work(system_actor(actor)) as uow:
            accounts.record_audit(uow, action, object_type, object_id)


def listed(runtime: Runtime, filters: AuditFilter, page: PageRequest | None = None) -> tuple[list[str], int]:
    with runtime.store.unit_of_work(system_actor("reader"), write=False) as uow:
        found = accounts.list_audit_entries(uow, filters, page or PageRequest())
    return [f"{e.actor_name} {e.action} {e.object_id}" for e in found.items], found.total


def test_newest_first_and_every_filter_narrows(runtime: Runtime) -> None:
    seed(runtime)
    assert listed(runtime, AuditFilter())[0] == [
        "cyd team.create frames",
        "bob flag.toggle night-mode",
        "bob team.create rotors",
        "ada team.update engines",
        "ada team.create engines",
    ]
    assert listed(runtime, AuditFilter(action="team.create"))[1] == 3
    assert listed(runtime, AuditFilter(object_type="flag")) == (["bob flag.toggle night-mode"], 1)
    assert listed(runtime, AuditFilter(object_id="engines"))[1] == 2
    assert listed(runtime, AuditFilter(actor="bob", action="team.create")) == (["bob team.create rotors"], 1)
    assert listed(runtime, AuditFilter(actor="nobody")) == ([], 0)


def test_pages_of_the_log(runtime: Runtime) -> None:
    seed(runtime)
    second = listed(runtime, AuditFilter(action="team.create"), PageRequest(limit=2, offset=2))
    assert second == (["ada team.create engines"], 3)


def test_users_are_listed_by_name_a_page_at_a_time(runtime: Runtime) -> None:
    for name in ("zoe", "ada", "mia"):
        with runtime.store.unit_of_work(system_actor("setup")) as uow:
            accounts.create_user(uow, UserCreate(username=name, role=Role.VIEWER))
    with runtime.store.unit_of_work(system_actor("reader"), write=False) as uow:
        first = accounts.list_users(uow, PageRequest(limit=2))
        rest = accounts.list_users(uow, PageRequest(limit=2, offset=2))
    assert ([u.username for u in first.items], first.total, first.has_next) == (["ada", "mia"], 3, True)
    assert ([u.username for u in rest.items], rest.has_next) == (["zoe"], False)
