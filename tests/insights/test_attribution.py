"""Attribution through the services: a flag released in staging, a KPI sent as points before and after,
and the figures worked out by hand."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime, build_runtime, create_app
from digital_factory.core.clock import FixedClock
from digital_factory.core.errors import ValidationFailed
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentStatus, Origin, OutsideDeployment
from digital_factory.insights import service as insights
from digital_factory.insights.attribution_stats import t_quantile, welch
from digital_factory.insights.schemas import Attribution, AttributionQuery
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange
from digital_factory.settings import Settings
from digital_factory.telemetry.points import MetricKind, Point
from tests.conftest import TEST_PUBLIC_URL
from tests.factories import MadeUser, actor_of, make_user, web_login
from tests.releases.builders import SERVICE, flight_control, make_flag
from tests.telemetry.builders import nanos, write

RELEASED = datetime(2026, 11, 10, tzinfo=UTC)
BEFORE = [10.0, 12.0, 11.0, 13.0, 9.0, 10.0, 12.0]  # days −7 … −1: mean 11, variance 12/6 = 2
AFTER = [14.0, 16.0, 15.0, 17.0, 13.0, 14.0, 16.0]  # days 0 … 6: mean 15, variance 2
OFF = [5.0, 7.0, 6.0, 8.0, 4.0, 5.0, 7.0]  # the off cohort's share of AFTER: mean 6, variance 2
KPI = "sum(drone.orders[1d])"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(RELEASED)


@pytest.fixture
def timed(settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    runtime = build_runtime(settings, clock=clock)
    try:
        yield runtime
    finally:
        runtime.executor.stop()
        runtime.store.dispose()


def orders(day: int, value: float, variant: str | None = None) -> Point:
    attributes = (("feature_flag.variant", variant),) if variant else ()
    at = RELEASED + timedelta(days=day, hours=1)
    return Point("drone.orders", MetricKind.COUNTER, attributes, nanos(at), value)


def released(runtime: Runtime) -> None:
    """heavy-lift-mode of FEAT-1 rolled out 50/50 in staging at RELEASED, and the orders of 7 days either side."""
    flight_control(runtime)
    make_flag(runtime, feature="FEAT-1")
    serve = {"rollout": [{"variant": "on", "percent": 50}, {"variant": "off", "percent": 50}]}
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        data = FlagChange.model_validate({"enabled": True, "default": serve})
        releases.request_change(uow, SERVICE, "heavy-lift-mode", "staging", data)
    points = [orders(day - 7, value) for day, value in enumerate(BEFORE)]
    for day, (total, off) in enumerate(zip(AFTER, OFF, strict=True)):
        points += [orders(day, off, "off"), orders(day, total - off, "on")]
    write(runtime, SERVICE, points, environment="staging")


def attribution(runtime: Runtime, **fields: object) -> Attribution:
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        return insights.attribute(uow, AttributionQuery.model_validate({"kpi": KPI, "days": 7, **fields}))


def test_before_and_after_a_release_with_welchs_interval(timed: Runtime, clock: FixedClock) -> None:
    released(timed)
    clock.advance(timedelta(days=7, hours=2))
    found = attribution(timed, flag="heavy-lift-mode")
    assert [r.summary for r in found.releases] == ["turned on: on · 50% on / 50% off"]
    release = found.releases[0]
    assert (release.at, release.before_start, release.after_end) == (
        RELEASED,
        RELEASED - timedelta(days=7),
        RELEASED + timedelta(days=7),
    )
    c = release.before_after
    assert (c.n_a, c.n_b, c.mean_a, c.mean_b, c.difference) == (7, 7, 11.0, 15.0, 4.0)
    # se = √(2/7 + 2/7) = √(4/7); df = (4/7)² / (2 · (2/7)² / 6) = 12; t(0.975, 12) = 2.1788 (tables)
    se = math.sqrt(4 / 7)
    assert c.df == pytest.approx(12.0)
    assert c.low == pytest.approx(4 - 2.1788 * se, abs=1e-3)
    assert c.high == pytest.approx(4 + 2.1788 * se, abs=1e-3)
    assert c.verdict == "higher"


def test_flag_on_against_flag_off_cohorts(timed: Runtime, clock: FixedClock) -> None:
    released(timed)
    clock.advance(timedelta(days=7, hours=2))
    cohorts = attribution(timed, feature="FEAT-1").releases[0].cohorts
    assert [(c.a, c.b) for c in cohorts] == [("off", "on")]
    c = cohorts[0]
    # on = AFTER − OFF = 9 every day (variance 0); off: mean 6, variance 2. se = √(2/7), df = 6, t = 2.4469
    assert (c.n_a, c.n_b, c.mean_a, c.mean_b, c.difference) == (7, 7, 6.0, 9.0, 3.0)
    assert c.df == pytest.approx(6.0)
    assert c.low == pytest.approx(3 - 2.4469 * math.sqrt(2 / 7), abs=1e-3)
    assert c.high == pytest.approx(3 + 2.4469 * math.sqrt(2 / 7), abs=1e-3)


def test_not_enough_data_below_the_minimum_sample(timed: Runtime, clock: FixedClock) -> None:
    released(timed)
    clock.advance(timedelta(days=3, hours=2))  # three whole days since: three samples a side
    c = attribution(timed, flag="heavy-lift-mode").releases[0].before_after
    assert (c.n_a, c.n_b) == (3, 3)
    assert c.mean_a == pytest.approx((9 + 10 + 12) / 3)
    assert c.mean_b == pytest.approx((14 + 16 + 15) / 3)
    assert (c.difference, c.low, c.high, c.verdict) == (None, None, None, "not enough data")


def test_a_service_sees_its_flag_releases(timed: Runtime, clock: FixedClock) -> None:
    released(timed)
    clock.advance(timedelta(days=7, hours=2))
    found = attribution(timed, service=SERVICE)
    assert found.subject == f"service {SERVICE}"
    assert [(r.source, r.flag, r.environment) for r in found.releases] == [("flag", "heavy-lift-mode", "staging")]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"flag": "x", "service": "y"}, "feature", "exactly one"),
        ({}, "feature", "exactly one"),
        ({"flag": "x", "kpi": "sum(drone.orders[5m])"}, "kpi", "must be 1h to 7d"),
        ({"flag": "x", "kpi": "ratio(sum(a[1d]), sum(b[1d]))"}, "kpi", "ratio"),
        ({"flag": "x", "kpi": "sum(drone.orders"}, "kpi", ""),
    ],
)
def test_bad_questions_name_the_field(runtime: Runtime, fields: dict[str, str], field: str, reason: str) -> None:
    flight_control(runtime)
    with pytest.raises(ValidationFailed) as refused:
        attribution(runtime, **fields)
    assert refused.value.problems[0].field == field
    assert reason in refused.value.problems[0].reason


def test_the_t_quantile_matches_the_tables() -> None:
    # Student's t at 0.975 (two-sided 95 %), from the published tables
    for df, tabled in ((5, 2.5706), (7, 2.3646), (12, 2.1788), (30, 2.0423)):
        assert t_quantile(0.975, df) == pytest.approx(tabled, abs=5e-4)
    assert t_quantile(0.975, math.inf) == pytest.approx(1.95996, abs=1e-5)


def test_welch_by_hand_with_unequal_variances() -> None:
    # a: mean 2, var 1 (n 7); b: mean 5, var 4 (n 8)
    a = [1.0, 3.0, 2.0, 2.0, 1.0, 3.0, 2.0]
    b = [3.0, 7.0, 5.0, 5.0, 3.0, 7.0, 5.0, 5.0]
    var_a = sum((x - 2) ** 2 for x in a) / 6
    var_b = sum((x - 5) ** 2 for x in b) / 7
    se = math.sqrt(var_a / 7 + var_b / 8)
    df = se**4 / ((var_a / 7) ** 2 / 6 + (var_b / 8) ** 2 / 7)
    found = welch(a, b)
    assert found.difference == 3.0
    assert found.df == pytest.approx(df)
    assert found.high == pytest.approx(3 + t_quantile(0.975, df) * se)
    assert welch(a[:6], b).verdict == "not enough data"


def test_the_api_and_the_page_answer_the_same(timed: Runtime, clock: FixedClock, settings: Settings) -> None:
    released(timed)
    clock.advance(timedelta(days=7, hours=2))
    viewer = make_user(timed, "viewer", Role.VIEWER)
    with TestClient(create_app(settings, runtime=timed), base_url=TEST_PUBLIC_URL) as client:
        params = {"flag": "heavy-lift-mode", "kpi": KPI, "days": "7"}
        answer = client.get("/api/v1/insights/attribution", params=params, headers=bearer(viewer))
        assert answer.status_code == 200, answer.text
        found = answer.json()["releases"][0]
        assert (found["before_after"]["mean_a"], found["before_after"]["mean_b"]) == (11.0, 15.0)
        assert [(c["b"], c["difference"]) for c in found["cohorts"]] == [("on", 3.0)]
        refused = client.get(
            "/api/v1/insights/attribution", params={**params, "kpi": "avg(x[1m])"}, headers=bearer(viewer)
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "kpi"

        web_login(client, viewer)
        page = client.get(
            "/insights/attribution", params={"subject": "flag", "key": "heavy-lift-mode", "kpi": KPI, "days": "7"}
        )
        assert page.status_code == 200
        rows = re.findall(r"<tr[^>]*><td>(after against before|variant on against off)</td>(.*?)</tr>", page.text, re.S)
        cells = [re.findall(r'<td class="num">([^<]*)</td>', row) for _, row in rows]
        assert cells[0][:4] == ["7 / 7", "11.00", "15.00", "4.00"]
        assert cells[1][:4] == ["7 / 7", "6.00", "9.00", "3.00"]
        assert page.text.count('data-testid="verdict">higher<') == 2


def bearer(user: MadeUser) -> dict[str, str]:
    return {"Authorization": f"Bearer {user.token}"}


def test_the_hour_of_a_release_is_on_neither_side(timed: Runtime, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=40))  # released at 00:40: before ends at 00:00, after starts at 01:00
    released(timed)
    clock.advance(timedelta(days=7, hours=2))
    release = attribution(timed, flag="heavy-lift-mode").releases[0]
    assert release.at == RELEASED + timedelta(minutes=40)
    assert (release.before_end, release.after_start) == (RELEASED, RELEASED + timedelta(hours=1))
    # each day's point sits at 01:00 after midnight: the after steps (01:00 to 01:00) hold one a day all the same
    assert (release.before_after.n_a, release.before_after.n_b) == (7, 7)
    assert (release.before_after.mean_a, release.before_after.mean_b) == (11.0, 15.0)


def test_a_service_sees_its_production_deployments(timed: Runtime, clock: FixedClock) -> None:
    flight_control(timed)
    deployed = RELEASED + timedelta(hours=3)  # on a whole hour: the windows split there
    outside = OutsideDeployment(
        origin=Origin.GITHUB,
        external_id="d-1",
        environment="prod",
        version="2.4.0",
        status=DeploymentStatus.SUCCEEDED,
        at=deployed,
    )
    staging = outside.model_copy(update={"external_id": "d-0", "environment": "staging"})
    with timed.store.unit_of_work(actor_of(timed, "flight")) as uow:
        delivery.record_deployment(uow, SERVICE, staging)  # not production: not a release for attribution
        delivery.record_deployment(uow, SERVICE, outside)
    before = [orders(day - 7, value) for day, value in enumerate(BEFORE)]
    after = [orders(day, value) for day, value in enumerate(AFTER)]  # at 01:00: the after steps start at 03:00
    write(timed, SERVICE, [*before, *after], environment="prod")
    clock.advance(timedelta(days=8))
    found = attribution(timed, service=SERVICE).releases
    assert [(r.source, r.environment, r.summary, r.at) for r in found] == [
        ("deployment", "prod", "deployed 2.4.0", deployed)
    ]
    c = found[0].before_after
    # before [day −7 03:00, day 0 03:00) holds days −6 … 0 (day 0's 01:00 point is before 03:00): 12 11 13 9 10 12 14
    assert (c.n_a, c.n_b) == (7, 7)
    assert c.mean_a == pytest.approx(81 / 7)
    assert c.mean_b == pytest.approx(
        (16 + 15 + 17 + 13 + 14 + 16) / 7
    )  # days 1 … 6; the last step has no orders: a sum of 0
    assert found[0].cohorts == []
