"""Insights pages: the start page and one module a topic (attribution, the board pack, DORA, flow,
hypotheses, the platform); `router` serves them all."""

from __future__ import annotations

from fastapi import APIRouter

from digital_factory.web.insights import attribution, boardpack, dora, flow, hypotheses, overview, platform

router = APIRouter(include_in_schema=False)
for topic in (overview, attribution, boardpack, dora, flow, hypotheses, platform):
    router.include_router(topic.router)
