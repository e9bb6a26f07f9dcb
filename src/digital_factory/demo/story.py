"""Runs the demo's steps in order. A step gets the runtime and the demo's cast of users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, UserCreate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor, Origin, system_actor
from digital_factory.demo import catalog, delivery, teams

# The people of the story: (username, display name, role).
CAST: tuple[tuple[str, str, Role], ...] = (
    ("board", "Beatrice Board", Role.BOARD),
    ("pm", "Paul Product", Role.PRODUCT),
    ("flight", "Fiona Flight-Software", Role.TEAM),
    ("power", "Pavel Power", Role.TEAM),
    ("engines", "Erin Engines", Role.TEAM),
    ("platform", "Pia Platform", Role.PLATFORM),
)


@dataclass
class DemoContext:
    runtime: Runtime
    actors: dict[str, Actor] = field(default_factory=dict)
    work: dict[str, str] = field(default_factory=dict)  # epic and feature titles -> keys (EPIC-1, FEAT-3)

    def actor(self, username: str) -> Actor:
        return self.actors[username]


Step = Callable[[DemoContext], None]


def cast_step(ctx: DemoContext, password: str) -> None:
    """Creates the story's people; every later step acts as one of them."""
    with ctx.runtime.store.unit_of_work(replace(system_actor("demo"), origin=Origin.DEMO)) as uow:
        for username, name, role in CAST:
            created = accounts.create_user(
                uow, UserCreate(username=username, display_name=name, role=role, password=password)
            )
            ctx.actors[username] = accounts.actor_for(created.user, origin=Origin.DEMO)


def steps() -> list[tuple[str, Step]]:
    """The story after the cast, in order. Capabilities append theirs here."""
    from digital_factory.demo import platform, portfolio, releases  # noqa: PLC0415  (step modules import this one)

    return [
        ("teams: flight software, power systems and the platform team", teams.seed),
        ("the board's themes, the portfolio kanban, features, team backlogs", portfolio.seed),
        ("the platform onboards the new engines team for better engines", platform.seed),
        ("flight-control ships: pipeline, prod approval, an incident and its fix", delivery.seed),
        ("heavy-lift features behind flags; heavy-lift mode to 10 % in prod", releases.seed),
        ("catalog: the heavy-lift drones value stream and its dependencies", catalog.seed),
    ]


def play(runtime: Runtime, password: str, report: Callable[[str], None]) -> DemoContext:
    ctx = DemoContext(runtime=runtime)
    report("the cast: board, product management, three teams, the platform team")
    cast_step(ctx, password)
    for title, step in steps():
        report(title)
        step(ctx)
    return ctx
