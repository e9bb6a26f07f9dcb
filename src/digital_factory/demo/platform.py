"""Demo step: the new *engines* team is onboarded through the platform's one-step golden path."""

from __future__ import annotations

from digital_factory.app.factory import prepare_platform
from digital_factory.demo.story import DemoContext
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import OnboardingRequest

# The feature and epic the service serves. Portfolio seeds them in its own step; the integrator sets
# these to the keys it made (better-engines feature, heavy-lift epic). Left empty, the link is skipped.
FEATURE_KEY: str | None = None
EPIC_KEY: str | None = None


def seed(ctx: DemoContext, *, feature_key: str | None = None, epic_key: str | None = None) -> None:
    """The platform engineer onboards the engines team with the Python service template."""
    prepare_platform(ctx.runtime)
    data = OnboardingRequest(
        team_key="engines",
        team_name="Engines",
        members=["engines"],
        service_key="engine-control",
        service_name="Engine control",
        description="Controls the heavy-lift drones' bigger engines: thrust curves, limits and health.",
        template="python-service",
        feature_key=feature_key or FEATURE_KEY,
        epic_key=epic_key or EPIC_KEY,
    )
    with ctx.runtime.store.unit_of_work(ctx.actor("platform")) as uow:
        platform.onboard(uow, ctx.runtime.platform, data, lambda *_: None, job_id="demo-engines")
