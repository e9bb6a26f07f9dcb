"""A manual run of a hosted repository reads it in place (no clone over the server's own HTTP), and the
scorecard judges the real facts: a green run, a run waiting at an approval, a failed run, no run."""

from __future__ import annotations

from pathlib import Path

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter, RunRequest, Status
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import RuleStatus, Scorecard
from tests.delivery.gitrepo import finished, wait_for, waiting
from tests.factories import actor_of, make_user
from tests.platform.support import git, onboard

FAILING_PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: package
        run: echo "this build breaks" && exit 3
"""


def _card(runtime: Runtime, service: str) -> dict[str, tuple[RuleStatus, str]]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        report = platform.scorecard_report(uow, runtime.platform)
    card: Scorecard = next(c for c in report.scorecards if c.service == service)
    return {r.rule: (r.status, r.detail) for r in card.results}


def _onboarded(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "erin", Role.TEAM)
    onboard(runtime, actor_of(runtime, "pia"), members=["erin"])


def _manual_run(runtime: Runtime, who: str = "erin") -> int:
    with runtime.store.unit_of_work(actor_of(runtime, who)) as uow:
        return delivery.start_run(uow, runtime.delivery, "engine-control", RunRequest()).id


def test_a_manual_run_of_a_hosted_repository_goes_green_to_the_prod_approval(runtime: Runtime) -> None:
    _onboarded(runtime)
    run = wait_for(runtime, _manual_run(runtime), waiting)
    assert run.trigger == "manual" and run.triggered_by == "erin"
    assert [(s.name, s.status) for s in run.stages][-2:] == [("deploy-staging", "passed"), ("deploy-prod", "waiting")]
    assert run.source == str(runtime.repo_host.git_dir("engine-control"))  # read in place, no URL, no credential
    card = _card(runtime, "engine-control")
    assert card["last-run-green"] == (RuleStatus.PASS, "the last run succeeded")
    assert card["pipeline-defined"][0] == RuleStatus.PASS
    assert card["has-pipeline"][0] == RuleStatus.PASS


def test_a_failed_run_is_red_on_the_scorecard(runtime: Runtime, tmp_path: Path) -> None:
    _onboarded(runtime)
    wait_for(runtime, _manual_run(runtime), waiting)
    bare = runtime.repo_host.git_dir("engine-control")
    work = tmp_path / "work"
    git("clone", "--quiet", str(bare), str(work), cwd=tmp_path)
    (work / ".factory" / "pipeline.yml").write_text(FAILING_PIPELINE)
    git("commit", "--quiet", "-am", "Break the build", cwd=work)
    git("push", "--quiet", "origin", "HEAD:main", cwd=work)  # straight to disk: no push record, no run

    run = wait_for(runtime, _manual_run(runtime), finished)
    assert run.status == Status.FAILED and run.commit_message == "Break the build"
    assert _card(runtime, "engine-control")["last-run-green"] == (RuleStatus.FAIL, "the last run failed")


def test_a_service_without_runs_or_repository_is_not_called_failed(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.register_service(uow, ServiceCreate(key="battery-management", name="Battery management"))
        catalog.register_service(
            uow, ServiceCreate(key="far-away", name="Far away", repository_url="https://git.example.com/far.git")
        )
    card = _card(runtime, "battery-management")
    assert card["last-run-green"] == (RuleStatus.UNKNOWN, "no finished run yet")
    assert card["pipeline-defined"][0] == RuleStatus.FAIL
    far = _card(runtime, "far-away")
    assert far["pipeline-defined"][0] == RuleStatus.UNKNOWN  # registered by URL, not fetched, no run yet
    assert far["last-run-green"][0] == RuleStatus.UNKNOWN


def _onboarding_run(runtime: Runtime) -> int:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        runs = delivery.list_runs(uow, RunFilter(service="engine-control"), PageRequest()).items
    return min(run.id for run in runs)


def test_a_running_run_does_not_hide_the_verdict_of_the_one_before(runtime: Runtime) -> None:
    _onboarded(runtime)
    wait_for(runtime, _onboarding_run(runtime), waiting)  # the push run goes on beside the manual one
    first = wait_for(runtime, _manual_run(runtime), waiting)
    with runtime.store.unit_of_work(actor_of(runtime, "erin")) as uow:
        delivery.cancel_run(uow, first.id)
    assert _card(runtime, "engine-control")["last-run-green"][0] == RuleStatus.PASS  # the onboarding push run
