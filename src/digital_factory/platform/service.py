"""Platform use-cases: golden-path templates, one-step onboarding, the template fleet, scorecards.

Callers own the transaction. Onboarding runs inside one unit of work: every store change it makes
commits together or not at all, and a failure removes the repository folder it created (rolled back,
not resumable). Template upgrades do their git work first (`perform_upgrade`, no store access), then
record the outcome (`record_upgrade`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate, ServiceCreate, WorkLinkCreate
from digital_factory.core.errors import Conflict, DomainError, FieldProblem, NotFound, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.core.pagination import PageRequest
from digital_factory.platform import models, questions, safety, sandbox, scorecards, templates
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.schemas import (
    FleetEntry,
    OnboardingRecord,
    OnboardingRequest,
    OnboardingResult,
    ScorecardReport,
    Step,
    StepStatus,
    Template,
    TemplateCreate,
    TemplateQuestion,
    UpgradeRecord,
    UpgradeStatus,
)
from digital_factory.repos import git
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.repos.schemas import RepositoryCreate
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate

ANSWERS_FILE = ".copier-answers.yml"
PIPELINE_FILE = ".factory/pipeline.yml"
UPGRADE_BRANCH_PREFIX = "template-upgrade/"
CONFLICT_MARKER = re.compile(rb"^<<<<<<< ", re.MULTILINE)
CONFLICT_STATES = frozenset({"UU", "AA", "DU", "UD", "AU", "UA", "DD"})

ProgressSink = Callable[[str, StepStatus, str], None]

ONBOARDING_STEPS: tuple[tuple[str, str], ...] = (
    ("team", "Create the team"),
    ("render", "Render the golden-path template"),
    ("repository", "Create the repository with its first commit"),
    ("service", "Register the service in the catalog"),
    ("environments", "Create dev, staging and prod"),
    ("flags", "Create the feature-flag space"),
    ("ingestion", "Create an ingestion key"),
    ("work", "Link the feature and epic it serves"),
    ("pipeline", "Start the first pipeline run"),
)


# --- templates -------------------------------------------------------------------------------------


def ensure_builtin_templates(uow: UnitOfWork, ctx: PlatformContext) -> list[Template]:
    """Materialise the built-in templates (git repositories with version tags) and register them.

    Runs as the product itself at start-up; idempotent."""
    out = []
    for builtin in templates.BUILTINS:
        bare = ctx.template_dir(builtin.key)
        scratch = sandbox.scratch_dir(ctx.scratch_root, f"builtin-{builtin.key}-")
        try:
            templates.materialize_builtin(builtin, bare, scratch)
        finally:
            sandbox.remove(scratch)
        versions = templates.versions(bare)
        row = _template_row_or_none(uow, builtin.key)
        now = uow.clock.now()
        if row is None:
            row = models.Template(
                key=builtin.key,
                name=builtin.name,
                description=builtin.description,
                source="builtin",
                builtin=True,
                trusted=False,
                versions=versions,
                latest_version=templates.newest(versions),
                created_by="platform",
                created_at=now,
                refreshed_at=now,
            )
            uow.session.add(row)
            uow.session.flush()
            record_audit(
                uow, "template.register", "template", row.key, after={"source": "builtin", "versions": versions}
            )
        elif row.versions != versions:
            row.versions, row.latest_version, row.refreshed_at = versions, templates.newest(versions), now
            record_audit(uow, "template.refresh", "template", row.key, after={"versions": versions})
        out.append(Template.model_validate(row))
    return out


def register_template(uow: UnitOfWork, ctx: PlatformContext, data: TemplateCreate) -> Template:
    """Register a copier template from a git repository. Platform role only; `trusted` needs an admin.

    The repository is mirrored into the data folder and its newest version checked before it is
    accepted: symlinks, paths that climb out, and (unless trusted) tasks, migrations and Jinja
    extensions are refused."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    if data.trusted:
        require(uow.actor, Permission.ACCOUNTS_ADMIN)
    if _template_row_or_none(uow, data.key) is not None:
        raise Conflict(f"a template with the key {data.key!r} already exists", rule="unique-template-key")
    source = _checked_source(data.source)
    bare = ctx.template_dir(data.key)
    if bare.exists():
        sandbox.remove(bare)
    try:
        templates.mirror(source, bare, timeout=ctx.render_timeout)
        versions = templates.versions(bare)
        if not versions:
            raise ValidationFailed.on("source", "the repository has no version tags (PEP 440, e.g. v1.0.0)")
        latest = templates.newest(versions)
        assert latest is not None
        templates.check_version(bare, latest, trusted=data.trusted)
    except git.GitError as exc:
        sandbox.remove(bare)
        raise ValidationFailed.on("source", f"cannot read the repository: {exc.stderr.strip()[:300]}") from None
    except DomainError:
        sandbox.remove(bare)
        raise
    now = uow.clock.now()
    row = models.Template(
        key=data.key,
        name=data.name,
        description=data.description,
        source=source,
        builtin=False,
        trusted=data.trusted,
        versions=versions,
        latest_version=latest,
        created_by=uow.actor.name,
        created_at=now,
        refreshed_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow,
        "template.register",
        "template",
        row.key,
        after={"source": source, "versions": versions, "trusted": data.trusted},
    )
    return Template.model_validate(row)


