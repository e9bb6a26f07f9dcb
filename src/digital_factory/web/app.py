"""Installs the web UI (pages, static files, HTML error pages) on the server application."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from digital_factory.web import (
    catalog_pages,
    delivery,
    errors,
    insights,
    integrations,
    lookup,
    pages,
    platform,
    portfolio,
    product,
    releases,
    repositories,
    teams,
    telemetry,
    tour,
)

STATIC_DIR = Path(__file__).parent / "static"
# The pages' routers, in the order their routes are matched.
ROUTERS: tuple[APIRouter, ...] = (
    pages.router,
    portfolio.router,
    product.router,
    platform.router,
    teams.router,
    catalog_pages.router,
    delivery.router,
    releases.router,
    repositories.router,
    telemetry.router,
    integrations.router,
    insights.router,
    tour.router,
    lookup.router,
)


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
