"""Team API export and import (JSON or YAML). An import is checked whole before anything is stored:
every problem is reported with its path (`members[2].username: no such user`) and nothing changes.

On import, a top-level part that is present replaces what the team has (an empty list empties it); a part
that is absent is left as it is. `services` and `dependencies` are reported, not imported: ownership of
services and their dependencies live in the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from digital_factory.core.slugs import slugify
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models, queries
from digital_factory.teams import team_api_document as doc
from digital_factory.teams.interactions import store_interaction
from digital_factory.teams.overview import team_detail
from digital_factory.teams.registry import RESERVED_KEYS
from digital_factory.teams.schemas import (
    DomainCreate,
    Interaction,
    InteractionCreate,
    InteractionMode,
    TeamApiDependency,
    TeamApiImport,
    TeamApiService,
    TeamDetail,
    TeamProfile,
)

ROLE_FOR_MODE = {
    InteractionMode.X_AS_A_SERVICE: ("consumer", "provider"),
    InteractionMode.FACILITATING: ("facilitator", "facilitated"),
    InteractionMode.COLLABORATION: ("collaborator", "collaborator"),
}
FORMATS = ("json", "yaml")

# --- export ----------------------------------------------------------------------------------------------------


def export_team_api(
    uow: UnitOfWork,
    key: str,
    *,
    services: Sequence[TeamApiService] = (),
    dependencies: Sequence[TeamApiDependency] = (),
) -> dict[str, Any]:
    """The team as a Team API document (a plain mapping; `render` makes JSON or YAML text of it)."""
    detail = team_detail(uow, key)
    document: dict[str, Any] = doc.drop_empty(
        {
            "teamapi": doc.SPEC_VERSION,
            "info": {"name": detail.name, "key": detail.key, "focus": detail.mission, "type": str(detail.team_type)},
            **_profile_parts(detail.profile, services),
            "dependencies": [
                {"team-name": d.team_name, "team": d.team, "description": d.description, "type": "OK"}
                for d in dependencies
            ],
        }
    )
    document["info"].setdefault("focus", "")
    # the parts the product owns are always written, so that importing the file gives exactly this team
    document["interactions"] = [_interaction_part(key, i) for i in detail.interactions]
    document["members"] = [{"username": m.username, "role": m.team_role} for m in detail.members]
    document["domains"] = _domain_parts(detail)
    return document


def _profile_parts(profile: TeamProfile, services: Sequence[TeamApiService]) -> dict[str, Any]:
    """The document's parts from the team's profile, with the services it owns in their place."""
    return {
        "channels": [{"type": c.type, "name": c.name} for c in profile.channels],
        "searchTerms": [{"term": t} for t in profile.search_terms],
        "platform": {"$ref": profile.platform_ref} if profile.platform_ref else None,
        "services": [{"name": s.name, "key": s.key, "url": s.url, "repository": s.repository} for s in services],
        "work": {
            "services": [_link(link.name, link.ref) for link in profile.work_services],
            "waysOfWorking": [_link(link.name, link.ref) for link in profile.ways_of_working],
            "crossTeam": [_link(link.name, link.ref) for link in profile.cross_team_work],
        },
        "meetings": [
            {
                "purpose": m.purpose,
                "dayOfWeek": m.day_of_week,
                "timeOfDay": m.time_of_day,
                "durationMinutes": m.duration_minutes,
            }
            for m in profile.meetings
        ],
    }


def _interaction_part(key: str, i: Interaction) -> Any:
    return doc.drop_empty(
        {
            "team-name": i.other(key)[1],
            "team": i.other(key)[0],
            "mode": str(i.mode),
            "role": i.role_of(key),
            "purpose": i.purpose,
            "startDate": i.starts_on.isoformat(),
            "endDate": i.ends_on.isoformat() if i.ends_on else None,
            "expectedDuration": i.expected_duration,
            "expectedDurationUnit": str(i.expected_duration_unit) if i.expected_duration_unit else None,
        }
    )


def _domain_parts(detail: TeamDetail) -> list[Any]:
    return [
        doc.drop_empty({"name": d.name, "key": d.key, "complexity": str(d.complexity), "description": d.description})
        for d in detail.domains
    ]


def render(document: dict[str, Any], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed.on("format", f"must be one of {', '.join(FORMATS)}")
    return doc.render(document, fmt)


def _link(name: str, ref: str | None) -> dict[str, str]:
    return {"name": name, "$ref": ref} if ref else {"name": name}


# --- import ------------------------------------------------------------------------------------------------------


def import_team_api(uow: UnitOfWork, source: str | dict[str, Any], *, dry_run: bool = False) -> TeamApiImport:
    """Creates or updates the team the document describes, all or nothing."""
    require(uow.actor, Permission.TEAMS_WRITE)
    data, problems = doc.load_text(source) if isinstance(source, str) else (source, [])
    parsed, shape_problems = doc.parse(data) if not problems else (None, [])
    problems += shape_problems
    if parsed is None:
        raise _invalid(problems)
    plan = _Plan(uow, parsed)
    if plan.problems:
        raise _invalid(plan.problems)
    ignored = [part for part in ("services", "dependencies") if getattr(parsed, part)]
    existing = uow.session.scalar(select(models.Team).where(models.Team.key == plan.key))
    result = TeamApiImport(team=plan.key, created=existing is None, dry_run=dry_run, ignored=ignored)
    if dry_run:
        return result
    before = export_team_api(uow, plan.key) if existing else None
    plan.apply(existing)
    record_audit(
        uow,
        "team.import",
        "team",
        plan.key,
        before=before,
        after=export_team_api(uow, plan.key),
        detail="created" if existing is None else "updated",
    )
    return result


def _invalid(problems: list[FieldProblem]) -> ValidationFailed:
    listed = "; ".join(f"{p.field}: {p.reason}" for p in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return ValidationFailed(f"the Team API document is invalid, nothing was stored: {listed}{more}", problems)


class _Plan:
    """What the document would change, checked against the store; `problems` lists every reason not to."""

    def __init__(self, uow: UnitOfWork, parsed: doc.TeamApiDocument) -> None:
        self.uow, self.doc = uow, parsed
        self.present = parsed.model_fields_set
        self.key = parsed.info.key or slugify(parsed.info.name)
        self.problems: list[FieldProblem] = []
        if self.key in RESERVED_KEYS:
            self.problems.append(FieldProblem("info.key", f"{self.key!r} is reserved; choose another key"))
        self.members = self._members()
        self.domains = self._domains()
        self.interactions = self._interactions()

    def _members(self) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        seen: set[str] = set()
        for index, member in enumerate(self.doc.members):
            where = f"members[{index}].username"
            if member.username in seen:
                self.problems.append(FieldProblem(where, f"{member.username} is listed twice"))
                continue
            seen.add(member.username)
            try:
                user = accounts.get_user(self.uow, member.username)
            except NotFound:
                self.problems.append(FieldProblem(where, "no such user"))
                continue
            found.append((user.id, member.role))
        return found

    def _domains(self) -> list[DomainCreate]:
        found: list[DomainCreate] = []
        seen: set[str] = set()
        for index, domain in enumerate(self.doc.domains):
            key = domain.key or slugify(domain.name)
            if key in seen or domain.name in seen:
                self.problems.append(FieldProblem(f"domains[{index}].name", "listed twice"))
                continue
            seen.update({key, domain.name})
            clash = self.uow.session.scalar(
                select(models.Domain).where(or_(models.Domain.key == key, models.Domain.name == domain.name))
            )
            if clash is not None and clash.team_id is not None:
                owner = access.team_key_of(self.uow, clash.team_id)
                if owner != self.key:
                    self.problems.append(
                        FieldProblem(f"domains[{index}].name", f"{clash.name} is owned by {owner}; one team per domain")
                    )
                    continue
            if clash is not None and clash.key != key:
                self.problems.append(FieldProblem(f"domains[{index}].name", f"already the name of domain {clash.key}"))
                continue
            found.append(
                DomainCreate(name=domain.name, key=key, complexity=domain.complexity, description=domain.description)
            )
        return found

    def _interactions(self) -> list[InteractionCreate]:
        today = self.uow.clock.now().date()
        found: list[tuple[int, InteractionCreate]] = []
        for index, item in enumerate(self.doc.interactions):
            spec = self._interaction(index, item, today)
            if spec is None:
                continue
            for other_index, other in found:
                if _same_slot(spec, other, today):
                    self.problems.append(
                        FieldProblem(f"interactions[{index}]", f"overlaps interactions[{other_index}] (same mode)")
                    )
                    break
            else:
                found.append((index, spec))
        return [spec for _, spec in found]

    def _interaction(self, index: int, item: doc.InteractionDoc, today: date) -> InteractionCreate | None:
        where = f"interactions[{index}]"
        other = self._other_team(where, item)
        if other is None:
            return None
        first_role, second_role = ROLE_FOR_MODE[item.mode]
        role = item.role or first_role
        if role not in (first_role, second_role):
            self.problems.append(
                FieldProblem(f"{where}.role", f"must be {first_role} or {second_role} for {item.mode.value}")
            )
            return None
        if (item.expectedDuration is None) != (item.expectedDurationUnit is None):
            self.problems.append(
                FieldProblem(f"{where}.expectedDuration", "expectedDuration and expectedDurationUnit go together")
            )
            return None
        starts_on = item.startDate or today
        if item.endDate is not None and item.endDate < starts_on:
            self.problems.append(FieldProblem(f"{where}.endDate", f"ends before it starts ({starts_on.isoformat()})"))
            return None
        first, second = (self.key, other) if role == first_role else (other, self.key)
        return InteractionCreate(
            team=first,
            with_team=second,
            mode=item.mode,
            purpose=item.purpose,
            starts_on=starts_on,
            ends_on=item.endDate,
            expected_duration=item.expectedDuration,
            expected_duration_unit=item.expectedDurationUnit,
        )

    def _other_team(self, where: str, item: doc.InteractionDoc) -> str | None:
        if item.team:
            row = self.uow.session.scalar(select(models.Team).where(models.Team.key == item.team))
            field = f"{where}.team"
        elif item.other_name:
            row = self.uow.session.scalar(select(models.Team).where(models.Team.name == item.other_name))
            field = f"{where}.team-name"
        else:
            self.problems.append(FieldProblem(f"{where}.team", "name the other team (team or team-name)"))
            return None
        if row is None:
            self.problems.append(FieldProblem(field, f"no such team {item.team or item.other_name!r}"))
            return None
        if row.key == self.key:
            self.problems.append(FieldProblem(field, "a team does not interact with itself"))
            return None
        return row.key

    def apply(self, existing: models.Team | None) -> None:
        info = self.doc.info
        team = existing or models.Team(key=self.key, created_at=self.uow.clock.now(), mission="", profile={})
        team.name, team.team_type = info.name, str(info.type)
        if existing is None or "focus" in info.model_fields_set:
            team.mission = info.focus
        team.profile = self._profile(TeamProfile.model_validate(team.profile or {})).model_dump(mode="json")
        if existing is None:
            self.uow.session.add(team)
        self.uow.session.flush()
        if "members" in self.present:
            _replace_members(self.uow, team, self.members)
        if "domains" in self.present:
            _replace_domains(self.uow, team, self.domains)
        if "interactions" in self.present:
            _replace_interactions(self.uow, team, self.interactions)

    def _profile(self, current: TeamProfile) -> TeamProfile:
        d, present = self.doc, self.present
        work = d.work.model_fields_set if "work" in present else set()
        return TeamProfile.model_validate(
            {
                "channels": [c.model_dump() for c in d.channels] if "channels" in present else current.channels,
                "search_terms": [t.term for t in d.searchTerms] if "searchTerms" in present else current.search_terms,
                "meetings": [
                    {
                        "purpose": m.purpose,
                        "day_of_week": m.dayOfWeek,
                        "time_of_day": m.timeOfDay,
                        "duration_minutes": m.durationMinutes,
                    }
                    for m in d.meetings
                ]
                if "meetings" in present
                else current.meetings,
                "ways_of_working": _links(d.work.waysOfWorking) if "waysOfWorking" in work else current.ways_of_working,
                "cross_team_work": _links(d.work.crossTeam) if "crossTeam" in work else current.cross_team_work,
                "work_services": _links(d.work.services) if "services" in work else current.work_services,
                "platform_ref": d.platform.ref
                if d.platform
                else (None if "platform" in present else current.platform_ref),
            },
            strict=False,
        )


def _links(links: list[doc.LinkDoc]) -> list[dict[str, str | None]]:
    return [{"name": link.name, "ref": link.ref} for link in links]


def _same_slot(a: InteractionCreate, b: InteractionCreate, today: date) -> bool:
    if a.mode is not b.mode:
        return False
    same_pair = (a.team, a.with_team) == (b.team, b.with_team) or (
        a.mode is InteractionMode.COLLABORATION and (a.team, a.with_team) == (b.with_team, b.team)
    )
    a_start, b_start = a.starts_on or today, b.starts_on or today
    return same_pair and (a.ends_on is None or b_start <= a.ends_on) and (b.ends_on is None or a_start <= b.ends_on)


# --- applying a checked document ------------------------------------------------------------------------------


def _replace_members(uow: UnitOfWork, team: models.Team, members: list[tuple[int, str]]) -> None:
    """Sets the team's members (user id, team role) to exactly these; kept members keep their join date."""
    kept = {
        m.user_id: m for m in uow.session.scalars(select(models.TeamMember).where(models.TeamMember.team_id == team.id))
    }
    wanted = dict(members)
    for user_id, membership in kept.items():
        if user_id not in wanted:
            uow.session.delete(membership)
    for user_id, role in members:
        if user_id in kept:
            kept[user_id].team_role = role
        else:
            uow.session.add(
                models.TeamMember(team_id=team.id, user_id=user_id, team_role=role, joined_at=uow.clock.now())
            )
    uow.session.flush()


