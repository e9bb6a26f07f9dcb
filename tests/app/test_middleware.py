"""The app's front: hot-path middleware put in front of the framework's own layers, and how it falls back."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from starlette.types import Scope

from digital_factory.app.middleware import SECURITY_HEADERS, FrontedApp, KeptAnswerMiddleware
from digital_factory.cli.config import server_config
from digital_factory.settings import Settings


def _app(answers: object) -> FrontedApp:
    app = FrontedApp()

    @app.get("/api/list")
    def routed() -> dict[str, str]:
        return {"from": "route"}

    app.put_in_front(KeptAnswerMiddleware, answers=answers)
    return app


def test_a_kept_answer_is_given_in_front_of_the_route_with_the_security_headers() -> None:
    def kept(scope: Scope) -> bytes | None:
        return b'{"from": "kept"}' if scope["path"] == "/api/list" else None

    with TestClient(_app(kept)) as client:
        answer = client.get("/api/list")
        assert answer.json() == {"from": "kept"}
        assert {name.decode(): value.decode() for name, value in SECURITY_HEADERS}.items() <= answer.headers.items()
        # what the front does not answer goes through the framework as before
        assert client.get("/api/missing").status_code == 404


def test_a_failing_lookup_of_a_kept_answer_leaves_the_request_to_the_route(caplog: pytest.LogCaptureFixture) -> None:
    def broken(scope: Scope) -> bytes | None:
        raise RuntimeError("the kept answers are broken")

    with TestClient(_app(broken)) as client, caplog.at_level(logging.ERROR):
        answer = client.get("/api/list")
    assert (answer.status_code, answer.json()) == (200, {"from": "route"})
    assert "a kept answer could not be looked up" in caplog.text


def test_a_refused_request_target_is_not_answered_from_what_is_kept() -> None:
    """The app's own guard refuses it (this bare app has none, so its route answers)."""
    with TestClient(_app(lambda scope: b'{"from": "kept"}')) as client:
        assert client.get("/api/list?q=" + "x" * 9000).json() == {"from": "route"}


def test_the_put_last_is_met_first() -> None:
    app = _app(lambda scope: b'{"from": "inner"}')
    app.put_in_front(KeptAnswerMiddleware, answers=lambda scope: b'{"from": "outer"}')
    with TestClient(app) as client:
        assert client.get("/api/list").json() == {"from": "outer"}


@pytest.mark.parametrize(("level", "logged"), [("INFO", True), ("DEBUG", True), ("WARNING", False)])
def test_the_access_log_is_on_only_where_its_lines_are_kept(level: str, logged: bool, settings: Settings) -> None:
    access = logging.getLogger("uvicorn.access")
    access.setLevel(level)
    try:
        assert server_config(FrontedApp(), settings).access_log is logged
        assert server_config(FrontedApp(), settings, access_log=False).access_log is False
    finally:
        access.setLevel(logging.NOTSET)
