"""Options that commands of several groups share, declared once so their names and help stay alike."""

from __future__ import annotations

from typing import Annotated

import typer

OnlyService = Annotated[str | None, typer.Option(help="Only this service.")]
NewestFirst = Annotated[int, typer.Option(help="How many (newest first).")]
Reason = Annotated[str, typer.Option(help="Why.")]
DisplayName = Annotated[str, typer.Option(help="Display name.")]
ApiJson = Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")]
