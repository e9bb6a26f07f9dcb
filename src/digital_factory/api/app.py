"""Builds the /api/v1 sub-application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from digital_factory import __version__
from digital_factory.api import (
    accounts,
    business,
    catalog,
    delivery,
    insights,
    integrations,
    platform,
    portfolio,
    problems,
    releases,
    repos,
    teams,
    telemetry,
)

API_PREFIX = "/api/v1"

# The server exports no telemetry of its own. FastAPI's native OpenTelemetry would otherwise ask the global
# providers on every request (a tenth of a small answer's cost) and would start tracing the server if anything
# in the process set a global provider.
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_api() -> FastAPI:
    api = FastAPI(
        title="Digital Factory API",
        version=__version__,
        description="Every capability of the product loop. Authenticate with `Authorization: Bearer <token>`; "
        "errors are RFC 9457 problem JSON.",
        openapi_url="/openapi.json",
        docs_url=None,  # the stock docs page loads scripts from a CDN; the product works offline
        redoc_url=None,
        responses=problems.PROBLEM_RESPONSES,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    problems.install(api)
    for router in (
        accounts.router,
        teams.router,
        portfolio.router,
        catalog.router,
        platform.router,
        repos.router,
        delivery.router,
        releases.router,
        telemetry.router,
        business.router,
        integrations.router,
        insights.router,
    ):
        api.include_router(router)
    return api
