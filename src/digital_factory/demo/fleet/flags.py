"""The drones ask the server for their flags, as any outside application would: the OpenFeature Python SDK
with the OFREP provider, authenticated by a client key of the service that owns the flags. Each drone is
a targeting key (`drone-0007`) with its model as an attribute, so rollouts and segments apply per drone.

A flag the server does not know yields its default (the feature is not released); a refused key or an
unreachable server is an error the simulator reports once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagEvaluationDetails
from openfeature.provider.no_op_provider import NoOpProvider

from digital_factory.demo.fleet.model import LIGHT_MAX_KG, DroneFlags

HEAVY_LIFT = "heavy-lift-mode"
MAX_PAYLOAD = "max-payload-kg"
MODEL = "HL-1"
DOMAIN = "digital-factory-fleet"
T = TypeVar("T")
UNREACHABLE = ("Max retries exceeded", "Failed to establish", "timed out", "Connection refused")


class FlagsUnavailable(Exception):
    """The flags could not be read (refused key, unreachable server); the message says why, in one line."""


class FleetFlags:
    """Evaluates the flags of the fleet's drones over OFREP; without a client key every flag is off."""

    def __init__(self, url: str | None, key: str | None, *, timeout: float) -> None:
        self.enabled = bool(url and key)
        self.url = url or ""
        self.evaluations = 0
        if url and key:
            headers = {"Authorization": f"Bearer {key}"}
            # the SDK initializes a provider in a thread of its own: evaluating before it is ready answers
            # PROVIDER_NOT_READY, so wait for it
            provider = OFREPProvider(url.rstrip("/"), headers_factory=lambda: headers, timeout=timeout)
            api.set_provider_and_wait(provider, DOMAIN)
        self.client = api.get_client(DOMAIN)

    def of(self, drones: Iterable[str]) -> dict[str, DroneFlags]:
        if not self.enabled:
            return {drone: DroneFlags() for drone in drones}
        return {drone: self._drone(drone) for drone in drones}

    def _drone(self, drone: str) -> DroneFlags:
        context = EvaluationContext(targeting_key=drone, attributes={"model": MODEL})
        heavy = self.client.get_boolean_details(HEAVY_LIFT, False, context)
        payload = self.client.get_float_details(MAX_PAYLOAD, LIGHT_MAX_KG, context)
        self.evaluations += 2
        return DroneFlags(heavy_lift=_value(heavy, self.url), max_payload_kg=_value(payload, self.url))

    def close(self) -> None:
        if self.enabled:
            api.set_provider(NoOpProvider(), DOMAIN)


def _value(details: FlagEvaluationDetails[T], url: str) -> T:
    """The evaluated value; a missing flag is its default, any other error stops the run."""
    if details.error_code in (None, ErrorCode.FLAG_NOT_FOUND):
        return details.value
    reason = details.error_message or str(details.error_code)
    if reason in ("unauthorized", "forbidden"):
        reason = f"the OFREP client key was refused ({reason})"
    elif any(sign in reason for sign in UNREACHABLE):
        reason = f"{url} could not be reached"
    raise FlagsUnavailable(f"could not evaluate {details.flag_key!r} over OFREP: {reason.splitlines()[0][:200]}")
