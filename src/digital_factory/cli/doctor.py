"""`factory doctor`: which protections pipeline steps get on this host, from the effective settings."""

from __future__ import annotations

import typer
from rich.text import Text

from digital_factory.cli.config import load_settings
from digital_factory.cli.output import print_table, say
from digital_factory.delivery.service import protections
from digital_factory.workers.pipelines import delivery_config


def doctor() -> None:
    """Report the sandbox protections active on this host (exit 1 when steps would be refused)."""
    settings = load_settings()
    try:
        config = delivery_config(settings)
    except RuntimeError as exc:  # FACTORY_SANDBOX=bwrap without bubblewrap
        say(f"steps cannot run: {exc}")
        raise typer.Exit(1) from exc
    found = protections(config.sandbox)
    rows = [
        (p.name, Text("active", style="green") if p.active else Text("inactive", style="red"), p.detail) for p in found
    ]
    print_table(("protection", "state", "detail"), rows, title=f"Pipeline sandbox (FACTORY_SANDBOX={settings.sandbox})")
    if not next(p for p in found if p.name == "bubblewrap").active and str(settings.sandbox) != "off":
        raise typer.Exit(1)
