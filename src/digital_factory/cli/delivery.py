"""`factory pipeline|deployment|environment|incident|secret …` (REST clients) and `factory worker` (on the store)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors, err_console, fail

pipeline_app = typer.Typer(help="Pipelines and their runs.", no_args_is_help=True)
deployment_app = typer.Typer(help="Deployments: approve, reject, roll back.", no_args_is_help=True)
environment_app = typer.Typer(help="What runs where.", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents and the deployments that caused and restored them.", no_args_is_help=True)
secret_app = typer.Typer(help="A service's pipeline secrets (write-only).", no_args_is_help=True)
POLL_SECONDS = 0.5
FINISHED = {"passed", "failed", "cancelled", "timed_out", "skipped"}


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
    console.print(f"{path}: valid")


@pipeline_app.command("schema")
def pipeline_schema() -> None:
    """Print the JSON Schema of the pipeline file."""
    import json

    from digital_factory.delivery.service import PIPELINE_SCHEMA

    print(json.dumps(PIPELINE_SCHEMA, indent=2))


@pipeline_app.command("run")
def pipeline_run(
    service: Annotated[str, typer.Argument(help="Service key.")],
    ref: Annotated[str | None, typer.Option(help="Branch, tag or commit (default: the default branch).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream the logs until the run ends.")] = False,
) -> None:
    """Start the service's pipeline."""
    with domain_errors():
        client = ApiClient.from_environment()
        run = client.request("POST", f"/services/{service}/runs", json={"ref": ref} if ref else {})
    console.print(
        f"run [bold]{run['id']}[/] of {service} at {run['commit_sha'][:12]} ({run['version']}): {run['status']}"
    )
    if follow:
        with domain_errors():
            _follow(client, run["id"], None)


