"""Business events into the metric store: the mapping, exact figures, dedupe, idempotency and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor, system_actor
from digital_factory.core.errors import Conflict, PermissionDenied, ValidationFailed
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import BusinessEvent, BusinessWritten
from tests.delivery.owners import owning_team
from tests.factories import actor_of, make_user
from tests.telemetry.builders import T0, make_service

SYSTEM = system_actor("tests")


def _events(*raw: dict[str, Any]) -> list[BusinessEvent]:
    return [BusinessEvent.model_validate({"service": "fleet-api", **item}) for item in raw]


def _record(runtime: Runtime, events: list[BusinessEvent], actor: Actor = SYSTEM, **request: Any) -> BusinessWritten:
    with runtime.store.unit_of_work(actor) as uow:
        return telemetry.record_business_events(uow, telemetry.BusinessRequest(events, **request))


def _value(runtime: Runtime, query: str, at: datetime = T0 + timedelta(days=1)) -> float | None:
    with runtime.store.unit_of_work(SYSTEM, write=False) as uow:
        return telemetry.evaluate(uow, query, at=at).value


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def test_units_and_revenue_sum_by_product_and_currency(runtime: Runtime) -> None:
    make_service(runtime)
    written = _record(
        runtime,
        _events(
            {"kind": "units_sold", "count": 3, "at": _at(1), "attributes": {"product": "heavy-lift"}},
            {"kind": "units_sold", "count": 2, "at": _at(1), "attributes": {"product": "heavy-lift"}},
            {"kind": "units_sold", "count": 7, "at": _at(2), "attributes": {"product": "light"}},
            {
                "kind": "units_sold",
                "count": 1,
                "amount": 1200.5,
                "currency": "EUR",
                "at": _at(3),
                "attributes": {"product": "heavy-lift"},
            },
            {"kind": "revenue", "amount": 99.5, "currency": "EUR", "at": _at(4)},
            {"kind": "revenue", "amount": 40, "currency": "USD", "at": _at(4)},
        ),
    )
    assert (written.events, written.accepted, written.duplicates) == (6, 6, 0)
    assert _value(runtime, 'sum(business.units_sold{product="heavy-lift"}[30d])') == 6
    assert _value(runtime, "sum(business.units_sold[30d])") == 13
    assert _value(runtime, 'sum(business.revenue{currency="EUR"}[30d])') == 1300
    assert _value(runtime, 'sum(business.revenue{currency="USD"}[30d])') == 40
    # the same second, the same series: two events, two points (the offset comes from each event's identity)
    assert _value(runtime, 'count(business.units_sold{product="heavy-lift"}[30d])') == 3


def test_the_same_event_sent_twice_is_stored_once(runtime: Runtime) -> None:
    make_service(runtime)
    with_id = {"kind": "units_sold", "count": 5, "at": _at(1), "id": "order-17"}
    without_id = {"kind": "custom", "metric": "drone.orders", "value": 2, "at": _at(2)}
    first = _record(runtime, _events(with_id, without_id))
    again = _record(runtime, _events({**with_id, "count": 5}, without_id, without_id))
    assert (first.accepted, first.duplicates) == (2, 0)
    assert (again.events, again.accepted, again.duplicates) == (3, 0, 3)
    assert _value(runtime, "sum(business.units_sold[30d])") == 5
    assert _value(runtime, "sum(drone.orders[30d])") == 2


def test_csat_and_nps_give_the_summary_figures_and_keep_feedback(runtime: Runtime) -> None:
    make_service(runtime)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    csat = [5, 4, 4, 3, 1]  # 3 of 5 satisfied: 60 %, average 3.4
    nps = [10, 9, 9, 8, 7, 6, 0, 10]  # 4 promoters, 2 passives, 2 detractors of 8: NPS 25
    # identical answers at the same moment are distinct responses only by their ids
    events = [{"kind": "csat", "score": s, "at": now.isoformat(), "id": f"c{i}"} for i, s in enumerate(csat)]
    events += [
        {"kind": "nps", "score": s, "at": now.isoformat(), "id": f"n{i}", "attributes": {"market": "ch"}}
        for i, s in enumerate(nps)
    ]
    events.append({"kind": "nps", "score": 2, "at": now.isoformat(), "feedback": "Rotor noise at night"})
    events.append({"kind": "csat", "score": 5, "at": now.isoformat(), "feedback": "Delivered in 20 minutes"})
    _record(runtime, _events(*events))
    with runtime.store.unit_of_work(SYSTEM, write=False) as uow:
        summary = telemetry.business_summary(uow, "fleet-api", days=30)
        feedback = telemetry.list_feedback(uow, "fleet-api")
    assert summary.csat_responses == 6
    assert summary.csat_percent == pytest.approx(100 * 4 / 6, abs=0.01)
    assert summary.csat_average == pytest.approx(22 / 6)
    assert (summary.nps_promoters, summary.nps_passives, summary.nps_detractors) == (4, 2, 3)
    assert summary.nps == pytest.approx(100 * (4 - 3) / 9, abs=0.01)
    assert summary.environment is None
    assert sorted((f.kind.value, f.score, f.text, f.environment) for f in feedback) == [
        ("csat", 5.0, "Delivered in 20 minutes", "prod"),
        ("nps", 2.0, "Rotor noise at night", "prod"),
    ]
    window = (now + timedelta(hours=1)).isoformat()
    query = 'avg(customer.csat.score{environment="prod"}[1d])'
    assert _value(runtime, query, datetime.fromisoformat(window)) == pytest.approx(22 / 6)


def test_a_bad_event_refuses_the_whole_request_naming_each_problem(runtime: Runtime) -> None:
    make_service(runtime)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    events = _events(
        {"kind": "units_sold", "count": 1, "at": _at(1)},
        {"kind": "csat", "score": 6},
        {"kind": "revenue", "amount": 5, "currency": "EUD"},
        {"kind": "custom", "metric": "business.fake", "value": 1},
        {"kind": "nps", "score": 9, "at": future, "environment": "moon"},
        {"kind": "units_sold", "count": 1, "score": 3, "attributes": {"Bad Key": "x"}},
        {"kind": "revenue", "amount": 1e300, "currency": "EUR", "at": "1970-01-01T00:30:00+01:00"},
    )
    with pytest.raises(ValidationFailed) as refused:
        _record(runtime, events)
    assert [(p.field, p.reason) for p in refused.value.problems] == [
        ("[1].score", "must be a whole number from 1 to 5"),
        ("[2].currency", "'EUD' is not an ISO 4217 code such as EUR or USD"),
        ("[3].metric", "must not start with business., customer., red., log. (the product's own names)"),
        ("[4].at", "is more than 1 day in the future"),
        ("[4].environment", "fleet-api has no environment 'moon' (dev, staging, prod)"),
        ("[5].score", "is not a field of a units_sold event"),
        ("[5].attributes.Bad Key", "the name must match ^[a-z][a-z0-9_.]{0,63}$"),
        ("[6].amount", "must be a finite number of at most 1e+15 in size"),
        ("[6].at", "is before 1970-01-01"),
    ]
    assert _value(runtime, "sum(business.units_sold[30d])") is None


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(runtime: Runtime) -> None:
    make_service(runtime)
    events = _events({"kind": "units_sold", "count": 4, "at": _at(1)})
    first = _record(runtime, events, idempotency_key="batch-1", body_digest="a")
    replay = _record(runtime, events, idempotency_key="batch-1", body_digest="a")
    assert first == replay == BusinessWritten(events=1, accepted=1, duplicates=0)
    with pytest.raises(Conflict, match="Idempotency-Key 'batch-1' was used before with a different body"):
        _record(runtime, events, idempotency_key="batch-1", body_digest="b")


def test_only_the_owning_team_with_telemetry_write_records(runtime: Runtime) -> None:
    make_service(runtime)
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "otto", Role.PLATFORM)
    make_user(runtime, "tina", Role.TEAM)
    owning_team(runtime, "pia", "tina", key="drones")
    owning_team(runtime, "otto", key="others")
    with runtime.store.unit_of_work(SYSTEM) as uow:
        from digital_factory.catalog import service as catalog
        from digital_factory.catalog.schemas import ServiceUpdate

        catalog.update_service(uow, "fleet-api", ServiceUpdate(owner_team="drones"))
    events = _events({"kind": "units_sold", "count": 1, "at": _at(1)})
    assert _record(runtime, events, actor_of(runtime, "pia")).accepted == 1
    with pytest.raises(PermissionDenied, match="that is for members of the team drones"):
        _record(runtime, events, actor_of(runtime, "otto"))
    later = _events({"kind": "units_sold", "count": 2, "at": _at(2)})
    assert _record(runtime, later, actor_of(runtime, "tina")).accepted == 1  # the team role sends its own
    make_user(runtime, "vera", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="lacks the permission telemetry:write"):
        _record(runtime, later, actor_of(runtime, "vera"))
    with (
        runtime.store.unit_of_work(SYSTEM) as uow,
        pytest.raises(PermissionDenied, match="the ingestion key of other sends only its own service's data"),
    ):
        telemetry.record_business_events(
            uow, telemetry.BusinessRequest(events), telemetry.BusinessSender(ingestion_service="other")
        )