def refresh_template(uow: UnitOfWork, ctx: PlatformContext, key: str) -> Template:
    """Fetch a registered template's new versions (built-ins are refreshed at start-up)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = _template_row(uow, key)
    bare = ctx.template_dir(key)
    if not row.builtin:
        try:
            templates.mirror(row.source, bare, timeout=ctx.render_timeout)
        except git.GitError as exc:
            raise Conflict(f"cannot fetch {row.source}: {exc.stderr.strip()[:300]}", rule="template-fetch") from None
    versions = templates.versions(bare)
    latest = templates.newest(versions)
    if latest is not None:
        templates.check_version(bare, latest, trusted=row.trusted)
    before = {"versions": row.versions}
    row.versions, row.latest_version, row.refreshed_at = versions, latest, uow.clock.now()
    record_audit(uow, "template.refresh", "template", key, before=before, after={"versions": versions})
    return Template.model_validate(row)


def set_template_trust(uow: UnitOfWork, key: str, trusted: bool) -> Template:
    """Mark a template trusted (its tasks, migrations and extensions may run, in the sandbox). Admin only."""
    require(uow.actor, Permission.ACCOUNTS_ADMIN)
    row = _template_row(uow, key)
    if row.trusted != trusted:
        before = {"trusted": row.trusted}
        row.trusted = trusted
        record_audit(uow, "template.trust", "template", key, before=before, after={"trusted": trusted})
    return Template.model_validate(row)


def list_templates(uow: UnitOfWork) -> list[Template]:
    require(uow.actor, Permission.READ)
    rows = uow.session.scalars(select(models.Template).order_by(models.Template.builtin.desc(), models.Template.key))
    return [Template.model_validate(r) for r in rows]


def get_template(uow: UnitOfWork, key: str) -> Template:
    require(uow.actor, Permission.READ)
    return Template.model_validate(_template_row(uow, key))


def template_questions(
    uow: UnitOfWork, ctx: PlatformContext, key: str, version: str | None = None
) -> list[TemplateQuestion]:
    """The questions of a template version (default: the newest), for forms."""
    require(uow.actor, Permission.READ)
    row = _template_row(uow, key)
    rev = version or row.latest_version
    if rev is None or rev not in row.versions:
        raise NotFound(f"template {key!r} has no version {rev!r}")
    config, _ = templates.read_config(ctx.template_dir(key), rev)
    return questions.questions(config)


def _checked_source(source: str) -> str:
    if source.startswith("/"):
        path = Path(source)
        if not path.is_absolute() or ".." in path.parts or not path.exists():
            raise ValidationFailed.on("source", "must be an existing absolute path (no '..') or an https URL")
        return str(path)
    parts = urlsplit(source)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValidationFailed.on("source", "must be an https URL without credentials, or an absolute path")
    return source


def _template_row_or_none(uow: UnitOfWork, key: str) -> models.Template | None:
    return uow.session.scalar(select(models.Template).where(models.Template.key == key))


def _template_row(uow: UnitOfWork, key: str) -> models.Template:
    row = _template_row_or_none(uow, key)
    if row is None:
        raise NotFound(f"no template with the key {key!r}")
    return row


# --- rendering -------------------------------------------------------------------------------------


def render_template(
    ctx: PlatformContext, template: Template, version: str, destination: Path, data: dict[str, Any]
) -> None:
    """Render one version into an empty destination: checked before, sandboxed, checked after."""
    bare = ctx.template_dir(template.key)
    templates.check_version(bare, version, trusted=template.trusted)
    try:
        sandbox.run_render(
            sandbox.RenderJob("copy", bare, destination, version, data, trusted=template.trusted),
            timeout=ctx.render_timeout,
            sandbox=ctx.sandbox,
        )
    except sandbox.RenderError as exc:
        raise ValidationFailed.on("template", f"{template.key} {version} did not render: {exc.reason}") from None
    problems = safety.rendered_problems(destination)
    if problems:
        raise ValidationFailed(
            f"{template.key} {version} rendered something unsafe: " + "; ".join(problems[:10]),
            [FieldProblem("template", p) for p in problems],
        )


# --- onboarding --------------------------------------------------------------------------------------


@contextmanager
def _step(progress: ProgressSink, name: str) -> Iterator[list[str]]:
    """Reports a step running, then done (with the detail the body appended) or failed."""
    detail: list[str] = []
    progress(name, StepStatus.RUNNING, "")
    try:
        yield detail
    except DomainError as exc:
        progress(name, StepStatus.FAILED, exc.detail)
        raise
    except Exception as exc:
        progress(name, StepStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500])
        raise
    status = StepStatus.SKIPPED if detail[:1] == ["skipped"] else StepStatus.DONE
    progress(name, status, "; ".join(detail[1:] if status == StepStatus.SKIPPED else detail))


def check_onboarding(uow: UnitOfWork, data: OnboardingRequest) -> Template:
    """Everything that can be refused before any work starts (also used by forms to answer quickly)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    require(uow.actor, Permission.TEAMS_WRITE)
    template = Template.model_validate(_template_row(uow, data.template))
    if template.latest_version is None:
        raise Conflict(f"template {template.key!r} has no version to render", rule="template-has-no-version")
    try:
        catalog.service_row(uow, data.service_key)
    except NotFound:
        pass
    else:
        raise Conflict(f"a service with the key {data.service_key!r} already exists", rule="unique-service-key")
    try:
        teams.team_id(uow, data.team_key)
    except NotFound:
        if not data.team_name.strip():
            raise ValidationFailed.on("team_name", "a new team needs a name") from None
    for field_name, key, prefix in (("feature_key", data.feature_key, "FEAT"), ("epic_key", data.epic_key, "EPIC")):
        if key:
            try:
                parse_key(key, expected_prefix=prefix)
            except ValidationFailed as exc:
                raise ValidationFailed.on(field_name, exc.problems[0].reason) from None
    return template


