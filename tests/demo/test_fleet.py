"""The fleet simulator's model, clock and metric building, without a server: flags move the figures, the
seed fixes them, and the simulated timeline ends at the run's end."""

from __future__ import annotations

from collections import Counter

import pytest
from opentelemetry.sdk.metrics.export import Gauge, Histogram, Sum
from opentelemetry.sdk.resources import Resource

from digital_factory.demo.fleet.model import DroneFlags, Fleet, Round, drone_ids
from digital_factory.demo.fleet.otel import metrics_of
from digital_factory.demo.fleet.run import NANOS, Plan, Sent, Tally, run

ON = DroneFlags(heavy_lift=True, max_payload_kg=7.5)


def _play(rounds: int, flags: DroneFlags, seed: int = 1, drones: int = 20) -> list[Round]:
    fleet = Fleet(drones, seed, minutes=60)
    everyone = dict.fromkeys(drone_ids(drones), flags)
    return [fleet.advance(everyone) for _ in range(rounds)]


def _units(rounds: list[Round], product: str) -> int:
    return sum(units for r in rounds for (p, _), units in r.units_sold.items() if p == product)


def _flights(rounds: list[Round], payload: str) -> Counter[str]:
    return Counter(outcome for r in rounds for (p, outcome), n in r.flights.items() if p == payload for _ in range(n))


def test_the_heavy_lift_flag_raises_heavy_lift_sales_and_heavy_flight_success() -> None:
    off, on = _play(48, DroneFlags()), _play(48, ON)
    assert _units(off, "heavy-lift") <= 10
    assert _units(on, "heavy-lift") >= 60
    heavy_off, heavy_on = _flights(off, "heavy"), _flights(on, "heavy")
    assert heavy_on.total() > 5 * heavy_off.total() > 0
    assert heavy_on["success"] / heavy_on.total() > 0.9 > heavy_off["success"] / heavy_off.total()
    assert max(m.kg for r in on for m in r.missions) > 3.5 >= max(m.kg for r in off for m in r.missions)
    assert on[0].heavy_share == 1.0 and off[0].heavy_share == 0.0


def test_heavy_lift_satisfaction_follows_the_release() -> None:
    def mean(rounds: list[Round]) -> float:
        scores = [score for r in rounds for product, score in r.csat if product == "heavy-lift"]
        return sum(scores) / len(scores)

    assert mean(_play(96, DroneFlags())) < 3.5
    assert mean(_play(96, ON)) > 4.0


def test_light_lift_sales_do_not_depend_on_the_flags() -> None:
    off, on = _units(_play(48, DroneFlags()), "light-lift"), _units(_play(48, ON), "light-lift")
    assert min(off, on) > 40 and abs(off - on) < 0.5 * off


def test_the_same_seed_plays_the_same_fleet_and_another_seed_another() -> None:
    first, again, other = _play(5, ON, seed=7), _play(5, ON, seed=7), _play(5, ON, seed=8)
    assert first == again
    assert first != other


def test_every_failed_flight_has_a_failure_an_error_log_and_a_500() -> None:
    rounds = _play(24, DroneFlags())
    failed = [m for r in rounds for m in r.missions if not m.success]
    assert failed and all(m.failure for m in failed)
    errors = [line for r in rounds for line in r.logs if line.severity == "ERROR"]
    assert len(errors) == len(failed) == sum(r.failures.total() for r in rounds)
    assert sum(1 for r in rounds for q in r.requests if q.route == "/missions" and q.status == 500) == len(failed)
    assert any(line.severity == "WARN" and "battery" in line.message for r in rounds for line in r.logs)


