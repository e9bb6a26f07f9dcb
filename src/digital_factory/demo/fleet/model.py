"""The fleet's behaviour, pure: given the drones' flags and a seeded random source, what one round of
simulated time produces (flights, payloads, battery and motor readings, failures, fleet-API requests,
log lines, sales and survey answers). No I/O and no clock: the same seed and flags give the same rounds.

How the released features move the figures (the heavy-lift story of the demo):

- a drone whose `heavy-lift-mode` flag is on flies heavy payloads on about half its missions (else only a
  few legacy heavy attempts), up to its `max-payload-kg`; heavy flights with the mode on succeed 97 % of
  the time, without it 72 %;
- heavy-lift units sold per region and round follow `HEAVY_BASE + HEAVY_UPLIFT * share`, where `share` is
  the part of the fleet with the mode on; light-lift sales do not depend on flags;
- heavy-lift CSAT answers centre on 4.4 with the mode fully released and on 2.8 without it (a failed
  heavy flight lowers the round's answers further); NPS answers follow the same share."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

REGIONS = ("eu", "na", "apac")
PRODUCTS = ("light-lift", "heavy-lift")
PRICE_EUR = {"light-lift": 1_800.0, "heavy-lift": 9_500.0}
LIGHT_RATE = 0.6  # light-lift units per region per hour
HEAVY_BASE = 0.02  # heavy-lift units per region per hour before the feature is out (pre-orders)
HEAVY_UPLIFT = 0.8  # more heavy-lift units per region per hour with the feature out to the whole fleet
MISSIONS_PER_HOUR = 2.0  # per drone
SUCCESS = {("light", True): 0.985, ("light", False): 0.985, ("heavy", True): 0.97, ("heavy", False): 0.72}
FAILURE_KINDS = {"light": ("gps_loss", "battery_low"), "heavy": ("altitude_oscillation", "motor_overheat")}
LOW_BATTERY = 20.0
LIGHT_MAX_KG = 2.5
LEGACY_HEAVY_KG = 3.5  # what a heavy attempt carries when the controller still enforces the old limit


@dataclass(frozen=True)
class DroneFlags:
    """What the flags say for one drone (its targeting key)."""

    heavy_lift: bool = False
    max_payload_kg: float = LIGHT_MAX_KG


@dataclass
class Drone:
    id: str
    battery_pct: float = 100.0
    motor_temp_c: float = 30.0


@dataclass(frozen=True)
class Mission:
    id: str
    drone: str
    payload: str  # light | heavy
    kg: float
    success: bool
    failure: str | None  # its kind when not a success
    offset_s: float  # start, seconds into the round
    duration_s: float


@dataclass(frozen=True)
class Request:
    """A span of the fleet API: one request it served."""

    method: str
    route: str
    target: str
    status: int
    offset_s: float
    duration_ms: float
    mission: str | None = None


@dataclass(frozen=True)
class LogLine:
    severity: str  # INFO | WARN | ERROR
    message: str
    offset_s: float
    attributes: dict[str, str]


@dataclass(frozen=True)
class Reading:
    drone: str
    battery_pct: float
    motor_temp_c: float


@dataclass
class Round:
    """What one round of `minutes` simulated minutes produced."""

    number: int
    minutes: float
    heavy_share: float
    missions: list[Mission] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    units_sold: Counter[tuple[str, str]] = field(default_factory=Counter)  # (product, region) -> units
    csat: list[tuple[str, int]] = field(default_factory=list)  # (product, score 1..5)
    nps: list[tuple[str, int]] = field(default_factory=list)  # (product, answer 0..10)

    @property
    def flights(self) -> Counter[tuple[str, str]]:
        """(payload, outcome) -> flights."""
        return Counter((m.payload, "success" if m.success else "failure") for m in self.missions)

    @property
    def failures(self) -> Counter[str]:
        return Counter(m.failure for m in self.missions if m.failure)

    def revenue(self) -> dict[tuple[str, str], float]:
        return {key: units * PRICE_EUR[key[0]] for key, units in self.units_sold.items()}


def drone_ids(count: int) -> list[str]:
    return [f"drone-{number:04d}" for number in range(count)]


class Fleet:
    """The drones and their state between rounds; `advance` plays one round."""

    def __init__(self, drones: int, seed: int, minutes: float = 15.0) -> None:
        if drones < 1:
            raise ValueError("a fleet needs at least one drone")
        if minutes <= 0:
            raise ValueError("a round lasts more than zero minutes")
        self.rng = random.Random(seed)
        self.drones = [Drone(drone) for drone in drone_ids(drones)]
        self.minutes = minutes
        self.rounds = 0

    def advance(self, flags: dict[str, DroneFlags]) -> Round:
        share = sum(1 for d in self.drones if flags.get(d.id, DroneFlags()).heavy_lift) / len(self.drones)
        played = Round(self.rounds, self.minutes, share)
        self.rounds += 1
        for drone in self.drones:
            self._fly(drone, flags.get(drone.id, DroneFlags()), played)
        self._sell(played)
        self._survey(played)
        return played

    # --- the drones ----------------------------------------------------------------------------------

    def _fly(self, drone: Drone, flags: DroneFlags, played: Round) -> None:
        seconds = self.minutes * 60
        for _ in range(self._poisson(MISSIONS_PER_HOUR * self.minutes / 60)):
            mission = self._mission(drone, flags, played, self.rng.uniform(0, seconds * 0.9))
            played.missions.append(mission)
            self._report(drone, mission, played)
        poll = self.rng.uniform(0, seconds)
        status = 503 if self.rng.random() < 0.01 else 200
        played.requests.append(
            Request("GET", "/telemetry/{drone}", f"/telemetry/{drone.id}", status, poll, self.rng.uniform(2, 15))
        )
        drone.motor_temp_c = round(max(drone.motor_temp_c - 4, 25 + self.rng.uniform(0, 3)), 1)
        played.readings.append(Reading(drone.id, round(drone.battery_pct, 1), drone.motor_temp_c))

    def _mission(self, drone: Drone, flags: DroneFlags, played: Round, offset: float) -> Mission:
        rng = self.rng
        heavy = rng.random() < (0.5 if flags.heavy_lift else 0.04)
        payload = "heavy" if heavy else "light"
        limit = max(flags.max_payload_kg, LIGHT_MAX_KG + 0.5) if flags.heavy_lift else LEGACY_HEAVY_KG
        kg = round(rng.uniform(LIGHT_MAX_KG, limit) if heavy else rng.uniform(0.2, LIGHT_MAX_KG), 2)
        success = rng.random() < SUCCESS[(payload, flags.heavy_lift)]
        failure = None if success else rng.choice(FAILURE_KINDS[payload])
        number = f"m-{played.number:05d}-{drone.id[-4:]}-{len(played.missions):03d}"
        return Mission(number, drone.id, payload, kg, success, failure, offset, rng.uniform(240, 900))

    def _report(self, drone: Drone, mission: Mission, played: Round) -> None:
        drone.battery_pct -= 6 + mission.kg * 3 + self.rng.uniform(0, 4)
        drone.motor_temp_c = round(40 + mission.kg * 6 + self.rng.uniform(-2, 4), 1)
        status = 201 if mission.success else 500
        played.requests.append(
            Request("POST", "/missions", "/missions", status, mission.offset_s, self.rng.uniform(20, 120), mission.id)
        )
        attributes = {"drone": drone.id, "mission": mission.id, "payload": mission.payload}
        outcome = "delivered" if mission.success else f"failed ({mission.failure})"
        text = f"{mission.id}: {drone.id} carried {mission.kg} kg ({mission.payload}), {outcome}"
        played.logs.append(LogLine("INFO", text, mission.offset_s, attributes))
        if not mission.success:
            failure = f"{mission.id}: {drone.id} {mission.failure} with {mission.kg} kg aboard"
            played.logs.append(LogLine("ERROR", failure, mission.offset_s + mission.duration_s, attributes))
        if drone.battery_pct < LOW_BATTERY:
            warning = f"{drone.id} battery at {drone.battery_pct:.0f} %, returning to charge"
            played.logs.append(LogLine("WARN", warning, mission.offset_s + mission.duration_s, {"drone": drone.id}))
            drone.battery_pct = 100.0  # swapped at the base

    # --- the market ----------------------------------------------------------------------------------

    def _sell(self, played: Round) -> None:
        hours = self.minutes / 60
        for region in REGIONS:
            light = self._poisson(LIGHT_RATE * hours)
            heavy = self._poisson((HEAVY_BASE + HEAVY_UPLIFT * played.heavy_share) * hours)
            if light:
                played.units_sold[("light-lift", region)] += light
            if heavy:
                played.units_sold[("heavy-lift", region)] += heavy

    def _survey(self, played: Round) -> None:
        heavy_failures = sum(1 for m in played.missions if m.payload == "heavy" and not m.success)
        for product, units in sorted(Counter(p for p, _ in played.units_sold.elements()).items()):
            centre = 4.3 if product == "light-lift" else 2.8 + 1.6 * played.heavy_share - 0.3 * min(heavy_failures, 2)
            for _ in range(units):
                played.csat.append((product, self._score(centre, 1, 5)))
                played.nps.append((product, self._score(centre * 2 + 0.2, 0, 10)))

    def _score(self, centre: float, low: int, high: int) -> int:
        return min(high, max(low, round(self.rng.gauss(centre, 0.7))))

    def _poisson(self, mean: float) -> int:
        """Knuth's method: fine for the small means of a round."""
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count
