"""The REST API's contract does not change unnoticed: the OpenAPI document equals the committed snapshot.

After a deliberate change to the API, rewrite the snapshot with
`FACTORY_UPDATE_OPENAPI_SNAPSHOT=1 pytest tests/api/test_openapi_snapshot.py` and review its diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def test_openapi_document_matches_the_snapshot(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    document["info"].pop("version", None)  # the build's version is not part of the contract
    rendered = json.dumps(document, indent=1, sort_keys=True) + "\n"
    if os.environ.get("FACTORY_UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(rendered)
    assert SNAPSHOT.exists(), "no snapshot yet: run once with FACTORY_UPDATE_OPENAPI_SNAPSHOT=1"
    expected = json.loads(SNAPSHOT.read_text())
    changed = sorted(
        f"{method.upper()} {path}"
        for path in set(document["paths"]) | set(expected["paths"])
        for method in set(document["paths"].get(path, {})) | set(expected["paths"].get(path, {}))
        if document["paths"].get(path, {}).get(method) != expected["paths"].get(path, {}).get(method)
    )
    assert not changed, f"operations that differ from the snapshot: {changed}"
    assert document == expected
