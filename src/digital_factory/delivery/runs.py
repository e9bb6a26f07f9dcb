"""Pipeline runs: lint, start (push, manual, rollback), read, cancel, retry, logs. Callers own the transaction.

Git is read before the state machine is touched: `prepare` resolves the commit, reads the pipeline file and
lists the commits the run contains; `start_*` then records the run and lets the state machine queue its
first steps (executors hear of them through `StepQueued`, published after commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.delivery import models, orchestration
from digital_factory.delivery.change_rows import new_change
from digital_factory.delivery.config import DeliveryConfig
from digital_factory.delivery.listing import newest_first
from digital_factory.delivery.lookup import by_id
from digital_factory.delivery.pipeline_file import PIPELINE_PATH, Pipeline, PipelineInvalid, Problem
from digital_factory.delivery.pipeline_file import lint as lint_text
from digital_factory.delivery.pipeline_file import parse as parse_pipeline
from digital_factory.delivery.schemas import (
    ChangeOut,
    LintProblem,
    LintRequest,
    LintResult,
    LogChunk,
    Run,
    RunFilter,
    RunRequest,
    RunSummary,
    Stage,
    Status,
    Step,
    StepLogPage,
    Trigger,
)
from digital_factory.delivery.sources import Commit, Repository
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.repos.service import ZERO_SHA, GitError
from digital_factory.store.uow import UnitOfWork

log = logging.getLogger(__name__)
LOG_PAGE_CHUNKS = 500


@dataclass(frozen=True)
class PreparedRun:
    """What git says about the commit a run is for (read before the transaction)."""

    source: str
    ref: str | None
    sha: str
    version: str
    message: str
    pipeline_text: str | None
    commits: list[Commit]
    on_default_branch: bool


def prepare(config: DeliveryConfig, source: str, ref: str | None, *, sha: str | None = None) -> PreparedRun:
    try:
        repository = Repository.open(source, config.mirrors_dir)
        default_branch = repository.default_branch()
        ref = ref or default_branch
        commit = sha or repository.resolve(ref)
        commits = repository.log(commit)
        message = next((c.subject for c in commits if c.sha == commit), "")
        return PreparedRun(
            source=source,
            ref=ref,
            sha=commit,
            version=repository.describe(commit),
            message=message,
            pipeline_text=repository.read_file(commit, PIPELINE_PATH),
            commits=commits,
            on_default_branch=ref.removeprefix("refs/heads/") == default_branch,
        )
    except GitError as exc:
        raise ValidationFailed.on("repository", str(exc)) from exc


# --- lint ----------------------------------------------------------------------------------------------


def lint(uow: UnitOfWork, data: LintRequest) -> LintResult:
    require(uow.actor, Permission.READ)
    problems = lint_text(data.content)
    if not problems and data.service:
        problems = environment_problems(uow, data.service, parse_pipeline(data.content))
    return LintResult(
        valid=not problems, problems=[LintProblem(line=p.line, path=p.path, message=p.message) for p in problems]
    )


def environment_problems(uow: UnitOfWork, service_key: str, pipeline: Pipeline) -> list[Problem]:
    """Deploy stages must name environments the service has."""
    known = [e.name for e in catalog.list_environments(uow, service_key)]
    return [
        Problem(
            stage.environment_line,
            f"stages[{index}].environment",
            f"{service_key!r} has no environment {stage.environment!r} (it has: {', '.join(known) or 'none'})",
        )
        for index, stage in enumerate(pipeline.stages)
        if stage.environment is not None and stage.environment not in known
    ]


def _invalid(problems: list[Problem]) -> ValidationFailed:
    return ValidationFailed(
        f"{PIPELINE_PATH} has {len(problems)} problem(s): " + "; ".join(str(p) for p in problems),
        [FieldProblem(f"{PIPELINE_PATH}:{p.line}", f"{p.path + ': ' if p.path else ''}{p.message}") for p in problems],
    )


# --- starting runs ---------------------------------------------------------------------------------------


def start_run(uow: UnitOfWork, config: DeliveryConfig, service_key: str, data: RunRequest) -> Run:
    """A manual run of the service's pipeline at `ref` (default: the repository's default branch)."""
    require_run_owner(uow, service_key)
    service = catalog.get_service(uow, service_key)
    source = build_source(uow, config, service_key, service.repository_url)
    if not source:
        raise ValidationFailed.on("service", f"{service_key!r} has no repository to build from")
    prepared = prepare(config, source, data.ref)
    if prepared.pipeline_text is None:
        raise ValidationFailed.on("ref", f"{PIPELINE_PATH} does not exist at {prepared.sha[:12]}")
    try:
        pipeline = parse_pipeline(prepared.pipeline_text)
    except PipelineInvalid as exc:
        raise _invalid(exc.problems) from None
    problems = environment_problems(uow, service_key, pipeline)
    if problems:
        raise _invalid(problems)
    run = _record(uow, service_key, prepared, pipeline, trigger=Trigger.MANUAL)
    return get_run(uow, run.id)


def build_source(uow: UnitOfWork, config: DeliveryConfig, service_key: str, url: str | None) -> str | None:
    """Where the server reads a service's commits: its hosted repository, in place on disk (no credential,
    no request to the server's own git endpoint), else the repository URL it was registered with."""
    hosted = repos.repository_for_service(uow, service_key)
    git_dir = config.repo_host.git_dir(hosted.key) if hosted and config.repo_host else None
    return str(git_dir) if git_dir is not None and git_dir.is_dir() else url


