"""DORA over a large fleet: 200 services, 200,000 production deployments over two years, 2,000,000 changes
(ten a deployment), incidents on 2 % and rollbacks of 1 % of the deployments.

Two figures, each beside the same computation in plain SQL over the same tables in the same run, SQLite and
PostgreSQL:

- full: every service's five figures over a quarter (`insights.dora_report`, the whole organisation, weekly
  trend) beside plain SQL that finds each change's first production deployment by joining changes,
  deployment links and deployments (no derived columns), with medians taken in Python;
- incremental: one new production deployment (with its change) recorded through delivery's use-case, then
  the next read of that service's quarter, beside a plain INSERT of the same rows and the plain SQL read of
  that service.

Rows are generated straight into the tables with executemany (bench only; the derived columns a change
keeps are written as delivery would); generation is timed apart."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, text

from bench.harness import Result, each_store, seconds
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.delivery import models
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentStatus, Origin, OutsideChange, OutsideDeployment
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraPolicy

SERVICES = 200
PER_SERVICE = 1_000
CHANGES = 10
START = datetime(2025, 1, 1, tzinfo=UTC)
SPACING = timedelta(hours=17, minutes=30)  # 1,000 deployments a service over 729 days
QUARTER = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
CHUNK = 20_000
REPEAT = 3
POLICY = DoraPolicy()


def run() -> list[Result]:
    results: list[Result] = []
    for backend, runtime in each_store():
        took = seconds(lambda: _generate(runtime, backend))  # noqa: B023  (called at once)
        rows = SERVICES * PER_SERVICE
        print(f"  {backend}: {rows:,} deployments and {rows * CHANGES:,} changes generated in {took:.1f} s")
        results += [_full(runtime, backend), _incremental(runtime, backend)]
    return results


# --- generation --------------------------------------------------------------------------------------------


def _generate(runtime: Runtime, backend: str) -> None:
    environments = [EnvironmentSpec(name="staging"), EnvironmentSpec(name="production")]
    with runtime.store.unit_of_work(system_actor("bench")) as uow:
        for s in range(SERVICES):
            catalog.register_service(
                uow, ServiceCreate(key=f"svc-{s:03d}", name=f"Service {s}", environments=environments)
            )
        ids = [catalog.service_id(uow, f"svc-{s:03d}") for s in range(SERVICES)]
    v = _Values(backend)
    with runtime.store.engine.begin() as connection:
        for table, columns, rows in (
            ("delivery_deployment", DEPLOYMENT_COLUMNS, _deployments(ids, v)),
            ("delivery_change", CHANGE_COLUMNS, _changes(ids, v)),
            ("delivery_deployment_change", ("deployment_id", "change_id"), _links()),
            ("delivery_incident", INCIDENT_COLUMNS, _incidents(ids, v)),
        ):
            _insert(connection, backend, table, columns, rows)
        if backend == "postgresql":  # explicit ids: move the sequences past them
            for name in ("delivery_deployment", "delivery_change", "delivery_deployment_change", "delivery_incident"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )
        connection.execute(text("ANALYZE"))


class _Values:
    """Values as each store keeps them: SQLite times as text with microseconds (compared as text) and
    booleans as 0/1; PostgreSQL the Python objects."""

    def __init__(self, backend: str) -> None:
        self.sqlite = backend == "sqlite"
        self.true, self.false = (1, 0) if self.sqlite else (True, False)

    def at(self, moment: datetime) -> Any:
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds") if self.sqlite else moment

    def flag(self, value: bool) -> Any:
        return self.true if value else self.false


def _insert(
    connection: Connection, backend: str, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> None:
    """executemany through the driver, a chunk at a time."""
    mark = "?" if backend == "sqlite" else "%s"
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            connection.exec_driver_sql(statement, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(statement, batch)


def _deployment_id(s: int, k: int) -> int:
    return s * PER_SERVICE + k + 1


def _finished(s: int, k: int) -> datetime:
    return START + k * SPACING + timedelta(minutes=5 * s)


DEPLOYMENT_COLUMNS = tuple(
    [
        "id",
        "service_id",
        "service_key",
        "environment",
        "is_production",
        "version",
        "commit_sha",
        "status",
        "approval_roles",
        "required_approvals",
        "triggered_by",
        "is_rollback",
        "rollback_of_id",
        "is_rework",
        "origin",
        "requested_at",
        "started_at",
        "finished_at",
    ]
)


def _deployments(ids: list[int], v: _Values) -> Iterator[tuple[Any, ...]]:
    for s, service_id in enumerate(ids):
        key = f"svc-{s:03d}"
        for k in range(PER_SERVICE):
            at = _finished(s, k)
            asked = v.at(at - timedelta(minutes=10))
            rollback = k % 100 == 99
            yield (
                _deployment_id(s, k), service_id, key, "production", v.true, f"v{k}", f"{s:03d}{k:06d}000",
                "succeeded", "[]", 0, "bench", v.flag(rollback), _deployment_id(s, k - 1) if rollback else None,
                v.flag(rollback), "factory", asked, asked, v.at(at),
            )  # fmt: skip


CHANGE_COLUMNS = tuple(
    [
        "id",
        "service_id",
        "sha",
        "author_name",
        "author_email",
        "authored_at",
        "committed_at",
        "merged_at",
        "subject",
        "item_keys",
        "first_seen_at",
        "first_production_at",
        "lead_seconds",
    ]
)


def _change_id(s: int, k: int, j: int) -> int:
    return (_deployment_id(s, k) - 1) * CHANGES + j + 1


def _changes(ids: list[int], v: _Values) -> Iterator[tuple[Any, ...]]:
    for s, service_id in enumerate(ids):
        for k in range(PER_SERVICE):
            deployed = _finished(s, k)
            shipped = v.at(deployed)
            for j in range(CHANGES):
                lead = timedelta(minutes=37 * (j + 1) + 60 * (k % 7))
                committed = v.at(deployed - lead)
                yield (
                    _change_id(s, k, j), service_id, f"{s:03d}{k:06d}{j:03d}", "bench", "bench@example.org",
                    committed, committed, committed, "work", "[]", committed, shipped, lead.total_seconds(),
                )  # fmt: skip


def _links() -> Iterator[tuple[int, int]]:
    for s in range(SERVICES):
        for k in range(PER_SERVICE):
            for j in range(CHANGES):
                yield _deployment_id(s, k), _change_id(s, k, j)


INCIDENT_COLUMNS = tuple(
    [
        "key",
        "service_id",
        "service_key",
        "environment",
        "title",
        "description",
        "severity",
        "status",
        "detected_at",
        "opened_at",
        "opened_by",
        "resolved_at",
        "caused_by_deployment_id",
        "cause_link",
        "origin",
    ]
)


def _incidents(ids: list[int], v: _Values) -> Iterator[tuple[Any, ...]]:
    for s, service_id in enumerate(ids):
        for k in range(25, PER_SERVICE, 50):  # 2 %: detected an hour after, resolved three hours after
            at = _finished(s, k)
            detected = v.at(at + timedelta(hours=1))
            yield (
                f"INC-{_deployment_id(s, k)}", service_id, f"svc-{s:03d}", "production", "bench", "", "sev2",
                "resolved", detected, detected, "bench", v.at(at + timedelta(hours=4)), _deployment_id(s, k),
                "explicit", "factory",
            )  # fmt: skip


# --- the plain SQL computation --------------------------------------------------------------------------


def _plain(connection: Connection, service_id: int | None) -> dict[int, dict[str, float | None]]:
    """Per service: deployments, median lead time, change fail rate, median recovery, rework rate."""
    scope = "" if service_id is None else " AND d.service_id = :sid"
    window = {"start": QUARTER[0], "end": QUARTER[1], "sid": service_id}
    deployments = connection.execute(
        text(
            "SELECT d.service_id, count(*), sum(CASE WHEN d.is_rework OR d.is_rollback THEN 1 ELSE 0 END), "
            "count(DISTINCT i.caused_by_deployment_id) + count(DISTINCT r.rollback_of_id) "
            "FROM delivery_deployment d "
            "LEFT JOIN delivery_incident i ON i.caused_by_deployment_id = d.id "
            "LEFT JOIN delivery_deployment r ON r.rollback_of_id = d.id AND r.is_rollback "
            "WHERE d.is_production AND d.status = 'succeeded' AND d.finished_at >= :start AND d.finished_at < :end"
            f"{scope} GROUP BY d.service_id"
        ),
        window,
    ).all()
    firsts = _plain_firsts(connection, scope.replace("d.service_id", "c.service_id"), window)
    recoveries = connection.execute(
        text(
            "SELECT d.service_id, i.detected_at, i.resolved_at FROM delivery_incident i "
            "JOIN delivery_deployment d ON d.id = i.caused_by_deployment_id "
            f"WHERE d.is_production AND i.detected_at >= :start AND i.detected_at < :end{scope}"
        ),
        window,
    ).all()
    leads: dict[int, list[float]] = defaultdict(list)
    for sid, committed, first in firsts:
        leads[sid].append((_dt(first) - _dt(committed)).total_seconds())
    restores: dict[int, list[float]] = defaultdict(list)
    for sid, detected, resolved in recoveries:
        restores[sid].append((_dt(resolved) - _dt(detected)).total_seconds())
    return {
        sid: {
            "deployments": count,
            "lead": statistics.median(v for v in leads[sid] if v > 0) if leads[sid] else None,
            "cfr": failed / count,
            "recovery": statistics.median(restores[sid]) if restores[sid] else None,
            "rework": rework / count,
        }
        for sid, count, rework, failed in deployments
    }


def _plain_firsts(connection: Connection, scope: str, window: dict[str, Any]) -> Any:
    """Each change's first production deployment time, by joining changes, links and deployments."""
    return connection.execute(
        text(
            "SELECT c.service_id, c.committed_at, min(d.finished_at) AS first FROM delivery_change c "
            "JOIN delivery_deployment_change dc ON dc.change_id = c.id "
            "JOIN delivery_deployment d ON d.id = dc.deployment_id "
            f"WHERE d.is_production AND d.status = 'succeeded'{scope} "
            "GROUP BY c.id, c.service_id, c.committed_at "
            "HAVING min(d.finished_at) >= :start AND min(d.finished_at) < :end"
        ),
        window,
    ).all()


