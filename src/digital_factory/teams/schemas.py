"""Public DTOs of the teams domain."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN


class TeamType(StrEnum):
    """The four fundamental team types of Team Topologies."""

    STREAM_ALIGNED = "stream-aligned"
    PLATFORM = "platform"
    ENABLING = "enabling"
    COMPLICATED_SUBSYSTEM = "complicated-subsystem"


class InteractionMode(StrEnum):
    """The three team interaction modes of Team Topologies."""

    COLLABORATION = "collaboration"
    X_AS_A_SERVICE = "x-as-a-service"
    FACILITATING = "facilitating"


class DurationUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Complexity(StrEnum):
    """How hard a domain is, in the Team Topologies (Cynefin-inspired) sense."""

    SIMPLE = "simple"
    COMPLICATED = "complicated"
    COMPLEX = "complex"


class Severity(StrEnum):
    WARNING = "warning"
    NOTICE = "notice"


# --- the Team API profile: how to reach and work with the team --------------------------------------


class Channel(InputModel):
    type: str = Field(min_length=1, max_length=40, description="slack, email, teams, phone, …")
    name: str = Field(min_length=1, max_length=200)


class Meeting(InputModel):
    purpose: str = Field(min_length=1, max_length=200)
    day_of_week: str | None = Field(None, max_length=20)
    time_of_day: str | None = Field(None, max_length=20)
    duration_minutes: int | None = Field(None, ge=1, le=24 * 60)


class Link(InputModel):
    name: str = Field(min_length=1, max_length=200)
    ref: str | None = Field(None, max_length=500)


class TeamProfile(InputModel):
    """The parts of a Team API the product keeps but does not interpret."""

    channels: list[Channel] = Field(default_factory=list, max_length=50)
    search_terms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=50)
    meetings: list[Meeting] = Field(default_factory=list, max_length=50)
    ways_of_working: list[Link] = Field(default_factory=list, max_length=50)
    cross_team_work: list[Link] = Field(default_factory=list, max_length=50)
    work_services: list[Link] = Field(default_factory=list, max_length=50)
    platform_ref: str | None = Field(None, max_length=500)


# --- teams and members --------------------------------------------------------------------------------


class TeamCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Short stable name, e.g. `engines`.")
    name: str = Field(min_length=1, max_length=200)
    team_type: Annotated[TeamType, FromJson] = TeamType.STREAM_ALIGNED
    mission: str = Field("", max_length=4000)


class TeamUpdate(InputModel):
    """Only the fields sent are changed."""

    name: str | None = Field(None, min_length=1, max_length=200)
    team_type: Annotated[TeamType, FromJson] | None = None
    mission: str | None = Field(None, max_length=4000)
    profile: TeamProfile | None = None


class MemberAdd(InputModel):
    username: str = Field(min_length=1, max_length=64)
    team_role: str = Field("member", min_length=1, max_length=60)


class MemberUpdate(InputModel):
    team_role: str = Field(min_length=1, max_length=60)


class Member(OutputModel):
    username: str
    display_name: str
    team_role: str
    joined_at: datetime


class Team(OutputModel):
    id: int
    key: str
    name: str
    team_type: TeamType
    mission: str
    created_at: datetime
    archived_at: datetime | None = None
    members: list[Member] = Field(default_factory=list)
    profile: TeamProfile = Field(default_factory=TeamProfile)


class TeamRef(OutputModel):
    """A team as other pages name it."""

    id: int
    key: str
    name: str
    team_type: TeamType
    archived_at: datetime | None = None


# --- owned domains ---------------------------------------------------------------------------------------


class DomainCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    key: str | None = Field(None, pattern=SLUG_PATTERN, description="Omitted: made from the name.")
    complexity: Annotated[Complexity, FromJson]
    description: str = Field("", max_length=4000)


class DomainUpdate(InputModel):
    """Only the fields sent change."""

    name: str | None = Field(None, min_length=1, max_length=200)
    complexity: Annotated[Complexity, FromJson] | None = None
    description: str | None = Field(None, max_length=4000)
    owner_team: str | None = Field(None, description="Key of the team taking the domain over; `null`: nobody.")


class Domain(OutputModel):
    id: int
    key: str
    name: str
    complexity: Complexity
    description: str
    owner_team: str | None
    created_at: datetime


# --- interactions -------------------------------------------------------------------------------------------


class InteractionCreate(InputModel):
    """`team` and `with_team` read as a sentence: for x-as-a-service `team` consumes what `with_team`
    provides; for facilitating `team` facilitates `with_team`; collaboration is symmetric."""

    team: str = Field(min_length=1, max_length=64)
    with_team: str = Field(min_length=1, max_length=64)
    mode: Annotated[InteractionMode, FromJson]
    purpose: str = Field("", max_length=2000)
    starts_on: Annotated[date, FromJson] | None = Field(None, description="Omitted: today.")
    ends_on: Annotated[date, FromJson] | None = None
    expected_duration: int | None = Field(None, ge=1, le=1000)
    expected_duration_unit: Annotated[DurationUnit, FromJson] | None = None

    @model_validator(mode="after")
    def _duration_has_unit(self) -> InteractionCreate:
        if (self.expected_duration is None) != (self.expected_duration_unit is None):
            raise ValueError("expected_duration and expected_duration_unit go together")
        return self


class InteractionUpdate(InputModel):
    purpose: str | None = Field(None, max_length=2000)
    ends_on: Annotated[date, FromJson] | None = None
    reopen: bool = Field(False, description="Clear the end date.")
    expected_duration: int | None = Field(None, ge=1, le=1000)
    expected_duration_unit: Annotated[DurationUnit, FromJson] | None = None


class Interaction(OutputModel):
    id: int
    team: str
    team_name: str
    with_team: str
    with_team_name: str
    mode: InteractionMode
    purpose: str
    starts_on: date
    ends_on: date | None
    expected_duration: int | None
    expected_duration_unit: DurationUnit | None
    expected_end: date | None = Field(description="When a temporary interaction is expected to be over.")
    current: bool
    created_at: datetime

    def role_of(self, team_key: str) -> str:
        """The team's side of the interaction, in words."""
        first = self.team == team_key
        if self.mode is InteractionMode.X_AS_A_SERVICE:
            return "consumer" if first else "provider"
        if self.mode is InteractionMode.FACILITATING:
            return "facilitator" if first else "facilitated"
        return "collaborator"

    def other(self, team_key: str) -> tuple[str, str]:
        return (self.with_team, self.with_team_name) if self.team == team_key else (self.team, self.team_name)