def start_run_for_push(uow: UnitOfWork, prepared: PreparedRun, event: PushReceived) -> RunSummary | None:
    """The run a push starts (as the system, on behalf of the pusher); None when nothing is to run.

    An invalid pipeline file still gives a run: failed at once, its problems as the error, no step run."""
    if event.service_key is None or event.after == ZERO_SHA or prepared.pipeline_text is None:
        return None
    branch = event.ref.removeprefix("refs/heads/") if event.ref.startswith("refs/heads/") else None
    problems: list[Problem]
    try:
        pipeline = parse_pipeline(prepared.pipeline_text)
        problems = environment_problems(uow, event.service_key, pipeline)
    except PipelineInvalid as exc:
        pipeline, problems = Pipeline(stages=()), exc.problems
    if not problems and not pipeline.runs_on_push(branch):
        return None
    pusher = event.pusher or "unknown"
    run = _record(
        uow, event.service_key, prepared, pipeline, trigger=Trigger.PUSH, triggered_by=pusher, problems=problems
    )
    return _summary(run)


def _user_id(uow: UnitOfWork, username: str) -> int | None:
    try:
        return accounts.get_user(uow, username).id
    except NotFound:
        return None


def _record(
    uow: UnitOfWork,
    service_key: str,
    prepared: PreparedRun,
    pipeline: Pipeline,
    *,
    trigger: Trigger,
    triggered_by: str | None = None,
    problems: list[Problem] | None = None,
    rollback_of: int | None = None,
    only_environment: str | None = None,
    artifacts_from: int | None = None,
) -> models.PipelineRun:
    now = uow.clock.now()
    who = triggered_by or uow.actor.name
    run = models.PipelineRun(
        service_id=catalog.service_id(uow, service_key),
        service_key=service_key,
        status=Status.QUEUED,
        trigger=trigger,
        source=prepared.source,
        ref=prepared.ref,
        commit_sha=prepared.sha,
        version=prepared.version,
        commit_message=prepared.message,
        triggered_by=who,
        triggered_by_user_id=uow.actor.user_id if triggered_by is None else _user_id(uow, who),
        rollback_of_deployment_id=rollback_of,
        artifacts_from_run_id=artifacts_from,
        created_at=now,
    )
    uow.session.add(run)
    uow.session.flush()
    _record_changes(uow, run, prepared)
    if problems:
        run.status = Status.FAILED
        run.error = f"{PIPELINE_PATH} is invalid; nothing ran:\n" + "\n".join(str(p) for p in problems)
        run.started_at = run.finished_at = now
    else:
        orchestration.build(uow, run, pipeline, only_environment=only_environment)
        orchestration.advance(uow, run)
    record_audit(
        uow,
        "pipeline.run",
        "pipeline_run",
        run.id,
        after={"service": service_key, "trigger": str(trigger), "commit": prepared.sha, "ref": prepared.ref},
    )
    return run


