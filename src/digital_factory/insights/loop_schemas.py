"""DTOs of the loop of an epic or a feature: everything that serves it, from the teams and services to
their runs, deployments, flags and incidents, with value lead time, DORA and the decisions taken."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from digital_factory.core.schemas import OutputModel
from digital_factory.delivery.schemas import Deployment, Incident, RunSummary
from digital_factory.insights.dora_schemas import DoraReport
from digital_factory.insights.hypothesis_schemas import HypothesisEvaluation
from digital_factory.insights.leadtime_schemas import EpicLeadTime, FeatureLeadTime
from digital_factory.portfolio.schemas import Decision, WorkState


class LoopScope(StrEnum):
    EPIC = "epic"
    FEATURE = "feature"


class ReachedBy(StrEnum):
    """How a service is known to serve the work."""

    CATALOG = "catalog"  # the catalog links it to the epic or a feature (onboarding's "serves")
    FLAG = "flag"  # one of its flags releases a feature
    DEPLOYMENT = "deployment"  # a deployment of it carried a change naming the work


class LoopEnvironment(OutputModel):
    environment: str
    is_production: bool
    deployment: Deployment | None = Field(description="The latest deployment there, whatever its status.")


class LoopService(OutputModel):
    key: str
    name: str
    owner_team: str | None
    value_stream: str | None
    serves: list[str] = Field(description="The work of this loop the catalog links it to.")
    reached_by: list[ReachedBy]
    latest_run: RunSummary | None
    environments: list[LoopEnvironment] = Field(description="In promotion order.")


class FlagExposure(OutputModel):
    environment: str
    enabled: bool
    exposure: float = Field(description="Percent of customers served something other than the off variant.")
    summary: str


class LoopFlag(OutputModel):
    service: str
    key: str
    name: str
    feature: str
    environments: list[FlagExposure]


class LoopFeature(OutputModel):
    key: str
    title: str
    state: WorkState
    team: str | None
    services: list[str]
    flags: list[str] = Field(description="`service/flag` of the flags releasing it.")
    lead_time: FeatureLeadTime


class LoopTeam(OutputModel):
    """A team taking features of the loop, owning services that serve it, or both."""

    key: str
    features: list[str]
    services: list[str]


class WorkLoop(OutputModel):
    """The loop of an epic (or one feature's slice of it)."""

    scope: LoopScope
    key: str
    title: str
    epic: str
    hypothesis: HypothesisEvaluation | None = Field(
        None, description="The epic's hypothesis evaluated now (epics with leading indicators)."
    )
    features: list[LoopFeature]
    teams: list[LoopTeam]
    services: list[LoopService]
    flags: list[LoopFlag]
    approved_at: datetime | None = Field(description="When the epic entered Implementing: value lead time's start.")
    lead_time: EpicLeadTime | None = Field(description="The epic's value lead time (features: see each feature).")
    dora: DoraReport = Field(description="DORA of the deployments carrying the work (its key, features, stories).")
    incidents: list[Incident] = Field(description="The newest incidents of its services.")
    decisions: list[Decision] = Field(description="The portfolio's decisions on the epic.")