def onboard(
    uow: UnitOfWork, ctx: PlatformContext, data: OnboardingRequest, progress: ProgressSink, *, job_id: str
) -> OnboardingResult:
    """One step from nothing to a team that can ship: team, repository from the template (first
    commit), catalog entry with environments, flag space, ingestion key, the work it serves, and the
    first pipeline run (the first push publishes PushReceived).

    All store changes commit with the caller's unit of work; on failure the created repository folder
    is removed and the caller's rollback undoes the rest."""
    template = check_onboarding(uow, data)
    version = template.latest_version
    assert version is not None
    config, _ = templates.read_config(ctx.template_dir(template.key), version)
    answers = questions.answers(
        questions.questions(config),
        data.answers,
        {
            "service_key": data.service_key,
            "service_name": data.service_name,
            "team_key": data.team_key,
            "description": data.description,
        },
    )
    scratch = sandbox.scratch_dir(ctx.scratch_root, f"onboard-{data.service_key}-")
    created_repository = False
    steps = _StepLog(progress)
    try:
        with _step(steps, "team") as note:
            note.append(_ensure_team(uow, data))
        rendered = scratch / data.service_key
        with _step(steps, "render") as note:
            render_template(ctx, template, version, rendered, answers)
            note.append(f"{template.key} {version}: {sum(1 for p in rendered.rglob('*') if p.is_file())} files")
        with _step(steps, "repository") as note:
            repos.create_repository(
                uow,
                ctx.repo_host,
                RepositoryCreate(
                    key=data.service_key,
                    description=data.service_name,
                    owner_team=data.team_key,
                    service_key=data.service_key,
                ),
            )
            created_repository = True
            commit = _first_commit(ctx, data.service_key, rendered, f"{template.key} {version}")
            clone_url = ctx.repo_host.clone_url(data.service_key, ctx.public_url)
            note.append(f"{clone_url} at {commit[:10]}")
        with _step(steps, "service") as note:
            service = catalog.register_service(
                uow,
                ServiceCreate(
                    key=data.service_key,
                    name=data.service_name,
                    description=data.description,
                    owner_team=data.team_key,
                    repository_url=clone_url,
                ),
            )
            catalog.set_service_template(uow, service.key, template.key, version)
            note.append(f"{service.key}, owned by {data.team_key}, on {template.key} {version}")
        with _step(steps, "environments") as note:
            environments = catalog.list_environments(uow, service.key)
            note.append(" → ".join(f"{e.name} ({_policy(e.approval_roles)})" for e in environments))
        with _step(steps, "flags") as note:
            summary = ctx.integrations.create_flag_space(uow, service.key)
            note.extend([summary] if summary else ["skipped", "releases is not installed: no flag space yet"])
        with _step(steps, "ingestion") as note:
            created_key = catalog.create_ingestion_key(
                uow, ctx.digester, service.key, IngestionKeyCreate(name="telemetry")
            )
            note.append(f"key {created_key.key.public_id} (shown once)")
        with _step(steps, "work") as note:
            note.extend(_link_work(uow, ctx, service.key, data))
        with _step(steps, "pipeline") as note:
            repos.record_push(
                uow, ctx.repo_host, service.key, [("refs/heads/main", git.ZERO_SHA, commit)], pusher=uow.actor.name
            )
            note.append(f"first push of main ({commit[:10]}) recorded; it starts the pipeline in {PIPELINE_FILE}")
        result = OnboardingResult(
            team=data.team_key,
            service=service.key,
            repository=service.key,
            clone_url=clone_url,
            commit=commit,
            template=template.key,
            template_version=version,
            environments=[e.name for e in environments],
            ingestion_key_id=created_key.key.public_id,
            ingestion_key=created_key.secret,
        )
        _save_onboarding(uow, job_id, data, version=version, steps=steps.steps, status="succeeded", error=None)
        record_audit(
            uow,
            "team.onboard",
            "service",
            service.key,
            after={"team": data.team_key, "template": template.key, "version": version, "job": job_id},
        )
        return result
    except BaseException:
        if created_repository:
            ctx.repo_host.delete(data.service_key)
        raise
    finally:
        sandbox.remove(scratch)