def _record_changes(uow: UnitOfWork, run: models.PipelineRun, prepared: PreparedRun) -> None:
    """Every commit the run contains becomes a change of the service (once), with its work item keys."""
    if not prepared.commits:
        return
    shas = [c.sha for c in prepared.commits]
    existing = {
        row.sha: row
        for row in uow.session.scalars(
            select(models.Change).where(models.Change.service_id == run.service_id, models.Change.sha.in_(shas))
        )
    }
    now = uow.clock.now()
    for commit in prepared.commits:
        row = existing.get(commit.sha)
        if row is None:
            row = new_change(uow, run.service_id, commit, subject=commit.subject, merged_at=None, seen_at=now)
        if prepared.on_default_branch and row.merged_at is None:
            row.merged_at = now  # first seen on the default branch: merged (lead time's middle mark)
        uow.session.add(models.RunChange(run_id=run.id, change_id=row.id))
    uow.session.flush()


def start_rollback(
    uow: UnitOfWork,
    config: DeliveryConfig,
    target: models.Deployment,
    current: models.Deployment | None,
) -> models.PipelineRun:
    """A new run that deploys an earlier deployment's version again (its deploy stage only)."""
    original = uow.session.get(models.PipelineRun, target.run_id)
    assert original is not None
    source = build_source(uow, config, target.service_key, original.source) or original.source
    prepared = prepare(config, source, original.ref, sha=target.commit_sha)
    try:
        pipeline = parse_pipeline(prepared.pipeline_text or "")
    except PipelineInvalid as exc:
        raise _invalid(exc.problems) from None
    if not any(stage.environment == target.environment for stage in pipeline.stages):
        raise Conflict(
            f"the pipeline at {target.commit_sha[:12]} has no deploy stage for {target.environment!r}",
            rule="rollback-needs-deploy-stage",
        )
    return _record(
        uow,
        target.service_key,
        prepared,
        pipeline,
        trigger=Trigger.ROLLBACK,
        rollback_of=current.id if current is not None else target.id,
        only_environment=target.environment,
        artifacts_from=original.id,
    )


# --- reading ------------------------------------------------------------------------------------------


def list_runs(uow: UnitOfWork, filters: RunFilter, page: PageRequest) -> Page[RunSummary]:
    return newest_first(uow, models.PipelineRun, page, _summary, service=filters.service, status=filters.status)


def run_row(uow: UnitOfWork, run_id: int) -> models.PipelineRun:
    run = by_id(uow.session, models.PipelineRun, run_id)
    if run is None:
        raise NotFound(f"there is no pipeline run {run_id}")
    return run


def get_run(uow: UnitOfWork, run_id: int) -> Run:
    require(uow.actor, Permission.READ)
    run = run_row(uow, run_id)
    steps = orchestration.steps_of(uow, run.id)
    deployments = {
        d.stage_id: d.id
        for d in uow.session.scalars(select(models.Deployment).where(models.Deployment.run_id == run.id))
    }
    stages = [
        Stage(
            id=stage.id,
            name=stage.name,
            position=stage.position,
            status=Status(stage.status),
            environment=stage.environment,
            deployment_id=deployments.get(stage.id),
            started_at=stage.started_at,
            finished_at=stage.finished_at,
            steps=[Step.model_validate(s) for s in steps if s.stage_id == stage.id],
        )
        for stage in orchestration.stages_of(uow, run.id)
    ]
    changes = uow.session.scalars(
        select(models.Change)
        .join(models.RunChange, models.RunChange.change_id == models.Change.id)
        .where(models.RunChange.run_id == run.id)
        .order_by(models.Change.committed_at.desc())
        .limit(50)
    )
    summary = _summary(run)
    return Run(
        **summary.model_dump(),
        source=run.source,
        external_id=run.external_id,
        url=run.url,
        stages=stages,
        changes=[ChangeOut.model_validate(c) for c in changes],
    )


