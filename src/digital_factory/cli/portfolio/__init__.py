"""`factory theme|epic|feature|story …`: the portfolio and product backlogs through the REST API.
One module a topic; importing them registers their commands on the four command groups, in this order."""

from __future__ import annotations

from digital_factory.cli.portfolio import epics, imports, kanban, loop, themes, work  # noqa: F401  (registers them)
from digital_factory.cli.portfolio.apps import epic_app, feature_app, story_app, theme_app

COMMANDS = (theme_app, epic_app, feature_app, story_app)
