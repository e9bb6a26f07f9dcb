"""`factory pipeline|deployment|environment|incident|secret …` (REST clients) and `factory worker` (on the store)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from digital_factory.catalog.schemas import Environment
from digital_factory.cli.client import ApiClient, api, segment
from digital_factory.cli.options import NewestFirst, OnlyService
from digital_factory.cli.output import domain_errors, err_console, fail, literal, print_table, say
from digital_factory.core.pagination import Page
from digital_factory.delivery.schemas import (
    Deployment,
    Incident,
    Run,
    RunSummary,
    SecretInfo,
    ServiceDelivery,
    Stage,
    Status,
    Step,
    StepLogPage,
)

pipeline_app = typer.Typer(help="Pipelines and their runs.", no_args_is_help=True)
deployment_app = typer.Typer(help="Deployments: approve, reject, roll back.", no_args_is_help=True)
environment_app = typer.Typer(help="What runs where.", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents and the deployments that caused and restored them.", no_args_is_help=True)
secret_app = typer.Typer(help="A service's pipeline secrets (write-only).", no_args_is_help=True)
POLL_SECONDS = 0.5
ServiceKey = Annotated[str, typer.Argument(help="Service key.")]
EnvironmentName = Annotated[str, typer.Argument(help="Environment.")]
RunNumber = Annotated[int, typer.Argument(help="Run number.")]


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")
    app.add_typer(deployment_app, name="deployment")
    app.add_typer(environment_app, name="environment")
    app.add_typer(incident_app, name="incident")
    app.add_typer(secret_app, name="secret")
    app.command("worker")(worker)


# --- worker -----------------------------------------------------------------------------------------------


def worker() -> None:
    """Run a distributed pipeline worker (Dramatiq on FACTORY_REDIS_URL, state in the store) until stopped."""
    from digital_factory.cli import logs
    from digital_factory.cli.config import load_settings
    from digital_factory.store import schema
    from digital_factory.store.engine import make_engine
    from digital_factory.workers.pipelines import run_worker

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    if not settings.redis_url:
        raise fail("set FACTORY_REDIS_URL to the Redis the server sends steps to (redis://host:6379/0)", 2)
    engine = make_engine(settings.effective_database_url)
    with domain_errors():
        state = schema.schema_state(engine)
    engine.dispose()
    if not state.up_to_date:
        raise fail(f"the store is at {state.current or '(empty)'}, not {state.head}: run `factory db upgrade`", 8)
    run_worker(settings, on_ready=lambda name: err_console.print(f"worker {name} ready", highlight=False))


# --- pipelines --------------------------------------------------------------------------------------------


@pipeline_app.command("lint")
def pipeline_lint(
    path: Annotated[Path, typer.Argument(help="The pipeline file.")] = Path(".factory/pipeline.yml"),
) -> None:
    """Check a pipeline file; lists every problem with its line (exit 2 when there is any)."""
    from digital_factory.delivery.service import lint_pipeline_text as lint

    try:
        text = path.read_text()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}", 2) from None
    problems = lint(text)
    for problem in problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        message = f"{where}: {problem.path + ': ' if problem.path else ''}{problem.message}"
        err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(2)
    say(f"{path}: valid")


@pipeline_app.command("schema")
def pipeline_schema() -> None:
    """Print the JSON Schema of the pipeline file."""
    import json

    from digital_factory.delivery.service import PIPELINE_SCHEMA

    print(json.dumps(PIPELINE_SCHEMA, indent=2))


@pipeline_app.command("run")
def pipeline_run(
    service: ServiceKey,
    ref: Annotated[str | None, typer.Option(help="Branch, tag or commit (default: the default branch).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream the logs until the run ends.")] = False,
) -> None:
    """Start the service's pipeline."""
    with domain_errors():
        client = api()
        run: Run = client.send(Run, "POST", f"/services/{segment(service)}/runs", json={"ref": ref} if ref else {})
    say(
        Text.assemble(
            "run ", (str(run.id), "bold"), f" of {service} at {run.commit_sha[:12]} ({run.version}): {run.status}"
        )
    )
    if follow:
        with domain_errors():
            _follow(client, run.id, None)


