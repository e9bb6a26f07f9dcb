"""One-step onboarding: everything made in one go, or nothing at all."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime, prepare_platform
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.platform import runner
from digital_factory.platform import service as platform
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.schemas import JobStatus, OnboardingRequest, StepStatus
from digital_factory.releases import service as releases
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.teams import service as teams
from tests.factories import actor_of, make_user
from tests.platform.support import git, onboard


def test_onboarding_makes_everything_a_team_needs(runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "erin", Role.TEAM)
    events: list[PushReceived] = []
    runtime.store.bus.subscribe(PushReceived, events.append)
    progress: list[tuple[str, StepStatus, str]] = []
    result = onboard(
        runtime,
        actor_of(runtime, "pia"),
        progress=progress,
        members=["erin"],
        feature_key="FEAT-3",
        epic_key="EPIC-1",
        answers={"http_port": "8080", "python_version": "3.12"},
    )

    finished = [(name, status) for name, status, _ in progress if status != StepStatus.RUNNING]
    assert finished == [
        ("team", StepStatus.DONE),
        ("platform", StepStatus.SKIPPED),  # no platform team in this story
        ("render", StepStatus.DONE),
        ("repository", StepStatus.DONE),
        ("service", StepStatus.DONE),
        ("environments", StepStatus.DONE),
        ("flags", StepStatus.DONE),
        ("ingestion", StepStatus.DONE),
        ("work", StepStatus.DONE),
        ("pipeline", StepStatus.DONE),
    ]
    reader = actor_of(runtime, "erin")
    with runtime.store.unit_of_work(reader, write=False) as uow:
        team = teams.get_team(uow, "engines")
        service = catalog.get_service(uow, "engine-control")
        repository = repos.get_repository(uow, "engine-control")
        key_owner = catalog.resolve_ingestion_key(uow, runtime.digester, result.ingestion_key or "")
        entries = list_audit_entries(uow, AuditFilter(action="team.onboard"), PageRequest())
    assert (team.name, [m.username for m in team.members]) == ("Engines", ["erin"])
    assert (service.owner_team, service.template, service.template_version) == ("engines", "python-service", "v1.0.0")
    assert service.repository_url == result.clone_url == "http://testserver/git/engine-control.git"
    assert [(e.name, [str(r) for r in e.approval_roles]) for e in service.environments] == [
        ("dev", []),
        ("staging", []),
        ("prod", ["team", "admin"]),
    ]
    assert [(w.kind, w.key) for w in service.serves] == [("feature", "FEAT-3"), ("epic", "EPIC-1")]
    assert (repository.owner_team, repository.service_key) == ("engines", "engine-control")
    assert key_owner == "engine-control" and result.ingestion_key and result.ingestion_key.startswith("dfik_")
    assert entries.items[0].object_id == "engine-control" and entries.items[0].after is not None

    clone = tmp_path / "clone"
    git("clone", str(runtime.repo_host.path("engine-control")), str(clone))
    assert git("log", "--format=%H", cwd=clone).stdout.split() == [result.commit]
    answers = (clone / ".copier-answers.yml").read_text()
    assert "_commit: v1.0.0" in answers and "http_port: 8080" in answers and "python_version: '3.12'" in answers
    assert "engine_control" in (clone / "src" / "engine_control" / "app.py").read_text()
    assert "stages:" in (clone / ".factory" / "pipeline.yml").read_text()
    assert [(e.repository_key, e.ref, e.after) for e in events] == [
        ("engine-control", "refs/heads/main", result.commit)
    ]


def test_a_failing_step_leaves_nothing_half_made(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    prepare_platform(runtime)

    def flag_store_down(*_: object) -> object:
        raise Conflict("the flag store is down", rule="test")

    monkeypatch.setattr(releases, "ensure_client_keys", flag_store_down)
    board = JobBoard()
    pia = actor_of(runtime, "pia")
    data = OnboardingRequest(team_key="engines", team_name="Engines", service_key="engine-control", service_name="EC")
    job_id = board.create("onboarding", "pia", "test", platform.ONBOARDING_STEPS)
    runner.run_onboarding(runtime.store, runtime.platform, board, actor=pia, data=data, job_id=job_id)

    job = board.get(job_id, viewer="pia")
    assert job.status == JobStatus.FAILED and job.error == "the flag store is down"
    statuses = {s.name: s.status for s in job.steps}
    assert statuses["repository"] == StepStatus.DONE and statuses["flags"] == StepStatus.FAILED
    assert statuses["ingestion"] == StepStatus.PENDING
    assert not runtime.repo_host.path("engine-control").exists()
    with runtime.store.unit_of_work(pia, write=False) as uow:
        with pytest.raises(NotFound):
            teams.get_team(uow, "engines")
        with pytest.raises(NotFound):
            catalog.get_service(uow, "engine-control")
        with pytest.raises(NotFound):
            repos.get_repository(uow, "engine-control")
        record = platform.get_onboarding(uow, job_id)
        failures = list_audit_entries(uow, AuditFilter(action="team.onboard"), PageRequest())
    assert record.status == "failed" and record.error == "the flag store is down"
    assert [(e.outcome, e.object_id) for e in failures.items] == [("failure", "engine-control")]


def test_bad_requests_are_refused_before_any_work(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "tom", Role.TEAM)
    prepare_platform(runtime)
    onboard(runtime, actor_of(runtime, "pia"))
    cases = [
        ({"service_key": "engine-control"}, Conflict, "already exists"),
        ({"service_key": "other", "team_key": "newteam", "team_name": ""}, ValidationFailed, "team_name"),
        ({"service_key": "other", "feature_key": "EPIC-1"}, ValidationFailed, "feature_key"),
        ({"service_key": "other", "template": "nope"}, NotFound, "nope"),
        ({"service_key": "other", "answers": {"http_port": "eighty"}}, ValidationFailed, "answers.http_port"),
        ({"service_key": "other", "answers": {"python_version": "2.7"}}, ValidationFailed, "answers.python_version"),
        ({"service_key": "other", "answers": {"rm_rf": "yes"}}, ValidationFailed, "answers.rm_rf"),
    ]
    for fields, error, fragment in cases:
        with pytest.raises(error) as refused:
            onboard(runtime, actor_of(runtime, "pia"), **cast(dict[str, Any], fields))
        assert fragment in cast(DomainError, refused.value).detail, fields
    with pytest.raises(Exception, match="lacks the permission"):
        onboard(runtime, actor_of(runtime, "tom"), service_key="by-a-team")
    assert sorted(p.name for p in runtime.repo_host.root.iterdir()) == ["engine-control.git"]
    assert not list(runtime.platform.scratch_root.iterdir())


def test_the_rendered_service_passes_its_own_tests(runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    onboard(runtime, actor_of(runtime, "pia"))
    clone = tmp_path / "svc"
    git("clone", str(runtime.repo_host.path("engine-control")), str(clone))
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