def _dt(value: Any) -> datetime:
    """A raw SQL answer's time (SQLite hands back text)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the measurements -------------------------------------------------------------------------------------


def _median_ms(work: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    times, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def _full(runtime: Runtime, backend: str) -> Result:
    def product() -> Any:
        with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
            return insights.dora_report(uow, POLICY, start=QUARTER[0], end=QUARTER[1])

    def baseline() -> Any:
        with runtime.store.engine.connect() as connection:
            return _plain(connection, None)

    (ours, report), (theirs, plain) = _median_ms(product), _median_ms(baseline)
    rows = {row.service: row.figures for row in report.by_service}
    assert len(rows) == SERVICES == len(plain), (len(rows), len(plain))
    first = rows["svc-000"]
    expected = next(iter(plain.values()))
    assert first.deployment_frequency.sample_size == expected["deployments"], (first, expected)
    assert abs((first.change_lead_time.value or 0) - (expected["lead"] or 0)) < 1e-6, (first.change_lead_time, expected)
    return Result(
        f"DORA full recompute: {SERVICES} services, a quarter of {SERVICES * PER_SERVICE:,} deployments / "
        f"{SERVICES * PER_SERVICE * CHANGES / 1e6:.0f}M changes, {backend} (median ms)",
        ours,
        "ms",
        "the same figures in plain SQL (first production deployment by join, no derived columns)",
        theirs,
        higher_is_better=False,
    )


def _incremental(runtime: Runtime, backend: str) -> Result:
    service = f"svc-{min(42, SERVICES - 1):03d}"
    at = QUARTER[1] - timedelta(hours=1)
    runs = iter(range(10**6))

    def product() -> Any:
        n = next(runs)
        with runtime.store.unit_of_work(system_actor("bench")) as uow:
            sha = f"new{n:09d}"
            change = OutsideChange(sha=sha, authored_at=at, committed_at=at, merged_at=at, message="new")
            delivery.record_change(uow, service, change)
            done = at + timedelta(minutes=20)
            deployment = OutsideDeployment(
                origin=Origin.GITHUB,
                external_id=f"new-{n}",
                environment="production",
                commit_sha=sha,
                status=DeploymentStatus.SUCCEEDED,
                at=done,
            )
            delivery.record_deployment(uow, service, deployment)
        with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
            return insights.dora_report(uow, POLICY, service=service, start=QUARTER[0], end=QUARTER[1])

    with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
        service_id = catalog.service_id(uow, service)

    def baseline() -> Any:
        n = next(runs)
        with runtime.store.engine.begin() as connection:
            _plain_insert(connection, service_id, service, n, at)
        with runtime.store.engine.connect() as connection:
            return _plain(connection, service_id)

    before = _deployments_of(runtime, service)
    (ours, report), (theirs, plain) = _median_ms(product), _median_ms(baseline)
    assert report.figures.deployment_frequency.sample_size == before + REPEAT, report.figures.deployment_frequency
    assert plain[service_id]["deployments"] == before + 2 * REPEAT, plain
    return Result(
        f"DORA incremental: one new deployment of a service, then its quarter's figures, {backend} (median ms)",
        ours,
        "ms",
        "a plain INSERT of the same rows, then the plain SQL figures of that service",
        theirs,
        higher_is_better=False,
    )


def _deployments_of(runtime: Runtime, service: str) -> int:
    with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
        report = insights.dora_report(uow, POLICY, service=service, start=QUARTER[0], end=QUARTER[1])
    return report.figures.deployment_frequency.sample_size


def _plain_insert(connection: Connection, service_id: int, service: str, n: int, at: datetime) -> None:
    sha = f"old{n:09d}"
    change_id = connection.execute(
        insert(models.Change).returning(models.Change.id),
        {
            "service_id": service_id,
            "sha": sha,
            "author_name": "",
            "author_email": "",
            "authored_at": at,
            "committed_at": at,
            "merged_at": at,
            "subject": "new",
            "item_keys": [],
            "first_seen_at": at,
        },
    ).scalar_one()
    done = at + timedelta(minutes=20)
    deployment_id = connection.execute(
        insert(models.Deployment).returning(models.Deployment.id),
        {
            "service_id": service_id,
            "service_key": service,
            "environment": "production",
            "is_production": True,
            "version": sha,
            "commit_sha": sha,
            "status": "succeeded",
            "approval_roles": [],
            "required_approvals": 0,
            "triggered_by": "github",
            "is_rollback": False,
            "is_rework": False,
            "origin": "github",
            "external_id": f"old-{n}",
            "requested_at": done,
            "started_at": done,
            "finished_at": done,
        },
    ).scalar_one()
    connection.execute(insert(models.DeploymentChange), {"deployment_id": deployment_id, "change_id": change_id})
