"""Flags, governed changes, releases, segments and scheduled changes through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from digital_factory.app.factory import Runtime
from digital_factory.core.clock import FixedClock
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import validation_failed
from digital_factory.releases import service as releases
from digital_factory.releases.events import FlagReleased
from digital_factory.releases.schemas import (
    Change,
    ChangeFilter,
    ChangeStatus,
    Decision,
    FlagChange,
    FlagCreate,
    FlagUpdate,
    Kill,
    ReleaseFilter,
    RolloutRequest,
    SegmentSpec,
)
from tests.factories import actor_of, ensure_work
from tests.releases.builders import SERVICE, flight_control, make_flag


def change(runtime: Runtime, who: str, environment: str, flag: str = "heavy-lift-mode", **fields: Any) -> Change:
    try:
        data = FlagChange.model_validate(fields)
    except ValidationError as exc:
        raise validation_failed(exc) from None
    with runtime.store.unit_of_work(actor_of(runtime, who)) as uow:
        return releases.request_change(uow, SERVICE, flag, environment, data)


def rollout(percent: float) -> dict[str, object]:
    return {"rollout": [{"variant": "on", "percent": percent}, {"variant": "off", "percent": 100 - percent}]}


def timeline(runtime: Runtime, **filters: str) -> list[str]:
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        page = releases.list_releases(uow, ReleaseFilter(**filters), PageRequest(limit=200))
    return [f"{r.environment}:{r.kind}:{r.summary}" for r in reversed(page.items)]


def test_a_boolean_flag_starts_off_everywhere(runtime: Runtime) -> None:
    flight_control(runtime)
    created = make_flag(runtime, name="Heavy-lift mode", feature="FEAT-3")
    assert created.variants == {"on": True, "off": False}
    assert (created.default_variant, created.off_variant, created.feature) == ("on", "off", "FEAT-3")
    assert [(s.environment, s.config.enabled, s.summary) for s in created.environments] == [
        ("dev", False, "off · serves off"),
        ("staging", False, "off · serves off"),
        ("prod", False, "off · serves off"),
    ]
    assert created.state("prod").approval_roles == ["team", "admin"]
    with pytest.raises(Conflict):
        make_flag(runtime)
    with pytest.raises(PermissionDenied):
        make_flag(runtime, key="other", by="vic")


def test_variants_are_checked_against_the_type(runtime: Runtime) -> None:
    flight_control(runtime)
    theme = make_flag(runtime, key="theme", type="string", variants={"classic": "classic", "modern": "modern"})
    assert (theme.default_variant, theme.off_variant) == ("classic", "classic")
    payload = make_flag(runtime, key="max-payload", type="float", variants={"std": 2, "heavy": 7.5})
    assert payload.variants == {"std": 2.0, "heavy": 7.5}
    problems = [
        {"key": "a", "type": "integer", "variants": {"one": 1, "two": 2.5}},
        {"key": "b", "type": "string"},
        {"key": "c", "type": "boolean", "variants": {"yes": True, "no": "false"}},
        {"key": "d", "type": "object", "variants": {"x": {"a": 1}}},
        {"key": "e", "type": "string", "variants": {"bad name": "x", "ok": "y"}},
        {"key": "f", "type": "string", "variants": {"a": "x", "b": "y"}, "off_variant": "zzz"},
    ]
    for fields in problems:
        with pytest.raises(ValidationFailed):
            make_flag(runtime, **fields)  # type: ignore[arg-type]


def test_dev_changes_apply_at_once_and_become_releases(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime, feature="FEAT-3")
    released: list[FlagReleased] = []
    runtime.store.bus.subscribe(FlagReleased, released.append)
    applied = change(runtime, "pm", "dev", enabled=True, default=rollout(25))
    assert applied.status is ChangeStatus.APPLIED and applied.release_id is not None
    assert timeline(runtime) == ["dev:on:turned on: on · 25% on / 75% off"]
    assert [(e.flag_key, e.environment, e.feature_key, e.exposure_before, e.exposure_after) for e in released] == [
        ("heavy-lift-mode", "dev", "FEAT-3", 0.0, 25.0)
    ]
    # a change customers cannot notice (rules of an off flag) is applied and audited, but no release
    change(
        runtime,
        "pm",
        "staging",
        rules=[
            {"conditions": [{"attribute": "plan", "operator": "equals", "values": ["x"]}], "serve": {"variant": "on"}}
        ],
    )
    assert len(timeline(runtime)) == 1
    change(runtime, "pm", "dev", enabled=False)
    assert timeline(runtime)[-1] == "dev:off:turned off: serves off"


def test_prod_changes_wait_for_another_person_with_an_approval_role(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    pending = change(runtime, "pm", "prod", enabled=True, default=rollout(10), reason="first drones")
    assert pending.status is ChangeStatus.PENDING and pending.approval_roles == ["team", "admin"]
    assert pending.summary == "turn on, default 10% on / 90% off"
    assert timeline(runtime) == []

    with (
        pytest.raises(PermissionDenied, match="another person"),
        runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow,
    ):
        releases.approve_change(uow, pending.key)
    for outsider, reason in (("pat", "owning team"), ("pia", "lacks the permission")):
        with (
            pytest.raises(PermissionDenied, match=reason),
            runtime.store.unit_of_work(actor_of(runtime, outsider)) as uow,
        ):
            releases.approve_change(uow, pending.key)
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        approved = releases.approve_change(uow, pending.key, Decision(note="go"))
    assert approved.status is ChangeStatus.APPLIED and approved.decided_by == "flight"
    with pytest.raises(Conflict), runtime.store.unit_of_work(actor_of(runtime, "fred")) as uow:
        releases.approve_change(uow, pending.key)

    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        page = releases.list_releases(uow, ReleaseFilter(environment="prod"), PageRequest())
    release = page.items[0]
    assert (release.requested_by, release.approved_by, release.change, release.kind) == (
        "pm",
        "flight",
        pending.key,
        "on",
    )
    assert release.before["enabled"] is False and release.after["default"] == rollout(10)


def test_rejected_and_cancelled_changes_change_nothing(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    first = change(runtime, "pm", "prod", enabled=True)
    second = change(runtime, "pm", "prod", enabled=True)
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.reject_change(uow, first.key)
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        assert releases.reject_change(uow, first.key, Decision(note="not yet")).status is ChangeStatus.REJECTED
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        releases.cancel_change(uow, second.key)
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        assert releases.cancel_change(uow, second.key).status is ChangeStatus.CANCELLED
        flag = releases.get_flag(uow, SERVICE, "heavy-lift-mode")
        pending = releases.list_changes(uow, ChangeFilter(status=ChangeStatus.PENDING), PageRequest())
    assert flag.state("prod").config.enabled is False and pending.total == 0
    assert timeline(runtime) == []


def test_the_kill_switch_needs_no_second_person_but_an_approver_role_in_prod(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        releases.approve_change(uow, change(runtime, "pm", "prod", enabled=True).key)
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.kill_flag(uow, SERVICE, "heavy-lift-mode", "prod", Kill(reason="crash"))
    with runtime.store.unit_of_work(actor_of(runtime, "fred")) as uow:
        killed = releases.kill_flag(uow, SERVICE, "heavy-lift-mode", "prod", Kill(reason="motor overheating"))
    assert killed.status is ChangeStatus.APPLIED
    assert timeline(runtime, environment="prod")[-1] == "prod:off:turned off: serves off"


def test_changes_are_validated_against_variants_and_segments(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    bad: list[dict[str, Any]] = [
        {"default": {"variant": "maybe"}},
        {"default": {"rollout": [{"variant": "on", "percent": 10}, {"variant": "off", "percent": 80}]}},
        {"default": {"rollout": [{"variant": "on", "percent": 10.005}, {"variant": "off", "percent": 89.995}]}},
        {"rules": [{"conditions": [{"operator": "in_segment", "values": ["ghosts"]}], "serve": {"variant": "on"}}]},
        {
            "rules": [
                {
                    "conditions": [{"attribute": "v", "operator": "semver_gt", "values": ["two"]}],
                    "serve": {"variant": "on"},
                }
            ]
        },
        {
            "rules": [
                {"conditions": [{"attribute": "n", "operator": "gt", "values": ["5"]}], "serve": {"variant": "on"}}
            ]
        },
        {"reason": "nothing else"},
    ]
    for fields in bad:
        with pytest.raises(ValidationFailed):
            change(runtime, "pm", "dev", **fields)
    with pytest.raises(NotFound):
        change(runtime, "pm", "moon", enabled=True)
    with pytest.raises(NotFound):
        change(runtime, "pm", "dev", flag="ghost", enabled=True)


def test_scheduled_changes_apply_when_due_by_the_store_clock(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from digital_factory.app.factory import build_runtime

    clock = FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    runtime = build_runtime(settings, clock=clock)
    try:
        flight_control(runtime)
        make_flag(runtime)
        at = clock.now() + timedelta(hours=1)
        scheduled = change(runtime, "pm", "staging", enabled=True, default=rollout(50), at=at.isoformat())
        assert scheduled.status is ChangeStatus.SCHEDULED and scheduled.due_at == at
        waiting = change(runtime, "pm", "prod", enabled=True, at=(clock.now() + timedelta(hours=2)).isoformat())
        with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
            assert releases.approve_change(uow, waiting.key).status is ChangeStatus.SCHEDULED
        with pytest.raises(ValidationFailed):
            change(runtime, "pm", "dev", enabled=True, at=(clock.now() - timedelta(minutes=1)).isoformat())

        def run_job() -> list[str]:
            with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
                return [c.key for c in releases.apply_due_changes(uow)]

        assert run_job() == [] and timeline(runtime) == []
        clock.advance(timedelta(minutes=61))
        assert run_job() == [scheduled.key]
        assert timeline(runtime) == ["staging:on:turned on: on · 50% on / 50% off"]
        assert run_job() == []
        clock.advance(timedelta(hours=1))
        assert run_job() == [waiting.key]
        with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
            prod = releases.list_releases(uow, ReleaseFilter(environment="prod"), PageRequest()).items[0]
        assert (prod.requested_by, prod.approved_by, prod.at) == ("pm", "flight", clock.now())
    finally:
        runtime.store.dispose()


def test_a_scheduled_change_that_no_longer_fits_fails_visibly(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime, key="theme", type="string", variants={"classic": "c", "modern": "m", "retro": "r"})
    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = change(runtime, "pm", "dev", flag="theme", enabled=True, default={"variant": "retro"}, at=at)
    with pytest.raises(Conflict, match="planned"), runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.update_flag(uow, SERVICE, "theme", FlagUpdate(variants={"classic": "c", "modern": "m"}))
    assert scheduled.status is ChangeStatus.SCHEDULED


def test_variant_values_never_change_but_new_ones_can_be_added(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime, key="theme", type="string", variants={"classic": "c", "modern": "m"})
    with (
        pytest.raises(ValidationFailed, match="never changes"),
        runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow,
    ):
        releases.update_flag(uow, SERVICE, "theme", FlagUpdate(variants={"classic": "c", "modern": "M2"}))
    ensure_work(runtime, "FEAT-9")
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        updated = releases.update_flag(
            uow, SERVICE, "theme", FlagUpdate(variants={"classic": "c", "modern": "m", "retro": "r"}, feature="FEAT-9")
        )
        assert updated.variants == {"classic": "c", "modern": "m", "retro": "r"} and updated.feature == "FEAT-9"
        with pytest.raises(Conflict, match="still served"):
            releases.update_flag(uow, SERVICE, "theme", FlagUpdate(variants={"modern": "m", "retro": "r"}))
        trimmed = releases.update_flag(uow, SERVICE, "theme", FlagUpdate(variants={"classic": "c", "modern": "m"}))
        assert list(trimmed.variants) == ["classic", "modern"]
        unlinked = releases.update_flag(uow, SERVICE, "theme", FlagUpdate(feature=None))
        assert unlinked.feature is None


def test_segment_changes_are_governed_and_release_the_flags_using_them(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    pilots = SegmentSpec(key="pilots", included=["alice"])
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        assert releases.put_segment(uow, SERVICE, "dev", pilots).status is ChangeStatus.APPLIED
        pending = releases.put_segment(uow, SERVICE, "prod", pilots)
    assert pending.status is ChangeStatus.PENDING
    target = [{"conditions": [{"operator": "in_segment", "values": ["pilots"]}], "serve": {"variant": "on"}}]
    change(runtime, "pm", "dev", enabled=True, default={"variant": "off"}, rules=target)
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.put_segment(uow, SERVICE, "dev", SegmentSpec(key="pilots", included=["alice", "bob"]))
        segments = releases.list_segments(uow, SERVICE, "dev")
        with pytest.raises(Conflict):
            releases.delete_segment(uow, SERVICE, "dev", "pilots")
        context = {"targetingKey": "bob"}
        assert [p.variant for p in releases.preview(uow, SERVICE, "heavy-lift-mode", context, environment="dev")] == [
            "on"
        ]
    assert [(s.key, s.included, s.used_by) for s in segments] == [("pilots", ["alice", "bob"], ["heavy-lift-mode"])]
    assert timeline(runtime)[-1] == "dev:segment:segment pilots changed: 2 included, 0 conditions"


def test_archiving_needs_the_flag_off_everywhere(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    change(runtime, "pm", "dev", enabled=True)
    with pytest.raises(Conflict, match="still on in dev"), runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.archive_flag(uow, SERVICE, "heavy-lift-mode")
    change(runtime, "pm", "dev", enabled=False)
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        archived = releases.archive_flag(uow, SERVICE, "heavy-lift-mode")
        assert archived.archived_at is not None
        assert releases.list_flags(uow, SERVICE) == []
        with pytest.raises(Conflict):
            releases.request_change(uow, SERVICE, "heavy-lift-mode", "dev", FlagChange(enabled=True))
    assert timeline(runtime)[-1] == "dev:archive:archived: SDKs fall back to their code default"


def test_preview_explains_the_variant_with_bucket_and_drafts(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime)
    change(runtime, "pm", "dev", enabled=True, default=rollout(50))
    draft = {"enabled": True, "off_variant": "off", "default": {"variant": "on"}, "rules": []}
    from digital_factory.releases.schemas import FlagConfig

    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        results = releases.preview(uow, SERVICE, "heavy-lift-mode", {"targetingKey": "drone-7"})
        drafted = releases.preview(
            uow, SERVICE, "heavy-lift-mode", {}, environment="prod", draft=FlagConfig.model_validate(draft)
        )
        missing = releases.preview(uow, SERVICE, "heavy-lift-mode", {}, environment="dev")
    assert [(r.environment, r.reason) for r in results] == [
        ("dev", "SPLIT"),
        ("staging", "DISABLED"),
        ("prod", "DISABLED"),
    ]
    from digital_factory.releases.evaluation import bucket

    assert results[0].bucket == bucket("heavy-lift-mode", "drone-7")
    assert results[0].variant == ("on" if results[0].bucket < 5000 else "off")
    assert (drafted[0].variant, drafted[0].reason, drafted[0].draft) == ("on", "STATIC", True)
    assert missing[0].error_code == "TARGETING_KEY_MISSING"


def test_flag_creation_requires_a_known_service(runtime: Runtime) -> None:
    flight_control(runtime)
    with pytest.raises(NotFound), runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.create_flag(uow, "no-such-service", FlagCreate(key="x"))


def test_a_rollout_splits_between_the_variant_and_the_off_variant(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime, key="theme", type="string", variants={"classic": "c", "modern": "m", "retro": "r"})

    def roll_out(environment: str, **fields: Any) -> Change:
        with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
            return releases.roll_out(uow, SERVICE, "theme", environment, RolloutRequest.model_validate(fields))

    applied = roll_out("dev", percent=30, variant="modern")
    assert applied.status is ChangeStatus.APPLIED and applied.reason == "roll out modern to 30%"
    assert applied.change["default"] == {
        "rollout": [{"variant": "modern", "percent": 30.0}, {"variant": "classic", "percent": 70.0}]
    }
    assert roll_out("dev", percent=0.01, variant="retro", reason="canary").change["default"]["rollout"] == [
        {"variant": "retro", "percent": 0.01},
        {"variant": "classic", "percent": 99.99},
    ]
    with pytest.raises(ValidationFailed):  # the off variant cannot get only part of everyone
        roll_out("dev", percent=40)
    assert roll_out("prod", percent=50, variant="modern").status is ChangeStatus.PENDING
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "vic")) as uow:
        releases.roll_out(uow, SERVICE, "theme", "dev", RolloutRequest(percent=10))
