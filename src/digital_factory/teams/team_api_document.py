"""The Team API document (TeamAPI-As-Code 0.1 plus the product's fields): parsing, shape checks,
paths for error messages, and formatting. Pure; the service decides what the document means.

Field names follow the TeamAPI spec (camelCase, `team-name`, `$ref`). The product adds `info.key`,
`members`, `domains` and, on interactions, `team` (the other team's key), `role`, `endDate`.
Specification extensions (`x-…` keys) are accepted anywhere and ignored.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from digital_factory.core.errors import FieldProblem
from digital_factory.core.schemas import in_supported_years
from digital_factory.core.slugs import SLUG_PATTERN
from digital_factory.teams.schemas import Complexity, DurationUnit, InteractionMode, TeamType

SPEC_VERSION = "0.1.0"
MAX_DOCUMENT_CHARS = 1_000_000
VERSION_PATTERN = r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"
ROLES = ("consumer", "provider", "facilitator", "facilitated", "collaborator")


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _mode(value: Any) -> Any:
    # the spec's examples write `X-as-a-service`, `Facilitating`
    return _lower(value)


def _clock_time(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 09:00 as the base-60 number 540; give the time back
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return f"{value // 60:02d}:{value % 60:02d}"
    return value


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class Info(_Doc):
    name: str = Field(min_length=1, max_length=200)
    key: str | None = Field(None, pattern=SLUG_PATTERN)
    focus: str = Field("", max_length=4000)
    type: Annotated[TeamType, BeforeValidator(_lower)] = TeamType.STREAM_ALIGNED


class ChannelDoc(_Doc):
    type: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)


class SearchTermDoc(_Doc):
    term: str = Field(min_length=1, max_length=100)


class RefDoc(_Doc):
    ref: str = Field(alias="$ref", min_length=1, max_length=500)


class VersioningDoc(_Doc):
    type: str = Field(min_length=1, max_length=40)


class ServiceDoc(_Doc):
    """Export only: ownership of services lives in the catalog."""

    name: str = Field(min_length=1, max_length=200)
    key: str | None = None
    url: str | None = None
    versioning: VersioningDoc | None = None
    repository: str | None = None


class LinkDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    ref: str | None = Field(None, alias="$ref", max_length=500)


class WorkDoc(_Doc):
    services: list[LinkDoc] = Field(default_factory=list, max_length=50)
    waysOfWorking: list[LinkDoc] = Field(default_factory=list, max_length=50)
    crossTeam: list[LinkDoc] = Field(default_factory=list, max_length=50)


class MeetingDoc(_Doc):
    purpose: str = Field(min_length=1, max_length=200)
    type: str | None = Field(None, max_length=200)
    dayOfWeek: str | None = Field(None, max_length=20)
    timeOfDay: Annotated[str, BeforeValidator(_clock_time)] | None = Field(None, max_length=20)
    durationMinutes: int | None = Field(None, ge=1, le=24 * 60)


class MemberDoc(_Doc):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field("member", min_length=1, max_length=60)


class DomainDoc(_Doc):
    name: str = Field(min_length=1, max_length=200)
    key: str | None = Field(None, pattern=SLUG_PATTERN)
    complexity: Annotated[Complexity, BeforeValidator(_lower)]
    description: str = Field("", max_length=4000)


class InteractionDoc(_Doc):
    team_name: str | None = Field(None, alias="team-name", max_length=200)
    teamName: str | None = Field(None, max_length=200)
    team: str | None = Field(None, max_length=64, description="The other team's key.")
    mode: Annotated[InteractionMode, BeforeValidator(_mode)]
    role: Literal["consumer", "provider", "facilitator", "facilitated", "collaborator"] | None = None
    purpose: str = Field("", max_length=2000)
    startDate: Annotated[date, AfterValidator(in_supported_years)] | None = None
    endDate: Annotated[date, AfterValidator(in_supported_years)] | None = None
    expectedDuration: int | None = Field(None, ge=1, le=1000)
    expectedDurationUnit: Annotated[DurationUnit, BeforeValidator(_lower)] | None = None
    ref: str | None = Field(None, alias="$ref", max_length=500)

    @property
    def other_name(self) -> str | None:
        return self.team_name or self.teamName


class DependencyDoc(_Doc):
    """Export only: derived from the catalog's service dependencies."""

    team_name: str | None = Field(None, alias="team-name")
    teamName: str | None = None
    team: str | None = None
    description: str | None = None
    type: str | None = None
    ref: str | None = Field(None, alias="$ref")


class TeamApiDocument(_Doc):
    teamapi: str = Field(pattern=VERSION_PATTERN)
    info: Info
    channels: list[ChannelDoc] = Field(default_factory=list, max_length=50)
    searchTerms: list[SearchTermDoc] = Field(default_factory=list, max_length=50)
    platform: RefDoc | None = None
    services: list[ServiceDoc] = Field(default_factory=list)
    work: WorkDoc = Field(default_factory=WorkDoc)
    meetings: list[MeetingDoc] = Field(default_factory=list, max_length=50)
    interactions: list[InteractionDoc] = Field(default_factory=list, max_length=200)
    dependencies: list[DependencyDoc] = Field(default_factory=list)
    members: list[MemberDoc] = Field(default_factory=list, max_length=500)
    domains: list[DomainDoc] = Field(default_factory=list, max_length=100)


def path_of(location: tuple[int | str, ...] | list[int | str]) -> str:
    """('members', 2, 'username') -> 'members[2].username'."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "document"


def load_text(text: str) -> tuple[Any, list[FieldProblem]]:
    """JSON or YAML text as data, or the reason it is neither."""
    if len(text) > MAX_DOCUMENT_CHARS:
        return None, [FieldProblem("document", f"longer than {MAX_DOCUMENT_CHARS} characters")]
    try:
        return yaml.safe_load(text), []  # YAML 1.1 reads JSON too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "not valid"
        return None, [FieldProblem("document", f"not valid JSON or YAML{where}: {reason}")]


def without_extensions(value: Any) -> Any:
    """Drops specification extensions (`x-…` keys) at every level."""
    if isinstance(value, dict):
        return {k: without_extensions(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("x-"))}
    if isinstance(value, list):
        return [without_extensions(v) for v in value]
    return value


def parse(data: Any) -> tuple[TeamApiDocument | None, list[FieldProblem]]:
    """The document's shape, every problem at once, with paths like `members[2].username`."""
    if not isinstance(data, dict):
        return None, [FieldProblem("document", "must be a mapping with `teamapi` and `info`")]
    try:
        return TeamApiDocument.model_validate(without_extensions(data)), []
    except ValidationError as exc:
        return None, [FieldProblem(path_of(tuple(e["loc"])), e["msg"]) for e in exc.errors()]


def render(document: dict[str, Any], fmt: str) -> str:
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def drop_empty(value: Any) -> Any:
    """Leaves out empty optional parts so exported documents stay short and readable."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value
