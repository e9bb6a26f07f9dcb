"""Teams tables (private to the domain)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Entity, child_of

TeamRef = Annotated[int, child_of("teams_team")]


class Team(Entity):
    __tablename__ = "teams_team"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    team_type: Mapped[str] = mapped_column(String(30))
    mission: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # Set when the team is archived: hidden from pickers and lists, refused new members, domains and
    # interactions; the services it owns keep working.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    # The Team API parts the product keeps as given (channels, meetings, ways of working, ...).
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TeamMember(Entity):
    __tablename__ = "teams_member"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_id: Mapped[TeamRef]
    user_id: Mapped[int] = child_of("accounts_user")
    team_role: Mapped[str] = mapped_column(String(60))
    joined_at: Mapped[datetime]


class Domain(Entity):
    """A business or technical domain; owned by at most one team (Team Topologies: one team per domain)."""

    __tablename__ = "teams_domain"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    complexity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams_team.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]


class Interaction(Entity):
    """Two teams working in one mode for a period. x-as-a-service: `team` consumes what `other_team`
    provides; facilitating: `team` facilitates `other_team`; collaboration: symmetric."""

    __tablename__ = "teams_interaction"
    __table_args__ = (
        CheckConstraint("team_id <> other_team_id", name="not_self"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    team_id: Mapped[TeamRef]
    other_team_id: Mapped[TeamRef]
    mode: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    expected_duration: Mapped[int | None]
    expected_duration_unit: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]


class SurveyResponse(Entity):
    """One person's answers to the cognitive-load survey for one team and month (their latest counts)."""

    __tablename__ = "teams_survey_response"
    __table_args__ = (UniqueConstraint("team_id", "respondent_id", "period"),)

    team_id: Mapped[TeamRef]
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id", ondelete="SET NULL"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    answered_on: Mapped[date]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime]
