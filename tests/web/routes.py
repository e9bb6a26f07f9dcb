"""The web's routes, as the app serves them (included routers resolved), for tests that visit every page or
post every form."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from digital_factory.web.app import install_web


def _routes(routes: Iterable[BaseRoute], method: str) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router (FastAPI resolves it lazily)
        if included is not None:
            yield from _routes(included.routes, method)
        elif isinstance(route, APIRoute) and method in (route.methods or ()):
            yield route


def web_routes(method: str) -> list[APIRoute]:
    app = FastAPI()
    install_web(app)
    return list(_routes(app.routes, method))