def test_metrics_carry_the_rounds_figures_and_simulated_interval() -> None:
    (played,) = _play(1, ON)
    data = metrics_of(played, Resource({"service.name": "fleet-api"}), 10 * NANOS, 70 * NANOS)
    metrics = {m.name: m for m in data.resource_metrics[0].scope_metrics[0].metrics}
    flights = metrics["drone.flights"].data
    assert isinstance(flights, Sum) and flights.is_monotonic
    assert sum(p.value for p in flights.data_points) == len(played.missions)
    assert {(p.start_time_unix_nano, p.time_unix_nano) for p in flights.data_points} == {(10 * NANOS, 70 * NANOS)}
    battery = metrics["drone.battery_pct"].data
    assert isinstance(battery, Gauge) and len(battery.data_points) == 20
    assert {p.attributes["drone"] for p in battery.data_points if p.attributes} == set(drone_ids(20))
    csat = metrics["customer.csat.score"].data
    assert isinstance(csat, Histogram) and list(csat.data_points[0].explicit_bounds) == [1, 2, 3, 4]
    assert sum(p.count for p in csat.data_points) == len(played.csat)
    nps = metrics["customer.nps.response"].data
    assert isinstance(nps, Histogram) and list(nps.data_points[0].explicit_bounds) == [6, 8]
    units = metrics["business.units_sold"].data
    assert isinstance(units, Sum) and sum(p.value for p in units.data_points) == played.units_sold.total()


class _Recorder:
    def __init__(self) -> None:
        self.starts: list[int] = []

    def send(self, played: Round, start_ns: int) -> Sent:
        self.starts.append(start_ns)
        return Sent(points=3, spans=len(played.requests), logs=len(played.logs), flights=len(played.missions))


class _Flags:
    def __init__(self) -> None:
        self.asked = 0

    def of(self, drones: list[str]) -> dict[str, DroneFlags]:
        self.asked += 1
        return dict.fromkeys(drones, ON)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_day_in_a_minute_ends_at_the_runs_end_and_reads_flags_hourly() -> None:
    clock, sender, flags = _Clock(), _Recorder(), _Flags()
    plan = Plan.lasting(60, speed=24, minutes=15, drones=5, seed=3)
    shown: list[int] = []
    tally = run(plan, flags, sender, lambda t: shown.append(t.rounds), clock=clock, sleep=clock.sleep)
    assert plan.rounds == 96 and tally.rounds == 96 and shown == list(range(1, 97))
    assert clock.now == 1_000_060.0 and clock.slept == [0.625] * 96
    span = 15 * 60 * NANOS
    assert sender.starts[0] == int(1_000_060 * NANOS) - 96 * span
    assert [b - a for a, b in zip(sender.starts, sender.starts[1:], strict=False)] == [span] * 95
    assert sender.starts[-1] + span == int(1_000_060 * NANOS)  # the last round ends when the run does
    assert flags.asked == 24
    assert tally.points == 3 * 96 and tally.heavy_share == 1.0


def test_speed_zero_does_not_wait_and_the_timeline_ends_at_the_start() -> None:
    clock, sender = _Clock(), _Recorder()
    tally = run(Plan(drones=2, rounds=4, minutes=30, speed=0), _Flags(), sender, clock=clock, sleep=clock.sleep)
    assert clock.slept == [] and isinstance(tally, Tally) and tally.rounds == 4
    assert sender.starts[-1] + 30 * 60 * NANOS == int(clock.now * NANOS)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (Plan(rounds=0), "rounds, drones and round minutes must be above 0"),
        (Plan(speed=0.001), "speed is simulated minutes per real second"),
    ],
)
def test_impossible_plans_are_refused(plan: Plan, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan.check()


def test_a_duration_needs_a_speed() -> None:
    with pytest.raises(ValueError, match="a duration needs a speed above 0"):
        Plan.lasting(60, speed=0, minutes=15)


class _Interrupting(_Recorder):
    def send(self, played: Round, start_ns: int) -> Sent:
        if len(self.starts) == 2:
            raise KeyboardInterrupt
        return super().send(played, start_ns)


def test_an_interrupted_run_still_knows_what_it_sent() -> None:
    clock, tally = _Clock(), Tally()
    with pytest.raises(KeyboardInterrupt):
        run(Plan(drones=3, rounds=5, speed=0), _Flags(), _Interrupting(), clock=clock, sleep=clock.sleep, tally=tally)
    assert tally.rounds == 2 and tally.points == 6
