"""Portfolio pages: the kanban board (drag and drop), epics, the WSJF backlog with its scoring table,
strategic themes, the kanban's settings and imports. One module a topic; `router` serves them all."""

from __future__ import annotations

from fastapi import APIRouter

from digital_factory.web.portfolio import backlog, board, epics, imports, settings, themes

router = APIRouter(include_in_schema=False)
for topic in (board, epics, backlog, themes, settings, imports):
    router.include_router(topic.router)