@pipeline_app.command("list")
def pipeline_list(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    status: Annotated[str | None, typer.Option(help="Only runs in this state.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 30,
) -> None:
    """List runs."""
    with domain_errors():
        page = ApiClient.from_environment().get("/runs", service=service, status=status, limit=limit)
    table = Table("run", "service", "status", "trigger", "version", "by", "commit")
    for run in page["items"]:
        table.add_row(
            str(run["id"]),
            run["service"],
            run["status"],
            run["trigger"],
            run["version"],
            run["triggered_by"],
            run["commit_message"][:50],
        )
    console.print(table)


@pipeline_app.command("show")
def pipeline_show(run_id: Annotated[int, typer.Argument(help="Run number.")]) -> None:
    """A run's stages and steps."""
    with domain_errors():
        run = ApiClient.from_environment().get(f"/runs/{run_id}")
    console.print(f"run {run['id']} of {run['service']}: [bold]{run['status']}[/] ({run['version']}, {run['trigger']})")
    if run["error"]:
        console.print(run["error"], highlight=False)
    table = Table("stage", "environment", "step", "id", "status", "attempt", "exit")
    for stage in run["stages"]:
        for step in stage["steps"]:
            table.add_row(
                stage["name"],
                stage["environment"] or "",
                step["name"],
                str(step["id"]),
                step["status"],
                str(step["attempt"]),
                "" if step["exit_code"] is None else str(step["exit_code"]),
            )
    console.print(table)


@pipeline_app.command("logs")
def pipeline_logs(
    run_id: Annotated[int, typer.Argument(help="Run number.")],
    step: Annotated[str | None, typer.Option(help="Only this step (name or id).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep streaming until the steps end.")] = False,
) -> None:
    """Print step logs (masked), optionally following them live."""
    with domain_errors():
        client = ApiClient.from_environment()
        if follow:
            _follow(client, run_id, step)
        else:
            for _stage, item in _steps(client.get(f"/runs/{run_id}"), step):
                _print_log(client, run_id, item, wait=False)


def _steps(run: dict[str, Any], only: str | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    chosen = [
        (stage, item)
        for stage in run["stages"]
        for item in stage["steps"]
        if only is None or only in {item["name"], str(item["id"])}
    ]
    if only is not None and not chosen:
        raise fail(f"run {run['id']} has no step {only!r}", 3)
    return chosen


def _print_log(client: ApiClient, run_id: int, item: dict[str, Any], *, wait: bool) -> str:
    cursor = 0
    status = item["status"]
    while True:
        page = client.get(f"/runs/{run_id}/steps/{item['id']}/log", cursor=cursor)
        for chunk in page["chunks"]:
            sys.stdout.write(chunk["text"])
        sys.stdout.flush()
        cursor, status = page["cursor"], page["status"]
        if page["complete"] or not wait or (status == "pending" and not page["chunks"]):
            return str(status)
        time.sleep(POLL_SECONDS)


def _follow(client: ApiClient, run_id: int, only: str | None) -> None:
    shown: set[int] = set()
    while True:
        run = client.get(f"/runs/{run_id}")
        progressed = False
        for stage, item in _steps(run, only):
            if item["id"] in shown or item["status"] in {"pending", "queued"}:
                continue
            err_console.print(f"── {stage['name']} / {item['name']} ──", highlight=False)
            status = _print_log(client, run_id, item, wait=True)
            err_console.print(f"── {item['name']}: {status}", highlight=False)
            shown.add(item["id"])
            progressed = True
        if run["status"] in FINISHED and not progressed:
            console.print(f"run {run_id}: [bold]{run['status']}[/]")
            if run["status"] != "passed":
                raise typer.Exit(1)
            return
        if run["status"] == "waiting" and not progressed:
            err_console.print(f"run {run_id} waits for an approval", highlight=False)
            time.sleep(POLL_SECONDS * 4)
        time.sleep(POLL_SECONDS)


@pipeline_app.command("cancel")
def pipeline_cancel(run_id: Annotated[int, typer.Argument(help="Run number.")]) -> None:
    """Cancel a run; running steps are killed with their children."""
    with domain_errors():
        run = ApiClient.from_environment().request("POST", f"/runs/{run_id}/cancel")
    console.print(f"run {run['id']}: {run['status']}")


@pipeline_app.command("retry")
def pipeline_retry(
    run_id: Annotated[int, typer.Argument(help="Run number.")],
    step: Annotated[str, typer.Argument(help="The failed step (name or id).")],
) -> None:
    """Run a failed step again; the run resumes from there."""
    with domain_errors():
        client = ApiClient.from_environment()
        _stage, item = _steps(client.get(f"/runs/{run_id}"), step)[0]
        run = client.request("POST", f"/runs/{run_id}/steps/{item['id']}/retry")
    console.print(f"run {run['id']}: {run['status']} (step {item['name']} queued again)")


# --- deployments and environments ---------------------------------------------------------------------------


@deployment_app.command("list")
def deployment_list(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    environment: Annotated[str | None, typer.Option(help="Only this environment.")] = None,
    status: Annotated[
        str | None, typer.Option(help="waiting, running, succeeded, failed, rejected, cancelled.")
    ] = None,
) -> None:
    """List deployments (newest first)."""
    with domain_errors():
        page = ApiClient.from_environment().get(
            "/deployments", service=service, environment=environment, status=status, limit=50
        )
    table = Table("id", "service", "environment", "version", "status", "approved by", "work items", "rework")
    for d in page["items"]:
        approvers = ", ".join(a["username"] for a in d["approvals"] if a["decision"] == "approved")
        table.add_row(
            str(d["id"]),
            d["service"],
            d["environment"],
            d["version"],
            d["status"],
            approvers or ("automatic" if not d["approval_roles"] else "-"),
            ", ".join(d["work_items"]),
            "yes" if d["is_rework"] else "",
        )
    console.print(table)


def _decide(deployment_id: int, decision: str, comment: str) -> None:
    with domain_errors():
        d = ApiClient.from_environment().request(
            "POST", f"/deployments/{deployment_id}/{decision}", json={"comment": comment}
        )
    console.print(f"deployment {d['id']} of {d['service']} to {d['environment']}: {d['status']}")


@deployment_app.command("approve")
def deployment_approve(
    deployment_id: Annotated[int, typer.Argument(help="Deployment id.")],
    comment: Annotated[str, typer.Option(help="Why (kept on the record).")],
) -> None:
    """Approve a waiting deployment."""
    _decide(deployment_id, "approve", comment)


@deployment_app.command("reject")
def deployment_reject(
    deployment_id: Annotated[int, typer.Argument(help="Deployment id.")],
    comment: Annotated[str, typer.Option(help="Why (kept on the record).")],
) -> None:
    """Reject a waiting deployment; its run is cancelled."""
    _decide(deployment_id, "reject", comment)


@deployment_app.command("rollback")
def deployment_rollback(
    service: Annotated[str, typer.Argument(help="Service key.")],
    environment: Annotated[str, typer.Argument(help="Environment.")],
    to: Annotated[int, typer.Option("--to", help="The earlier succeeded deployment to deploy again.")],
) -> None:
    """Roll an environment back: a new deployment of an earlier version."""
    with domain_errors():
        run = ApiClient.from_environment().request(
            "POST", f"/services/{service}/environments/{environment}/rollback", json={"to_deployment": to}
        )
    console.print(f"rollback run {run['id']} deploys {run['version']} to {environment}: {run['status']}")


@environment_app.command("status")
def environment_status(service: Annotated[str, typer.Argument(help="Service key.")]) -> None:
    """What version runs in each environment, what waits, open incidents."""
    with domain_errors():
        view = ApiClient.from_environment().get(f"/services/{service}/delivery")
    table = Table("environment", "policy", "running", "since", "waiting", "open incidents")
    for env in view["environments"]:
        policy = env["policy"]
        rule = "automatic" if not policy["approval_roles"] else f"approval: {' or '.join(policy['approval_roles'])}"
        current = env["current"]
        table.add_row(
            env["name"],
            rule,
            current["version"] if current else "-",
            (current["finished_at"] or "")[:16] if current else "",
            ", ".join(f"#{d['id']} {d['version']}" for d in env["waiting"]),
            ", ".join(i["key"] for i in env["open_incidents"]),
        )
    console.print(table)


# --- incidents --------------------------------------------------------------------------------------------


@incident_app.command("open")
def incident_open(
    service: Annotated[str, typer.Argument(help="Service key.")],
    environment: Annotated[str, typer.Argument(help="Environment.")],
    title: Annotated[str, typer.Option(help="What is wrong.")],
    severity: Annotated[str, typer.Option(help="sev1 … sev4.")] = "sev2",
    deployment: Annotated[int | None, typer.Option(help="The deployment that caused it, if known.")] = None,
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
    with domain_errors():
        incident = ApiClient.from_environment().request("POST", "/incidents", json=body)
    cause = incident["caused_by_deployment_id"]
    how = f"caused by deployment {cause} ({incident['cause_link']})" if cause else "no deployment linked"
    console.print(f"opened [bold]{incident['key']}[/]: {how}")


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
        incident = ApiClient.from_environment().request("POST", f"/incidents/{key}/resolve", json=body)
    console.print(f"resolved {incident['key']}")


@incident_app.command("list")
def incident_list(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    status: Annotated[str | None, typer.Option(help="open or resolved.")] = None,
) -> None:
    """List incidents."""
    with domain_errors():
        page = ApiClient.from_environment().get("/incidents", service=service, status=status, limit=100)
    table = Table("key", "service", "environment", "severity", "status", "title", "caused by", "restored by")
    for i in page["items"]:
        table.add_row(
            i["key"],
            i["service"],
            i["environment"],
            i["severity"],
            i["status"],
            i["title"],
            str(i["caused_by_deployment_id"] or "-"),
            str(i["restored_by_deployment_id"] or "-"),
        )
    console.print(table)


# --- secrets ----------------------------------------------------------------------------------------------


@secret_app.command("set")
def secret_set(
    service: Annotated[str, typer.Argument(help="Service key.")],
    name: Annotated[str, typer.Argument(help="Name, e.g. DEPLOY_TOKEN.")],
    environment: Annotated[str | None, typer.Option(help="Only for this environment's deploy stage.")] = None,
) -> None:
    """Set a secret; the value is read from standard input (never from the command line)."""
    value = sys.stdin.readline().rstrip("\n")
    body: dict[str, Any] = {"value": value}
    if environment:
        body["environment"] = environment
    with domain_errors():
        info = ApiClient.from_environment().request("PUT", f"/services/{service}/secrets/{name}", json=body)
    console.print(f"secret {info['name']} set{' for ' + info['environment'] if info['environment'] else ''}")


@secret_app.command("list")
def secret_list(service: Annotated[str, typer.Argument(help="Service key.")]) -> None:
    """Names of a service's secrets (values are never shown)."""
    with domain_errors():
        items = ApiClient.from_environment().get(f"/services/{service}/secrets")
    table = Table("name", "environment", "updated", "by")
    for s in items:
        table.add_row(s["name"], s["environment"] or "(all)", s["updated_at"][:16], s["updated_by"])
    console.print(table)


@secret_app.command("delete")
def secret_delete(
    service: Annotated[str, typer.Argument(help="Service key.")],
    name: Annotated[str, typer.Argument(help="Secret name.")],
    environment: Annotated[str | None, typer.Option(help="The environment it is scoped to.")] = None,
) -> None:
    """Delete a secret."""
    with domain_errors():
        ApiClient.from_environment().request(
            "DELETE", f"/services/{service}/secrets/{name}", params={"environment": environment} if environment else {}
        )
    console.print(f"secret {name} deleted")
