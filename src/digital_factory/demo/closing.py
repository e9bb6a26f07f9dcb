"""The story's last act, against the running server (see demo/loop.py for the doors it uses): the fleet flies
with heavy-lift mode on a tenth of the drones and the hypothesis is at risk; the mode goes to half, then all
of the fleet, and the hypothesis is validated; the board perseveres and takes the board pack home."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from digital_factory.demo.loop import (
    Doors,
    Pace,
    board_pack,
    epic_key,
    fly,
    hypothesis,
    open_doors,
    persevere,
    roll_out,
)
from digital_factory.demo.story import DemoContext

HOUR = 3600.0


@dataclass
class Closing:
    """What the last act left: the doors (for the live simulator) and the evaluations the board saw."""

    doors: Doors
    evaluations: list[dict[str, Any]] = field(default_factory=list)


def close_the_loop(ctx: DemoContext, url: str, pace: Pace, report: Callable[[str], None]) -> Closing:
    report("API tokens for the people; OTLP and OFREP keys for the drone fleet")
    closing = Closing(open_doors(ctx, url))
    doors, epic = closing.doors, epic_key(ctx)
    late = pace.late_hours * HOUR
    report(f"the fleet flies {pace.early_hours:g} h, heavy-lift mode on 10 % of the drones")
    fly(doors, pace, pace.early_hours, seed=11, ends_ago=late)
    closing.evaluations.append(_evaluated(doors, epic, report))
    for percent, seed, ends_ago in ((50, 12, late / 2), (100, 13, 0.0)):
        report(f"heavy-lift mode to {percent} % in prod (pm asks, flight approves); the fleet flies")
        roll_out(doors, percent)
        fly(doors, pace, pace.late_hours / 2, seed=seed, ends_ago=ends_ago)
    closing.evaluations.append(_evaluated(doors, epic, report))
    report(f"the board perseveres with {epic}; the evaluation is its evidence")
    persevere(doors, epic)
    path = board_pack(doors, ctx.runtime.settings.home)
    report(f"the board pack is written: {path.name}")
    return closing


def _evaluated(doors: Doors, epic: str, report: Callable[[str], None]) -> dict[str, Any]:
    evaluation = hypothesis(doors, epic)
    met = sum(1 for i in evaluation["indicators"] if i["status"] == "validated")
    advice = evaluation.get("recommendation") or "none"
    report(f"{epic}: {evaluation['status']}, {met}/{len(evaluation['indicators'])} indicators met; advice: {advice}")
    return evaluation