def _replace_domains(uow: UnitOfWork, team: models.Team, domains: list[DomainCreate]) -> None:
    """Sets the team's owned domains to exactly these; unowned domains of the same key are taken over."""
    wanted = {d.key or slugify(d.name): d for d in domains}
    for row in queries.domains(uow.session, [team.id]):
        if row.key not in wanted:
            uow.session.delete(row)
    uow.session.flush()
    for key, spec in wanted.items():
        found = uow.session.scalar(select(models.Domain).where(models.Domain.key == key))
        if found is not None and found.team_id not in (None, team.id):
            raise Conflict(f"the domain {key!r} is owned by another team", rule="one-team-per-domain")
        domain = found or models.Domain(key=key, created_at=uow.clock.now())
        if found is None:
            uow.session.add(domain)
        domain.name, domain.complexity, domain.description = spec.name, str(spec.complexity), spec.description
        domain.team_id = team.id
    uow.session.flush()


def _replace_interactions(uow: UnitOfWork, team: models.Team, interactions: list[InteractionCreate]) -> None:
    """Sets every interaction the team takes part in (either side) to exactly these."""
    uow.session.execute(
        delete(models.Interaction).where(
            or_(models.Interaction.team_id == team.id, models.Interaction.other_team_id == team.id)
        )
    )
    uow.session.flush()
    for spec in interactions:
        store_interaction(uow, access.team_row(uow, spec.team), access.team_row(uow, spec.with_team), spec)