def _policy(approval_roles: list[Role]) -> str:
    return "approval by " + "/".join(map(str, approval_roles)) if approval_roles else "automatic"


class _StepLog:
    """Passes progress on and keeps the steps for the onboarding record."""

    def __init__(self, sink: ProgressSink) -> None:
        self.sink = sink
        self.steps = [Step(name=name, label=label) for name, label in ONBOARDING_STEPS]

    def __call__(self, name: str, status: StepStatus, detail: str) -> None:
        self.steps = [
            s.model_copy(update={"status": status, "detail": detail}) if s.name == name else s for s in self.steps
        ]
        self.sink(name, status, detail)


def _ensure_team(uow: UnitOfWork, data: OnboardingRequest) -> str:
    try:
        teams.team_id(uow, data.team_key)
        created = False
    except NotFound:
        teams.create_team(uow, TeamCreate(key=data.team_key, name=data.team_name, team_type=data.team_type))
        created = True
    team = teams.get_team(uow, data.team_key)
    present = {m.username for m in team.members}
    added = [name for name in dict.fromkeys(data.members) if name not in present]
    for username in added:
        teams.add_member(uow, data.team_key, MemberAdd(username=username))
    verb = "created" if created else "exists"
    return f"{data.team_key} {verb}" + (f"; members: {', '.join(added)}" if added else "")