@pipeline_app.command("list")
def pipeline_list(
    service: OnlyService = None,
    status: Annotated[str | None, typer.Option(help="Only runs in this state.")] = None,
    limit: NewestFirst = 30,
) -> None:
    """List runs."""
    with domain_errors():
        page: Page[RunSummary] = api().read(Page[RunSummary], "/runs", service=service, status=status, limit=limit)
    print_table(
        ("run", "service", "status", "trigger", "version", "by", "commit"),
        ((r.id, r.service, r.status, r.trigger, r.version, r.triggered_by, r.commit_message[:50]) for r in page.items),
    )


@pipeline_app.command("show")
def pipeline_show(run_id: RunNumber) -> None:
    """A run's stages and steps."""
    with domain_errors():
        run: Run = api().read(Run, f"/runs/{segment(run_id)}")
    say(
        Text.assemble(f"run {run.id} of {run.service}: ", (str(run.status), "bold"), f" ({run.version}, {run.trigger})")
    )
    if run.error:
        say(run.error)
    print_table(
        ("stage", "environment", "step", "id", "status", "attempt", "exit"),
        (
            (stage.name, stage.environment or "", step.name, step.id, step.status, step.attempt, step.exit_code)
            for stage in run.stages
            for step in stage.steps
        ),
    )


@pipeline_app.command("logs")
def pipeline_logs(
    run_id: RunNumber,
    step: Annotated[str | None, typer.Option(help="Only this step (name or id).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep streaming until the steps end.")] = False,
) -> None:
    """Print step logs (masked), optionally following them live."""
    with domain_errors():
        client = api()
        if follow:
            _follow(client, run_id, step)
        else:
            for _stage, item in _steps(client.read(Run, f"/runs/{segment(run_id)}"), step):
                _print_log(client, run_id, item, wait=False)


def _steps(run: Run, only: str | None) -> list[tuple[Stage, Step]]:
    chosen = [
        (stage, item)
        for stage in run.stages
        for item in stage.steps
        if only is None or only in {item.name, str(item.id)}
    ]
    if only is not None and not chosen:
        raise fail(f"run {run.id} has no step {only!r}", 3)
    return chosen


def _print_log(client: ApiClient, run_id: int, item: Step, *, wait: bool) -> str:
    cursor = 0
    while True:
        page: StepLogPage = client.read(
            StepLogPage, f"/runs/{segment(run_id)}/steps/{segment(item.id)}/log", cursor=cursor
        )
        for chunk in page.chunks:
            sys.stdout.write(chunk.text)
        sys.stdout.flush()
        cursor = page.cursor
        if page.complete or not wait or (page.status == Status.PENDING and not page.chunks):
            return str(page.status)
        time.sleep(POLL_SECONDS)


def _follow(client: ApiClient, run_id: int, only: str | None) -> None:
    shown: set[int] = set()
    while True:
        run: Run = client.read(Run, f"/runs/{segment(run_id)}")
        progressed = False
        for stage, item in _steps(run, only):
            if item.id in shown or item.status in {Status.PENDING, Status.QUEUED}:
                continue
            err_console.print(literal(f"── {stage.name} / {item.name} ──"), highlight=False)
            status = _print_log(client, run_id, item, wait=True)
            err_console.print(literal(f"── {item.name}: {status}"), highlight=False)
            shown.add(item.id)
            progressed = True
        if run.status.finished and not progressed:
            say(Text.assemble(f"run {run_id}: ", (str(run.status), "bold")))
            if run.status != Status.PASSED:
                raise typer.Exit(1)
            return
        if run.status == Status.WAITING and not progressed:
            err_console.print(f"run {run_id} waits for an approval", highlight=False)
            time.sleep(POLL_SECONDS * 4)
        time.sleep(POLL_SECONDS)


@pipeline_app.command("cancel")
def pipeline_cancel(run_id: RunNumber) -> None:
    """Cancel a run; running steps are killed with their children."""
    with domain_errors():
        run: Run = api().send(Run, "POST", f"/runs/{segment(run_id)}/cancel")
    say(f"run {run.id}: {run.status}")


@pipeline_app.command("retry")
def pipeline_retry(
    run_id: RunNumber,
    step: Annotated[str, typer.Argument(help="The failed step (name or id).")],
) -> None:
    """Run a failed step again; the run resumes from there."""
    with domain_errors():
        client = api()
        _stage, item = _steps(client.read(Run, f"/runs/{segment(run_id)}"), step)[0]
        run: Run = client.send(Run, "POST", f"/runs/{segment(run_id)}/steps/{segment(item.id)}/retry")
    say(f"run {run.id}: {run.status} (step {item.name} queued again)")


# --- deployments and environments ---------------------------------------------------------------------------


