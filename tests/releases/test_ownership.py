"""Who may change a service's flags, segments and client keys, approve its governed changes and pull its
kill switches (docs/releases.md, "Who may do what"), and what the pages are told about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec
from digital_factory.core.errors import PermissionDenied
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import Change, ChangeStatus, FlagChange, SegmentSpec
from tests.factories import actor_of
from tests.releases.builders import SERVICE, flight_control, make_flag


def _request(runtime: Runtime, who: str, environment: str, **fields: object) -> Change:
    with runtime.store.unit_of_work(actor_of(runtime, who)) as uow:
        data = FlagChange.model_validate({"enabled": True, **fields})
        return releases.request_change(uow, SERVICE, "heavy-lift-mode", environment, data)


def test_segments_and_scheduled_changes_belong_to_the_owners(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "fred")) as uow:
        releases.put_segment(uow, SERVICE, "dev", SegmentSpec(key="pilots", included=["d-1"]))
    for who in ("power", "tess"):
        with (
            pytest.raises(PermissionDenied, match="segments of flight-control"),
            runtime.store.unit_of_work(actor_of(runtime, who)) as uow,
        ):
            releases.delete_segment(uow, SERVICE, "dev", "pilots")
    at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    scheduled = _request(runtime, "flight", "staging", at=at)
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "power")) as uow:
        releases.cancel_change(uow, scheduled.key)
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:  # product may change any flags
        assert releases.cancel_change(uow, scheduled.key).status is ChangeStatus.CANCELLED
        releases.delete_segment(uow, SERVICE, "dev", "pilots")
        assert releases.list_segments(uow, SERVICE, "dev") == []


def test_the_second_person_needs_an_approval_role_as_well(runtime: Runtime) -> None:
    """An approver group entitles people; the environment's approval roles still say which roles approve."""
    flight_control(runtime)
    make_flag(runtime)
    spec = EnvironmentSpec(name="prod", approval_roles=[Role.TEAM, Role.ADMIN], approvers=["pat", "power"])
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        catalog.set_environment_policy(uow, SERVICE, spec)
    first, second = _request(runtime, "pm", "prod"), _request(runtime, "pm", "prod", reason="again")
    with (
        pytest.raises(PermissionDenied, match="only team or admin may approve"),
        runtime.store.unit_of_work(actor_of(runtime, "pat")) as uow,
    ):
        releases.approve_change(uow, first.key)
    with runtime.store.unit_of_work(actor_of(runtime, "power")) as uow:
        assert releases.reject_change(uow, first.key).decided_by == "power"
    with runtime.store.unit_of_work(actor_of(runtime, "fred")) as uow:
        assert releases.approve_change(uow, second.key).status is ChangeStatus.APPLIED


def test_client_keys_are_for_owners_and_the_platform(runtime: Runtime) -> None:
    flight_control(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        made = releases.ensure_client_keys(uow, runtime.digester, SERVICE)
    assert sorted(made) == ["dev", "prod", "staging"]
    for who in ("power", "tess", "pm"):
        with (
            pytest.raises(PermissionDenied, match="client keys of flight-control"),
            runtime.store.unit_of_work(actor_of(runtime, who)) as uow,
        ):
            releases.revoke_client_key(uow, made["prod"].key.public_id)
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        assert releases.revoke_client_key(uow, made["prod"].key.public_id).revoked_at is not None
        assert releases.create_client_key(uow, runtime.digester, SERVICE, "prod").key.environment == "prod"


def _actions(runtime: Runtime, who: str) -> dict[str, object]:
    with runtime.store.unit_of_work(actor_of(runtime, who), write=False) as uow:
        may = releases.release_actions(uow, SERVICE)
    return {
        "flags": may.flags.allowed,
        "keys": may.client_keys.allowed,
        "kill": {env: permit.allowed for env, permit in may.kill.items()},
        "shown": (may.flags.shown, may.client_keys.shown),
    }


def test_pages_learn_what_each_person_may_do(runtime: Runtime) -> None:
    flight_control(runtime)
    everywhere = {"dev": True, "staging": True, "prod": True}
    prod_refused = {**everywhere, "prod": False}
    nowhere = dict.fromkeys(everywhere, False)
    assert _actions(runtime, "flight") == {"flags": True, "keys": True, "kill": everywhere, "shown": (True, True)}
    assert _actions(runtime, "pm") == {"flags": True, "keys": False, "kill": prod_refused, "shown": (True, True)}
    assert _actions(runtime, "pia") == {"flags": False, "keys": True, "kill": nowhere, "shown": (False, True)}
    assert _actions(runtime, "tess") == {"flags": False, "keys": False, "kill": nowhere, "shown": (True, True)}
    assert _actions(runtime, "vic") == {"flags": False, "keys": False, "kill": nowhere, "shown": (False, False)}
    with runtime.store.unit_of_work(actor_of(runtime, "tess"), write=False) as uow:
        may = releases.release_actions(uow, SERVICE)
    assert may.flags.reason == "only members of the team flight-software or the product role change them"
    assert (
        may.kill["prod"].reason
        == "in prod only members of the team flight-software with the role team or admin may pull it"
    )


def test_pages_learn_who_may_decide_each_pending_change(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    pending = _request(runtime, "flight", "prod")

    def decisions(who: str) -> dict[str, str]:
        with runtime.store.unit_of_work(actor_of(runtime, who), write=False) as uow:
            return releases.decisions(uow, [pending])

    assert decisions("fred") == {pending.key: ""}
    assert decisions("flight") == {pending.key: f"you requested {pending.key}: another person must approve it"}
    assert decisions("tess") == {pending.key: "approved by the owning team with the role team or admin, not by flight"}
    assert decisions("vic") == {}  # a viewer decides nothing, so nothing is offered
