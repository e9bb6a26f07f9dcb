"""Insights pages: the start page and one module a topic (attribution, the board pack, flow, hypotheses,
the platform); `router` serves them all."""

from __future__ import annotations

from fastapi import APIRouter

from digital_factory.web.insights import attribution, boardpack, flow, hypotheses, overview, platform

router = APIRouter(include_in_schema=False)
for topic in (overview, attribution, boardpack, flow, hypotheses, platform):
    router.include_router(topic.router)
