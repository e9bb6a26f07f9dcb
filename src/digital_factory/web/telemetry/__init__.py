"""Telemetry pages: the area page, a service's RED charts, metrics, logs and ingestion keys, and the metric
explorer. One module a topic; `router` serves them all."""

from __future__ import annotations

from fastapi import APIRouter

from digital_factory.web.telemetry import explore, services

router = APIRouter(include_in_schema=False)
for topic in (explore, services):
    router.include_router(topic.router)
