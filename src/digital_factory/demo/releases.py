"""Demo step: the heavy-lift features are released behind flags, gradually, through the approval flow.

Product management (`pm`) requests each prod change, the flight-software team (`flight`) approves it, and
a simulated drone fleet evaluates the flags in between, so the flag pages show evaluation counts."""

from __future__ import annotations

from typing import Any

from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.errors import NotFound
from digital_factory.core.pagination import PageRequest
from digital_factory.demo.portfolio import FEATURES
from digital_factory.demo.story import DemoContext
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import Decision, FlagChange, FlagCreate, SegmentSpec
from digital_factory.teams import service as teams

SERVICE = "flight-control"
FLEET = 400  # drones asking for their flags after each step
PILOTS = ["drone-0007", "drone-0042", "drone-0108"]

# Which portfolio feature (by title, see demo/portfolio.py) each flag releases.
RELEASES_FEATURE = {
    "heavy-lift-mode": FEATURES[0],
    "max-payload-kg": FEATURES[0],
    "battery-profile": FEATURES[1],
    "engine-tuning": FEATURES[2],
}

FLAGS: tuple[dict[str, Any], ...] = (
    {
        "key": "heavy-lift-mode",
        "name": "Heavy-lift flight mode",
        "description": "The modified flight software: stiffer attitude control and slower climbs for payloads "
        "up to 7.5 kg.",
    },
    {
        "key": "battery-profile",
        "name": "Battery profile",
        "type": "string",
        "variants": {"standard": "standard", "extended": "extended"},
        "description": "Bigger batteries: the extended profile allows deeper discharge on heavy-lift flights.",
    },
    {
        "key": "max-payload-kg",
        "name": "Maximum payload (kg)",
        "type": "float",
        "variants": {"standard": 2.5, "heavy": 7.5},
        "description": "The payload limit the flight controller enforces.",
    },
    {
        "key": "engine-tuning",
        "name": "Engine tuning",
        "type": "object",
        "variants": {"eco": {"max_rpm": 9000, "boost": False}, "lift": {"max_rpm": 12500, "boost": True}},
        "description": "Better engines: the lift tuning raises the rotor limit.",
    },
)

BATTERY = {
    "enabled": True,
    "rules": [
        {
            "name": "beta pilots first",
            "conditions": [{"operator": "in_segment", "values": ["beta-pilots"]}],
            "serve": {"variant": "extended"},
        }
    ],
    "reason": "bigger batteries for the beta pilots",
}


def seed(ctx: DemoContext) -> None:
    store = ctx.runtime.store
    with store.unit_of_work(ctx.actor("platform")) as uow:
        _ensure_service(uow)
        releases.ensure_client_keys(uow, ctx.runtime.digester, SERVICE)
    pm, flight = ctx.actor("pm"), ctx.actor("flight")
    with store.unit_of_work(pm) as uow:
        for spec in FLAGS:
            feature = ctx.work.get(RELEASES_FEATURE.get(spec["key"], ""))  # the portfolio feature it releases
            releases.create_flag(uow, SERVICE, FlagCreate.model_validate({**spec, "feature": feature}))
        for environment in ("dev", "staging"):  # continuous deployment: changes apply directly
            releases.request_change(uow, SERVICE, "heavy-lift-mode", environment, FlagChange(enabled=True))
            releases.request_change(
                uow, SERVICE, "max-payload-kg", environment, FlagChange.model_validate(_on("heavy"))
            )
        segment = releases.put_segment(
            uow, SERVICE, "prod", SegmentSpec(key="beta-pilots", name="Beta pilots", included=PILOTS)
        )
    with store.unit_of_work(flight) as uow:
        releases.approve_change(uow, segment.key, Decision(note="pilots briefed"))
    with store.unit_of_work(pm) as uow:
        battery = releases.request_change(uow, SERVICE, "battery-profile", "prod", FlagChange.model_validate(BATTERY))
    with store.unit_of_work(flight) as uow:
        releases.approve_change(uow, battery.key)
    _fly(ctx, "battery-profile")
    _roll_out(ctx, 10)  # the story's last act takes it to 50 % and 100 % (demo/closing.py)
    _fly(ctx, "heavy-lift-mode")
    ctx.runtime.flags.flush()


def _ensure_service(uow: Any) -> None:
    try:
        catalog.get_service(uow, SERVICE)
    except NotFound:
        owners = [t.key for t in teams.list_teams(uow, PageRequest(limit=200)).items if "flight" in t.key]
        catalog.register_service(
            uow,
            ServiceCreate(
                key=SERVICE,
                name="Flight control",
                description="The drones' flight software and its payload limits.",
                owner_team=owners[0] if owners else None,
            ),
        )


def _on(variant: str) -> dict[str, Any]:
    return {"enabled": True, "default": {"variant": variant}}


def _roll_out(ctx: DemoContext, percent: int) -> None:
    """A prod rollout step: product management asks, the flight-software team approves."""
    rollout = [{"variant": "on", "percent": percent}]
    if percent < 100:
        rollout.append({"variant": "off", "percent": 100 - percent})
    change = FlagChange.model_validate(
        {"enabled": True, "default": {"rollout": rollout}, "reason": f"heavy-lift mode for {percent} % of the fleet"}
    )
    with ctx.runtime.store.unit_of_work(ctx.actor("pm")) as uow:
        requested = releases.request_change(uow, SERVICE, "heavy-lift-mode", "prod", change)
    with ctx.runtime.store.unit_of_work(ctx.actor("flight")) as uow:
        releases.approve_change(uow, requested.key, Decision(note="telemetry looks healthy"))


def _fly(ctx: DemoContext, flag: str) -> None:
    """The fleet evaluates the flag in process, as the OFREP endpoint would (counted, not stored per call)."""
    with ctx.runtime.store.unit_of_work(ctx.actor("flight"), write=False) as uow:
        prod = catalog.get_environment(uow, SERVICE, "prod")
    for number in range(FLEET):
        ctx.runtime.flags.evaluate(prod.id, flag, {"targetingKey": f"drone-{number:04d}", "model": "HL-1"})
