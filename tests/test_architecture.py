"""The faces contract (DESIGN §4) holds on the code as it is, and breaks on an edge that reaches inside a domain."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest
from tools.faces_contract import FacesContract

ROOT = Path(__file__).resolve().parents[1]


def _faces_options() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    found: dict[str, Any] = next(c for c in config["contracts"] if c["type"] == "faces")
    return {key: value for key, value in found.items() if key not in {"name", "type"}}


@pytest.fixture
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("digital_factory")


def _check(graph: grimp.ImportGraph) -> Any:
    contract = FacesContract(name="faces", session_options={}, contract_options=_faces_options())
    return contract.check(graph, verbose=False)


def test_the_code_keeps_the_faces_contract(graph: grimp.ImportGraph) -> None:
    check = _check(graph)
    assert check.kept, check.metadata["illegal"]


def test_an_edge_importing_a_domain_internal_breaks_the_contract(graph: grimp.ImportGraph) -> None:
    changed = graph
    changed.add_import(
        importer="digital_factory.api.portfolio",
        imported="digital_factory.portfolio.models",
        line_number=7,
        line_contents="from digital_factory.portfolio import models",
    )
    check = _check(changed)
    assert not check.kept
    assert {
        "importer": "digital_factory.api.portfolio",
        "imported": "digital_factory.portfolio.models",
        "lines": [7],
    } in (check.metadata["illegal"])


def test_a_higher_domain_importing_a_lower_domains_topic_module_breaks_it(graph: grimp.ImportGraph) -> None:
    changed = graph
    changed.add_import(importer="digital_factory.releases.service", imported="digital_factory.portfolio.epics")
    assert not _check(changed).kept
