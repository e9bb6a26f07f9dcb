"""The loop section of the epic and feature pages: the read behind it and the DORA tiles it shows."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from digital_factory.insights import service as insights
from digital_factory.insights.schemas import WorkLoop
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import runtime
from digital_factory.web.insights.dora import BAND_STYLE, tiles


def epic_loop(request: Request, uow: UnitOfWork, key: str) -> dict[str, Any]:
    """The epic's loop (its hypothesis is evaluated by the page itself, with charts: left out here)."""
    return _context(insights.epic_loop(uow, key, runtime(request).dora))


def feature_loop(request: Request, uow: UnitOfWork, key: str) -> dict[str, Any]:
    return _context(insights.feature_loop(uow, key, runtime(request).dora))


def _context(loop: WorkLoop) -> dict[str, Any]:
    return {"work_loop": loop, "loop_tiles": tiles(loop.dora.figures), "band_style": BAND_STYLE}
