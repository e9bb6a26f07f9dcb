"""Installs the web UI (pages, static files, HTML error pages) on the server application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from digital_factory.web import (
    catalog_pages,
    delivery,
    errors,
    insights,
    integrations,
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


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(portfolio.router)
    app.include_router(product.router)
    app.include_router(platform.router)
    app.include_router(teams.router)
    app.include_router(catalog_pages.router)
    app.include_router(delivery.router)
    app.include_router(releases.router)
    app.include_router(repositories.router)
    app.include_router(telemetry.router)
    app.include_router(integrations.router)
    app.include_router(insights.router)
    app.include_router(tour.router)
    errors.install(app)