@deployment_app.command("list")
def deployment_list(
    service: OnlyService = None,
    environment: Annotated[str | None, typer.Option(help="Only this environment.")] = None,
    status: Annotated[
        str | None, typer.Option(help="waiting, running, succeeded, failed, rejected, cancelled.")
    ] = None,
) -> None:
    """List deployments (newest first)."""
    with domain_errors():
        page: Page[Deployment] = api().read(
            Page[Deployment], "/deployments", service=service, environment=environment, status=status, limit=50
        )
    print_table(
        ("id", "service", "environment", "version", "status", "approved by", "work items", "rework"),
        (
            (
                d.id,
                d.service,
                d.environment,
                d.version,
                d.status,
                _approvers(d),
                ", ".join(d.work_items),
                "yes" if d.is_rework else "",
            )
            for d in page.items
        ),
    )


def _approvers(deployment: Deployment) -> str:
    approvers = ", ".join(a.username for a in deployment.approvals if a.decision == "approved")
    return approvers or ("automatic" if not deployment.approval_roles else "-")


DeploymentId = Annotated[int, typer.Argument(help="Deployment id.")]
Comment = Annotated[str, typer.Option(help="Why (kept on the record).")]


def _decision(decision: str) -> Callable[..., None]:
    """The command that approves or rejects (`decision`) a waiting deployment."""

    def decide(deployment_id: DeploymentId, comment: Comment) -> None:
        with domain_errors():
            d: Deployment = api().send(
                Deployment,
                "POST",
                f"/deployments/{segment(deployment_id)}/{segment(decision)}",
                json={"comment": comment},
            )
        say(f"deployment {d.id} of {d.service} to {d.environment}: {d.status}")

    return decide


deployment_app.command("approve", help="Approve a waiting deployment.")(_decision("approve"))
deployment_app.command("reject", help="Reject a waiting deployment; its run is cancelled.")(_decision("reject"))


@deployment_app.command("rollback")
def deployment_rollback(
    service: ServiceKey,
    environment: EnvironmentName,
    to: Annotated[int, typer.Option("--to", help="The earlier succeeded deployment to deploy again.")],
) -> None:
    """Roll an environment back: a new deployment of an earlier version."""
    with domain_errors():
        run: RunSummary = api().send(
            RunSummary,
            "POST",
            f"/services/{segment(service)}/environments/{segment(environment)}/rollback",
            json={"to_deployment": to},
        )
    say(f"rollback run {run.id} deploys {run.version} to {environment}: {run.status}")


@environment_app.command("status")
def environment_status(service: ServiceKey) -> None:
    """What version runs in each environment, what waits, open incidents."""
    with domain_errors():
        view: ServiceDelivery = api().read(ServiceDelivery, f"/services/{segment(service)}/delivery")
    rows = []
    for env in view.environments:
        roles = env.policy.approval_roles
        current = env.current
        rows.append(
            (
                env.name,
                "automatic" if not roles else f"approval: {' or '.join(roles)}",
                current.version if current else "-",
                current.finished_at.isoformat()[:16] if current and current.finished_at else "",
                ", ".join(f"#{d.id} {d.version}" for d in env.waiting),
                ", ".join(i.key for i in env.open_incidents),
            )
        )
    print_table(("environment", "policy", "running", "since", "waiting", "open incidents"), rows)


@environment_app.command("set-policy")
def environment_set_policy(
    service: ServiceKey,
    environment: EnvironmentName,
    role: Annotated[list[str] | None, typer.Option("--role", help="A role that approves (repeat).")] = None,
    approver: Annotated[
        list[str] | None,
        typer.Option("--approver", help="A user or team:<key> entitled to approve besides the owning team (repeat)."),
    ] = None,
    automatic: Annotated[bool, typer.Option("--automatic", help="No approval: continuous deployment.")] = False,
) -> None:
    """Who approves changes to an environment: its approval roles and approver group (owners or platform)."""
    if bool(role) == automatic:
        raise fail("name the approval roles with --role, or pass --automatic for continuous deployment", code=2)
    body = {"approval_roles": [] if automatic else role, "approvers": approver or []}
    with domain_errors():
        env: Environment = api().send(
            Environment, "PUT", f"/services/{segment(service)}/environments/{segment(environment)}", json=body
        )
    roles = " or ".join(env.approval_roles) or "nobody (automatic)"
    say(f"{env.service}/{env.name}: approval by {roles}; approver group: {', '.join(env.approvers) or 'none'}")


