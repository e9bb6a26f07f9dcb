from __future__ import annotations

from sqlalchemy import text
from starlette.testclient import TestClient

from digital_factory import __version__
from digital_factory.app.factory import Runtime
from digital_factory.delivery import service as delivery
from digital_factory.store import schema


def test_liveness_and_readiness(client: TestClient, runtime: Runtime) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "version": __version__}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok", "jobs": "ok"}
    protections = delivery.protections(runtime.delivery.sandbox)
    assert ready.json()["sandbox"] == {p.name: p.active for p in protections}
    assert set(ready.json()["sandbox"]) == {
        "bubblewrap",
        "user_namespaces_disabled",
        "cgroup_memory",
        "cgroup_pids",
        "cgroup_cpu",
        "egress_isolation",
        "unprivileged_uid",
    }
    head = schema.head_revision()
    with runtime.store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503 and "needs" in not_ready.json()["checks"]["store"]
    finally:
        with runtime.store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})


def test_openapi_document(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and spec["info"]["title"] == "Digital Factory API"
    assert "/users" in spec["paths"] and "/teams" in spec["paths"] and "/services" in spec["paths"]