# --- warnings -----------------------------------------------------------------------------------------------


class LoadWarning(OutputModel):
    """A Team Topologies heuristic a team's set-up goes against. Advice, never a refusal."""

    rule: str
    severity: Severity
    message: str
    source: str


# --- cognitive-load survey ------------------------------------------------------------------------------------


class LoadKind(StrEnum):
    HEADLINE = "headline"
    INTRINSIC = "intrinsic"
    EXTRANEOUS = "extraneous"
    GERMANE = "germane"


class SurveyQuestion(OutputModel):
    id: str
    kind: LoadKind
    text: str
    agree_means_more_load: bool


class SurveyAnswer(InputModel):
    answers: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(
        description="Question id -> 1 (strongly disagree) … 5 (strongly agree); every question once."
    )
    answered_on: Annotated[date, FromJson] | None = Field(None, description="Omitted: today. Never in the future.")


class SurveyScore(OutputModel):
    """One period's result. Load scores run 0 (none) to 100 (overloaded)."""

    period: str
    respondents: int
    index: float = Field(description="Cognitive-load index: mean load over every question, 0-100.")
    intrinsic: float
    extraneous: float
    germane: float = Field(description="Load from too little room to learn (0 = ample room).")
    headline: float = Field(description="Mean answer to the headline question, 1-5 (5 = effective).")
    band: str


class SurveyResults(OutputModel):
    team: str
    questions: list[SurveyQuestion]
    scores: list[SurveyScore]

    @property
    def latest(self) -> SurveyScore | None:
        return self.scores[-1] if self.scores else None


# --- a team with everything around it -----------------------------------------------------------------------------


class TeamDetail(Team):
    domains: list[Domain] = Field(default_factory=list)
    interactions: list[Interaction] = Field(default_factory=list)
    warnings: list[LoadWarning] = Field(default_factory=list)
    latest_survey: SurveyScore | None = None


class TopologyNode(OutputModel):
    key: str
    name: str
    team_type: TeamType
    members: int
    warnings: int


class Topology(OutputModel):
    """Teams and their current interactions: the org chart Team Topologies draws."""

    teams: list[TopologyNode]
    interactions: list[Interaction]


# --- Team API documents ---------------------------------------------------------------------------------------------


class TeamApiService(OutputModel):
    """A service the team owns, as the catalog tells the Team API export."""

    key: str
    name: str
    url: str | None = None
    repository: str | None = None


class TeamApiDependency(OutputModel):
    """Another team this team depends on (derived from service dependencies in the catalog)."""

    team: str
    team_name: str
    description: str


class TeamApiImport(OutputModel):
    team: str
    created: bool
    dry_run: bool
    ignored: list[str] = Field(
        default_factory=list, description="Parts of the document that are reported, not imported."
    )