def _first_commit(ctx: PlatformContext, key: str, rendered: Path, what: str) -> str:
    git.run(["init", "--quiet", "--initial-branch=main"], cwd=rendered)
    commit = git.commit_all(rendered, f"Start {key} from the {what} golden-path template")
    git.run(
        ["push", "--quiet", ctx.repo_host.remote(key), "HEAD:refs/heads/main"],
        cwd=rendered,
        env=ctx.repo_host.remote_env(key),
    )
    return commit


def _link_work(uow: UnitOfWork, ctx: PlatformContext, service_key: str, data: OnboardingRequest) -> list[str]:
    keys = [k for k in (data.feature_key, data.epic_key) if k]
    if not keys:
        return ["skipped", "no feature or epic given"]
    notes = []
    for key in keys:
        known = ctx.integrations.check_work(uow, key)
        catalog.link_work(uow, service_key, WorkLinkCreate(key=key))
        notes.append(f"{key.upper()}" + ("" if known else " (format checked; portfolio not installed)"))
    return ["serves " + ", ".join(notes)]


def _save_onboarding(
    uow: UnitOfWork,
    job_id: str,
    data: OnboardingRequest,
    *,
    version: str | None,
    steps: list[Step],
    status: str,
    error: str | None,
) -> None:
    now = uow.clock.now()
    uow.session.add(
        models.Onboarding(
            job_id=job_id,
            team_key=data.team_key,
            service_key=data.service_key,
            template_key=data.template,
            template_version=version,
            status=status,
            steps=[s.model_dump(mode="json") for s in steps],
            error=error,
            requested_by=uow.actor.name,
            created_at=now,
            finished_at=now,
        )
    )
    uow.session.flush()


def record_failed_onboarding(
    uow: UnitOfWork, job_id: str, data: OnboardingRequest, steps: list[Step], error: str
) -> None:
    """Keep the failed attempt (its steps and error) and audit it; nothing it made remains."""
    _save_onboarding(uow, job_id, data, version=None, steps=steps, status="failed", error=error[:2000])
    record_audit(
        uow,
        "team.onboard",
        "service",
        data.service_key,
        outcome="failure",
        detail=error[:500],
        after={"team": data.team_key, "template": data.template, "job": job_id},
    )


def list_onboardings(uow: UnitOfWork, page: PageRequest) -> list[OnboardingRecord]:
    require(uow.actor, Permission.READ)
    rows = uow.session.scalars(
        select(models.Onboarding).order_by(models.Onboarding.id.desc()).limit(page.limit).offset(page.offset)
    )
    return [OnboardingRecord.model_validate(r) for r in rows]


def get_onboarding(uow: UnitOfWork, job_id: str) -> OnboardingRecord:
    require(uow.actor, Permission.READ)
    row = uow.session.scalar(select(models.Onboarding).where(models.Onboarding.job_id == job_id))
    if row is None:
        raise NotFound(f"no onboarding {job_id!r}")
    return OnboardingRecord.model_validate(row)


# --- template fleet ------------------------------------------------------------------------------------


def fleet(uow: UnitOfWork) -> list[FleetEntry]:
    """Every service made from a template: the version it is on, the newest, its last upgrade."""
    require(uow.actor, Permission.READ)
    latest = {t.key: t.latest_version for t in uow.session.scalars(select(models.Template))}
    last = _last_upgrades(uow)
    entries = []
    for service_key, provenance in sorted(catalog.service_templates(uow).items()):
        newest = latest.get(provenance.template)
        entries.append(
            FleetEntry(
                service=service_key,
                owner_team=catalog.get_service(uow, service_key).owner_team,
                template=provenance.template,
                version=provenance.version,
                latest_version=newest,
                behind=bool(newest and templates.is_newer(newest, provenance.version)),
                last_upgrade=last.get(service_key),
            )
        )
    return entries


