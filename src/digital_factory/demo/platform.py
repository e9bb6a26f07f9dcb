"""Demo step: the new *engines* team is onboarded through the platform's one-step golden path."""

from __future__ import annotations

from digital_factory.app.factory import prepare_platform
from digital_factory.demo.portfolio import FEATURES, HEAVY_LIFT
from digital_factory.demo.story import DemoContext
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import OnboardingRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import FeatureUpdate

BETTER_ENGINES = FEATURES[2]


def seed(ctx: DemoContext, *, feature_key: str | None = None, epic_key: str | None = None) -> None:
    """The platform engineer onboards the engines team with the Python service template, for the
    better-engines feature of the heavy-lift epic; product management then hands the feature to it."""
    feature_key = feature_key or ctx.work.get(BETTER_ENGINES)
    epic_key = epic_key or ctx.work.get(HEAVY_LIFT)
    prepare_platform(ctx.runtime)
    data = OnboardingRequest(
        team_key="engines",
        team_name="Engines",
        members=["engines"],
        service_key="engine-control",
        service_name="Engine control",
        description="Controls the heavy-lift drones' bigger engines: thrust curves, limits and health.",
        template="python-service",
        feature_key=feature_key,
        epic_key=epic_key,
    )
    with ctx.runtime.store.unit_of_work(ctx.actor("platform")) as uow:
        platform.onboard(uow, ctx.runtime.platform, data, lambda *_: None, job_id="demo-engines")
    if feature_key:
        with ctx.runtime.store.unit_of_work(ctx.actor("pm")) as uow:
            portfolio.update_feature(uow, feature_key, FeatureUpdate(team="engines"))
