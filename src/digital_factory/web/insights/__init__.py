"""Insights pages: one module a topic (DORA, flow, hypotheses, dashboards, the board pack); `router` serves
them all."""

from __future__ import annotations

from fastapi import APIRouter

from digital_factory.web.insights import dora

router = APIRouter(include_in_schema=False)
for topic in (dora,):
    router.include_router(topic.router)
