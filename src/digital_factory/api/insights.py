"""/insights: DORA and flow figures, value lead time, hypothesis evaluations, attribution and the board pack."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/insights", tags=["insights"])