def _summary(run: models.PipelineRun) -> RunSummary:
    return RunSummary.model_validate(run)


def _step_row(uow: UnitOfWork, run_id: int, step_id: int) -> models.StepRun:
    step = by_id(uow.session, models.StepRun, step_id)
    if step is None or step.run_id != run_id:
        raise NotFound(f"run {run_id} has no step {step_id}")
    return step


def step_log(uow: UnitOfWork, run_id: int, step_id: int, *, cursor: int = 0, attempt: int | None = None) -> StepLogPage:
    """Chunks after `cursor` (a sequence number; 0 = from the start) of the step's latest (or given) attempt."""
    require(uow.actor, Permission.READ)
    step = _step_row(uow, run_id, step_id)
    shown = attempt or step.attempt
    rows = uow.session.scalars(
        select(models.StepLog)
        .where(models.StepLog.step_id == step.id, models.StepLog.attempt == shown, models.StepLog.seq > cursor)
        .order_by(models.StepLog.seq)
        .limit(LOG_PAGE_CHUNKS)
    ).all()
    chunks = [LogChunk(seq=r.seq, text=r.text, at=r.at) for r in rows]
    next_cursor = chunks[-1].seq if chunks else cursor
    status = Status(step.status)
    complete = (status.finished or shown < step.attempt) and len(rows) < LOG_PAGE_CHUNKS
    return StepLogPage(
        step_id=step.id, attempt=shown, chunks=chunks, cursor=next_cursor, complete=complete, status=status
    )


# --- changing runs --------------------------------------------------------------------------------------


def require_run_owner(uow: UnitOfWork, service_key: str) -> None:
    """Runs (start, cancel, retry): the service's owning team, or the platform role (admin always)."""
    what = f"the pipeline runs of {service_key}"
    catalog.require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])


def cancel_run(uow: UnitOfWork, run_id: int) -> Run:
    require_run_owner(uow, run_row(uow, run_id).service_key)
    run = orchestration.lock_run(uow, run_id)
    if run.origin != models.FACTORY:
        raise Conflict(f"run {run_id} runs in {run.origin}: cancel it there", rule="outside-run")
    if Status(run.status).finished:
        raise Conflict(f"run {run_id} already ended ({run.status})", rule="run-finished")
    orchestration.cancel(uow, run, f"cancelled by {uow.actor.name}")
    record_audit(uow, "pipeline.cancel", "pipeline_run", run.id, after={"status": run.status})
    return get_run(uow, run_id)


def retry_step(uow: UnitOfWork, run_id: int, step_id: int) -> Run:
    require_run_owner(uow, run_row(uow, run_id).service_key)
    run = orchestration.lock_run(uow, run_id)
    step = _step_row(uow, run_id, step_id)
    if step.status not in (Status.FAILED, Status.TIMED_OUT, Status.CANCELLED):
        raise Conflict(f"step {step.name!r} is {step.status}; only a failed step can be retried", rule="retry-failed")
    if not Status(run.status).finished:
        raise Conflict(f"run {run_id} is still {run.status}; retry once it ended", rule="retry-after-end")
    orchestration.retry(uow, run, step)
    record_audit(uow, "pipeline.retry", "step_run", step.id, after={"run": run.id, "attempt": step.attempt})
    return get_run(uow, run_id)
