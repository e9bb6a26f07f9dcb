"""One-step onboarding: from nothing to a team that can ship, in one unit of work.

Every store change commits with the caller's unit of work or not at all; a failure removes the
repository folder it created (rolled back, not resumable). The flag space, the work a service serves
and the first pipeline run go straight to releases, portfolio and repos (all below the platform).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate, Service, ServiceCreate, WorkLinkCreate
from digital_factory.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.core.pagination import PageRequest
from digital_factory.platform import models, onboarding_team, questions, sandbox, templates
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.registry import render_template, template_row
from digital_factory.platform.schemas import (
    AnswerValue,
    OnboardingRecord,
    OnboardingRequest,
    OnboardingResult,
    Step,
    StepStatus,
    Template,
)
from digital_factory.portfolio import service as portfolio
from digital_factory.releases import service as releases
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import RepositoryCreate
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate

PIPELINE_FILE = ".factory/pipeline.yml"

ProgressSink = Callable[[str, StepStatus, str], None]

ONBOARDING_STEPS: tuple[tuple[str, str], ...] = (
    ("team", "Create the team, with its mission and domain"),
    ("platform", "Record X-as-a-Service with the platform team"),
    ("render", "Render the golden-path template"),
    ("repository", "Create the repository with its first commit"),
    ("service", "Register the service in the catalog, in its value stream"),
    ("environments", "Create dev, staging and prod"),
    ("flags", "Create the feature-flag space"),
    ("ingestion", "Create an ingestion key"),
    ("work", "Link the feature and epic it serves"),
    ("pipeline", "Start the first pipeline run"),
)


def check_onboarding(uow: UnitOfWork, data: OnboardingRequest) -> Template:
    """Everything that can be refused before any work starts (also used by forms to answer quickly)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    require(uow.actor, Permission.TEAMS_WRITE)
    template = Template.model_validate(template_row(uow, data.template))
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
    onboarding_team.check_team_parts(uow, data)
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
    answers = _answers(ctx, template, data)
    scratch = sandbox.scratch_dir(ctx.scratch_root, f"onboard-{data.service_key}-")
    run = _Run(uow, ctx, data, template, answers, scratch / data.service_key, _StepLog(progress))
    try:
        result = _make_everything(run)
        _save_onboarding(uow, job_id, data, version=run.version, steps=run.log.steps, status="succeeded", error=None)
        after = {"team": data.team_key, "template": template.key, "version": run.version, "job": job_id}
        record_audit(uow, "team.onboard", "service", result.service, after=after)
        return result
    except BaseException:
        if run.repository_made:
            ctx.repo_host.delete(data.service_key)
        raise
    finally:
        sandbox.remove(scratch)


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


@dataclass
class _Run:
    """One onboarding under way: what it was asked, where it renders, what it has made so far."""

    uow: UnitOfWork
    ctx: PlatformContext
    data: OnboardingRequest
    template: Template
    answers: dict[str, AnswerValue]
    rendered: Path
    log: _StepLog
    repository_made: bool = False

    @property
    def version(self) -> str:
        return _newest(self.template)


def _newest(template: Template) -> str:
    assert template.latest_version is not None  # check_onboarding refuses a template without one
    return template.latest_version


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


def _make_everything(run: _Run) -> OnboardingResult:
    """The onboarding steps in order, each reported as it runs."""
    uow, ctx, data = run.uow, run.ctx, run.data
    with _step(run.log, "team") as note:
        note.append(_ensure_team(uow, data))
        finished, domain = onboarding_team.finish_team(uow, data)
        note.extend(finished)
    with _step(run.log, "platform") as note:
        platform_team, interaction_id, said = onboarding_team.platform_interaction(uow, data)
        note.extend(["skipped", said] if platform_team is None else [said])
    with _step(run.log, "render") as note:
        note.append(_render(run))
    with _step(run.log, "repository") as note:
        commit, clone_url = _create_repository(run)
        note.append(f"{clone_url} at {commit[:10]}")
    with _step(run.log, "service") as note:
        service = _register_service(run, clone_url)
        stream = f", in the value stream {service.value_stream}" if service.value_stream else ", in no value stream"
        note.append(f"{service.key}, owned by {data.team_key}, on {run.template.key} {run.version}{stream}")
    with _step(run.log, "environments") as note:
        environments = catalog.list_environments(uow, service.key)
        note.append(" → ".join(f"{e.name} ({_policy(e.approval_roles)})" for e in environments))
    with _step(run.log, "flags") as note:
        note.append(_create_flag_space(uow, ctx, service.key))
    with _step(run.log, "ingestion") as note:
        created_key = catalog.create_ingestion_key(uow, ctx.digester, service.key, IngestionKeyCreate(name="telemetry"))
        note.append(f"key {created_key.key.public_id} (shown once)")
    with _step(run.log, "work") as note:
        note.extend(_link_work(uow, service.key, data))
    with _step(run.log, "pipeline") as note:
        repos.record_push(
            uow, ctx.repo_host, service.key, [("refs/heads/main", repos.ZERO_SHA, commit)], pusher=uow.actor.name
        )
        note.append(f"first push of main ({commit[:10]}) recorded; it starts the pipeline in {PIPELINE_FILE}")
    return OnboardingResult(
        team=data.team_key,
        service=service.key,
        repository=service.key,
        clone_url=clone_url,
        commit=commit,
        template=run.template.key,
        template_version=run.version,
        environments=[e.name for e in environments],
        ingestion_key_id=created_key.key.public_id,
        ingestion_key=created_key.secret,
        value_stream=service.value_stream,
        domain=domain,
        platform_team=platform_team,
        interaction_id=interaction_id,
    )