def _last_upgrades(uow: UnitOfWork) -> dict[str, UpgradeRecord]:
    newest_ids = select(func.max(models.Upgrade.id)).group_by(models.Upgrade.service_key)
    rows = uow.session.scalars(select(models.Upgrade).where(models.Upgrade.id.in_(newest_ids)))
    return {r.service_key: _upgrade_out(r) for r in rows}


@dataclass(frozen=True)
class UpgradePlan:
    service: str
    template: Template
    from_version: str
    to_version: str
    remote: str
    remote_env: dict[str, str]


def plan_upgrades(uow: UnitOfWork, ctx: PlatformContext, services: list[str], *, every: bool) -> list[UpgradePlan]:
    """Which services to upgrade to their template's newest version (named ones, or every one behind)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    if not services and not every:
        raise ValidationFailed.on("services", "name at least one service, or ask for all")
    entries = {e.service: e for e in fleet(uow)}
    chosen = list(dict.fromkeys(services)) if services else [k for k, e in entries.items() if e.behind]
    plans = []
    for key in chosen:
        entry = entries.get(key)
        if entry is None:
            catalog.service_row(uow, key)  # NotFound for an unknown service
            raise Conflict(f"service {key!r} was not made from a golden-path template", rule="no-template")
        if repos.repository_for_service(uow, key) is None:
            raise Conflict(f"service {key!r} has no hosted repository", rule="no-repository")
        template = Template.model_validate(_template_row(uow, entry.template))
        to_version = entry.latest_version or entry.version
        plans.append(
            UpgradePlan(
                service=key,
                template=template,
                from_version=entry.version,
                to_version=to_version,
                remote=ctx.repo_host.remote(key),
                remote_env=ctx.repo_host.remote_env(key),
            )
        )
    return plans


@dataclass(frozen=True)
class UpgradeOutcome:
    status: UpgradeStatus
    branch: str | None
    commit: str | None
    before: str
    conflicts: list[str]
    detail: str


def perform_upgrade(ctx: PlatformContext, plan: UpgradePlan) -> UpgradeOutcome:
    """`copier update` on a branch of a fresh clone; the branch is pushed only when the update is
    clean. Conflicts are reported and nothing is pushed. No store access (run it outside a write
    transaction)."""
    if not templates.is_newer(plan.to_version, plan.from_version):
        return UpgradeOutcome(UpgradeStatus.CURRENT, None, None, git.ZERO_SHA, [], f"already on {plan.from_version}")
    branch = f"{UPGRADE_BRANCH_PREFIX}{plan.to_version}"
    scratch = sandbox.scratch_dir(ctx.scratch_root, f"upgrade-{plan.service}-")
    work = scratch / plan.service
    try:
        git.run(["clone", "--quiet", plan.remote, str(work)], env=plan.remote_env)
        git.run(["checkout", "--quiet", "-b", branch], cwd=work)
        bare = ctx.template_dir(plan.template.key)
        templates.check_version(bare, plan.to_version, trusted=plan.template.trusted)
        try:
            sandbox.run_render(
                sandbox.RenderJob("update", bare, work, plan.to_version, {}, trusted=plan.template.trusted),
                timeout=ctx.render_timeout,
                sandbox=ctx.sandbox,
            )
        except sandbox.RenderError as exc:
            return UpgradeOutcome(UpgradeStatus.FAILED, None, None, git.ZERO_SHA, [], exc.reason[:1000])
        return _settle(plan, work, branch)
    except git.GitError as exc:
        return UpgradeOutcome(UpgradeStatus.FAILED, None, None, git.ZERO_SHA, [], str(exc)[:1000])
    finally:
        sandbox.remove(scratch)


def _settle(plan: UpgradePlan, work: Path, branch: str) -> UpgradeOutcome:
    """After `copier update`: report conflicts (nothing pushed), or commit and push a clean branch."""
    conflicts = _conflicts(work)
    if conflicts:
        return UpgradeOutcome(
            UpgradeStatus.CONFLICT,
            None,
            None,
            git.ZERO_SHA,
            conflicts,
            f"local changes conflict with {plan.to_version} in {', '.join(conflicts)}; nothing was pushed",
        )
    problems = safety.rendered_problems(work)
    if problems:
        return UpgradeOutcome(UpgradeStatus.FAILED, None, None, git.ZERO_SHA, [], "; ".join(problems[:5]))
    if not git.run(["status", "--porcelain"], cwd=work).stdout.strip():
        return UpgradeOutcome(UpgradeStatus.CURRENT, None, None, git.ZERO_SHA, [], "the update changed nothing")
    commit = git.commit_all(work, f"Upgrade {plan.template.key} from {plan.from_version} to {plan.to_version}")
    before = _remote_ref(plan, f"refs/heads/{branch}")
    git.run(["push", "--quiet", "--force", plan.remote, f"HEAD:refs/heads/{branch}"], cwd=work, env=plan.remote_env)
    changed = git.run(["diff", "--name-only", "HEAD~1", "HEAD"], cwd=work).stdout.split()
    return UpgradeOutcome(
        UpgradeStatus.UPGRADED, branch, commit, before, [], f"pushed {branch}: {', '.join(changed)}"[:1000]
    )


def _remote_ref(plan: UpgradePlan, ref: str) -> str:
    listed = git.run(["ls-remote", plan.remote, ref], env=plan.remote_env).stdout.split()
    return listed[0] if listed else git.ZERO_SHA


def _conflicts(work: Path) -> list[str]:
    """Paths git reports unmerged, plus any file that carries conflict markers or a .rej file."""
    found = set()
    for line in git.run(["status", "--porcelain", "--untracked-files=all"], cwd=work).stdout.splitlines():
        state, path = line[:2], line[3:].strip()
        if (
            state in CONFLICT_STATES
            or path.endswith(".rej")
            or (state.strip() and (work / path).is_file() and CONFLICT_MARKER.search((work / path).read_bytes()))
        ):
            found.add(path)
    return sorted(found)


def record_upgrade(uow: UnitOfWork, ctx: PlatformContext, plan: UpgradePlan, outcome: UpgradeOutcome) -> UpgradeRecord:
    """Store the outcome; a pushed branch is recorded as a push (its pipeline starts like any push)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = models.Upgrade(
        service_key=plan.service,
        template_key=plan.template.key,
        from_version=plan.from_version,
        to_version=plan.to_version,
        status=str(outcome.status),
        branch=outcome.branch,
        commit=outcome.commit,
        conflicts=outcome.conflicts,
        detail=outcome.detail,
        requested_by=uow.actor.name,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    if (
        outcome.status == UpgradeStatus.UPGRADED
        and outcome.branch
        and outcome.commit
        and ctx.repo_host.git_dir(plan.service)
    ):
        repos.record_push(
            uow,
            ctx.repo_host,
            plan.service,
            [(f"refs/heads/{outcome.branch}", outcome.before, outcome.commit)],
            pusher=uow.actor.name,
        )
    record_audit(
        uow,
        "template.upgrade",
        "service",
        plan.service,
        outcome="success" if outcome.status != UpgradeStatus.FAILED else "failure",
        after={
            "template": plan.template.key,
            "from": plan.from_version,
            "to": plan.to_version,
            "status": str(outcome.status),
            "branch": outcome.branch,
            "conflicts": outcome.conflicts,
        },
    )
    return _upgrade_out(row)


def list_upgrades(uow: UnitOfWork, service_key: str | None, page: PageRequest) -> list[UpgradeRecord]:
    require(uow.actor, Permission.READ)
    query = select(models.Upgrade)
    if service_key:
        query = query.where(models.Upgrade.service_key == service_key)
    rows = uow.session.scalars(query.order_by(models.Upgrade.id.desc()).limit(page.limit).offset(page.offset))
    return [_upgrade_out(r) for r in rows]


def _upgrade_out(row: models.Upgrade) -> UpgradeRecord:
    return UpgradeRecord(
        service=row.service_key,
        template=row.template_key,
        from_version=row.from_version,
        to_version=row.to_version,
        status=UpgradeStatus(row.status),
        branch=row.branch,
        commit=row.commit,
        conflicts=list(row.conflicts),
        detail=row.detail,
        requested_by=row.requested_by,
        created_at=row.created_at,
    )


def on_push(uow: UnitOfWork, event: PushReceived) -> None:
    """Subscribed to PushReceived: when a service's default branch moves to a commit whose answers
    file names another template version (an upgrade branch was merged), record that version."""
    if event.service_key is None or event.ref != "refs/heads/main" or event.after == git.ZERO_SHA:
        return
    version = _answered_version(Path(event.git_dir), event.after)
    if version is None:
        return
    known = catalog.service_templates(uow).get(event.service_key)
    if known is not None and known.version != version and templates.version_key(version) is not None:
        catalog.set_service_template(uow, event.service_key, known.template, version)


def _answered_version(git_dir: Path, commit: str) -> str | None:
    """The template version (`_commit`) in a commit's answers file, if any."""
    content = git.show_file(git_dir, commit, ANSWERS_FILE)
    try:
        answers = yaml.safe_load(content) if content is not None else None
    except yaml.YAMLError:
        answers = None
    version = answers.get("_commit") if isinstance(answers, dict) else None
    return version if isinstance(version, str) else None


# --- scorecards ----------------------------------------------------------------------------------------


def scorecard_report(uow: UnitOfWork, ctx: PlatformContext, *, team: str | None = None) -> ScorecardReport:
    """Scorecards per service, summed per team and platform-wide."""
    require(uow.actor, Permission.READ)
    latest = {t.key: t.latest_version for t in uow.session.scalars(select(models.Template))}
    provenance = catalog.service_templates(uow)
    cards = []
    page = catalog.list_services(uow, PageRequest(limit=200), owner_team=team)
    services = list(page.items)
    offset = 200
    while offset < page.total:
        services += catalog.list_services(uow, PageRequest(limit=200, offset=offset), owner_team=team).items
        offset += 200
    for service in services:
        known = provenance.get(service.key)
        newest = latest.get(known.template) if known else None
        delivery = ctx.integrations.delivery_facts(uow, service.key)
        git_dir = ctx.repo_host.git_dir(service.key) if repos.repository_for_service(uow, service.key) else None
        pipeline_defined = (
            git.show_file(git_dir, "refs/heads/main", PIPELINE_FILE) is not None
            if git_dir and git_dir.exists()
            else None
        )
        facts = scorecards.ServiceFacts(
            service=service.key,
            owner_team=service.owner_team,
            template=known.template if known else None,
            version=known.version if known else None,
            latest_version=newest,
            is_behind=None if not (known and newest) else templates.is_newer(newest, known.version),
            pipeline_defined=pipeline_defined,
            has_pipeline=delivery.has_pipeline,
            last_run_green=delivery.last_run_green,
            deploys_to_prod=delivery.deploys_to_prod,
            dora_band=delivery.dora_band,
        )
        cards.append(scorecards.evaluate(facts))
    by_team: dict[str | None, list[Any]] = {}
    for card in cards:
        by_team.setdefault(card.owner_team, []).append(card)
    return ScorecardReport(
        scorecards=cards,
        teams=[scorecards.summarise(key, group) for key, group in sorted(by_team.items(), key=lambda kv: kv[0] or "~")],
        platform=scorecards.summarise(None, cards),
    )


__all__ = [
    "ANSWERS_FILE",
    "CONFLICT_MARKER",
    "CONFLICT_STATES",
    "ONBOARDING_STEPS",
    "PIPELINE_FILE",
    "UPGRADE_BRANCH_PREFIX",
    "JobBoard",
    "PlatformContext",
    "UpgradeOutcome",
    "UpgradePlan",
    "check_onboarding",
    "ensure_builtin_templates",
    "fleet",
    "get_onboarding",
    "get_template",
    "list_onboardings",
    "list_templates",
    "list_upgrades",
    "on_push",
    "onboard",
    "perform_upgrade",
    "plan_upgrades",
    "record_failed_onboarding",
    "record_upgrade",
    "refresh_template",
    "register_template",
    "render_template",
    "scorecard_report",
    "set_template_trust",
    "template_questions",
]
