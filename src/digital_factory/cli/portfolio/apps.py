"""The four command groups; the topic modules add their commands to them."""

from __future__ import annotations

import typer

theme_app = typer.Typer(name="theme", help="Strategic themes in OKR form (through the REST API).", no_args_is_help=True)
epic_app = typer.Typer(
    name="epic", help="Epics, the portfolio kanban and WSJF (through the REST API).", no_args_is_help=True
)
feature_app = typer.Typer(name="feature", help="Features under epics (through the REST API).", no_args_is_help=True)
story_app = typer.Typer(name="story", help="Stories and team backlogs (through the REST API).", no_args_is_help=True)