def _ensure_team(uow: UnitOfWork, data: OnboardingRequest) -> str:
    try:
        teams.team_id(uow, data.team_key)
        created = False
    except NotFound:
        teams.create_team(
            uow, TeamCreate(key=data.team_key, name=data.team_name, team_type=data.team_type, mission=data.mission)
        )
        created = True
    team = teams.get_team(uow, data.team_key)
    present = {m.username for m in team.members}
    added = [name for name in dict.fromkeys(data.members) if name not in present]
    for username in added:
        teams.add_member(uow, data.team_key, MemberAdd(username=username))
    verb = "created" if created else "exists"
    return f"{data.team_key} {verb}" + (f"; members: {', '.join(added)}" if added else "")


def _answers(ctx: PlatformContext, template: Template, data: OnboardingRequest) -> dict[str, AnswerValue]:
    """The answers to the template's questions, checked before any work starts."""
    config, _ = templates.read_config(ctx.template_dir(template.key), _newest(template))
    reserved = {
        "service_key": data.service_key,
        "service_name": data.service_name,
        "team_key": data.team_key,
        "description": data.description,
    }
    return questions.answers(questions.questions(config), data.answers, reserved)


def _render(run: _Run) -> str:
    """Render the template's newest version with the checked answers; a note of what it made."""
    render_template(run.ctx, run.template, run.version, run.rendered, run.answers)
    files = sum(1 for p in run.rendered.rglob("*") if p.is_file())
    return f"{run.template.key} {run.version}: {files} files"


def _create_repository(run: _Run) -> tuple[str, str]:
    """The hosted repository with the rendered tree as its first commit: (commit, clone URL)."""
    ctx, data = run.ctx, run.data
    repository = RepositoryCreate(
        key=data.service_key, description=data.service_name, owner_team=data.team_key, service_key=data.service_key
    )
    repos.create_repository(run.uow, ctx.repo_host, repository)
    run.repository_made = True
    rendered = run.rendered
    repos.run_git(["init", "--quiet", "--initial-branch=main"], cwd=rendered)
    commit = repos.commit_all(
        rendered, f"Start {data.service_key} from the {run.template.key} {run.version} golden-path template"
    )
    repos.run_git(
        ["push", "--quiet", ctx.repo_host.remote(data.service_key), "HEAD:refs/heads/main"],
        cwd=rendered,
        env=ctx.repo_host.remote_env(data.service_key),
    )
    return commit, ctx.repo_host.clone_url(data.service_key, ctx.public_url)


def _register_service(run: _Run, clone_url: str) -> Service:
    data = run.data
    service = catalog.register_service(
        run.uow,
        ServiceCreate(
            key=data.service_key,
            name=data.service_name,
            description=data.description,
            owner_team=data.team_key,
            repository_url=clone_url,
            value_stream=onboarding_team.value_stream_for(run.uow, data),
        ),
    )
    catalog.set_service_template(run.uow, service.key, run.template.key, run.version)
    return service


def _policy(approval_roles: list[Role]) -> str:
    return "approval by " + "/".join(map(str, approval_roles)) if approval_roles else "automatic"


def _create_flag_space(uow: UnitOfWork, ctx: PlatformContext, service_key: str) -> str:
    """One client key per environment; the secrets go to the team through the Releases page (rotate a
    key there to see a new secret), never into the onboarding record."""
    created = releases.ensure_client_keys(uow, ctx.digester, service_key)
    names = ", ".join(sorted(created)) or "none new"
    return f"flag space ready; OFREP client keys for {names} (create or rotate them under Releases)"


def _link_work(uow: UnitOfWork, service_key: str, data: OnboardingRequest) -> list[str]:
    keys = [k for k in (data.feature_key, data.epic_key) if k]
    if not keys:
        return ["skipped", "no feature or epic given"]
    for key in keys:
        _check_work(uow, key)
        catalog.link_work(uow, service_key, WorkLinkCreate(key=key))
    return ["serves " + ", ".join(key.upper() for key in keys)]


def _check_work(uow: UnitOfWork, key: str) -> None:
    """NotFound unless the key names a feature or epic in the portfolio."""
    prefix, _ = parse_key(key)
    if prefix == "FEAT":
        portfolio.get_feature(uow, key.upper())
    elif prefix == "EPIC":
        portfolio.get_epic(uow, key.upper())
    else:
        raise NotFound(f"{key!r} is neither a feature (FEAT-n) nor an epic (EPIC-n)")


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