# --- incidents --------------------------------------------------------------------------------------------


@incident_app.command("open")
def incident_open(
    service: ServiceKey,
    environment: EnvironmentName,
    title: Annotated[str, typer.Option(help="What is wrong.")],
    severity: Annotated[str, typer.Option(help="sev1 … sev4.")] = "sev2",
    deployment: Annotated[int | None, typer.Option(help="The deployment that caused it, if known.")] = None,
    change: Annotated[
        str | None, typer.Option(help="Or the commit (sha or prefix) that caused it: its first deployment there.")
    ] = None,
    description: Annotated[str, typer.Option(help="Details.")] = "",
) -> None:
    """Open an incident."""
    body: dict[str, Any] = {
        "service": service,
        "environment": environment,
        "title": title,
        "severity": severity,
        "description": description,
    }
    if deployment is not None:
        body["caused_by_deployment"] = deployment
    if change is not None:
        body["caused_by_change"] = change
    with domain_errors():
        incident: Incident = api().send(Incident, "POST", "/incidents", json=body)
    cause = incident.caused_by_deployment_id
    how = f"caused by deployment {cause} ({incident.cause_link})" if cause else "no deployment linked"
    say(Text.assemble("opened ", (incident.key, "bold"), f": {how}"))


@incident_app.command("resolve")
def incident_resolve(
    key: Annotated[str, typer.Argument(help="Incident key, e.g. INC-3.")],
    resolution: Annotated[str, typer.Option(help="What fixed it.")],
    deployment: Annotated[int | None, typer.Option(help="The deployment that restored service.")] = None,
) -> None:
    """Resolve an incident."""
    body: dict[str, Any] = {"resolution": resolution}
    if deployment is not None:
        body["restored_by_deployment"] = deployment
    with domain_errors():
        incident: Incident = api().send(Incident, "POST", f"/incidents/{segment(key)}/resolve", json=body)
    say(f"resolved {incident.key}")


@incident_app.command("list")
def incident_list(
    service: OnlyService = None,
    status: Annotated[str | None, typer.Option(help="open or resolved.")] = None,
) -> None:
    """List incidents."""
    with domain_errors():
        page: Page[Incident] = api().read(Page[Incident], "/incidents", service=service, status=status, limit=100)
    print_table(
        ("key", "service", "environment", "severity", "status", "title", "caused by", "restored by"),
        (
            (
                i.key,
                i.service,
                i.environment,
                i.severity,
                i.status,
                i.title,
                i.caused_by_deployment_id or "-",
                i.restored_by_deployment_id or "-",
            )
            for i in page.items
        ),
    )


# --- secrets ----------------------------------------------------------------------------------------------


@secret_app.command("set")
def secret_set(
    service: ServiceKey,
    name: Annotated[str, typer.Argument(help="Name, e.g. DEPLOY_TOKEN.")],
    environment: Annotated[str | None, typer.Option(help="Only for this environment's deploy stage.")] = None,
) -> None:
    """Set a secret; the value is read from standard input (never from the command line)."""
    value = sys.stdin.readline().rstrip("\n")
    body: dict[str, Any] = {"value": value}
    if environment:
        body["environment"] = environment
    with domain_errors():
        info: SecretInfo = api().send(
            SecretInfo, "PUT", f"/services/{segment(service)}/secrets/{segment(name)}", json=body
        )
    say(f"secret {info.name} set{' for ' + info.environment if info.environment else ''}")


@secret_app.command("list")
def secret_list(service: ServiceKey) -> None:
    """Names of a service's secrets (values are never shown)."""
    with domain_errors():
        items: list[SecretInfo] = api().read(list[SecretInfo], f"/services/{segment(service)}/secrets")
    print_table(
        ("name", "environment", "updated", "by"),
        ((s.name, s.environment or "(all)", s.updated_at.isoformat()[:16], s.updated_by) for s in items),
    )


@secret_app.command("delete")
def secret_delete(
    service: ServiceKey,
    name: Annotated[str, typer.Argument(help="Secret name.")],
    environment: Annotated[str | None, typer.Option(help="The environment it is scoped to.")] = None,
) -> None:
    """Delete a secret."""
    with domain_errors():
        api().request(
            "DELETE",
            f"/services/{segment(service)}/secrets/{segment(name)}",
            params={"environment": environment} if environment else {},
        )
    say(f"secret {name} deleted")
