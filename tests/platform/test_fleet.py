"""Template v2 (a new file, a changed pipeline) rolled out to three services: clean ones upgraded on a
branch; one with a conflicting local edit reported and left untouched; merging records the version."""

from __future__ import annotations

from pathlib import Path

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.platform import runner
from digital_factory.platform import service as platform
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.schemas import JobStatus, StepStatus, UpgradeRequest
from digital_factory.repos import service as repos
from tests.factories import actor_of, make_user
from tests.platform.support import git, onboard

NEW_COMPILE = "        run: python -m compileall -q -j 0 src tests\n"


def release_v2(runtime: Runtime, tmp_path: Path) -> None:
    """What a platform engineer does: change the built-in template and tag v2.0.0."""
    bare = runtime.platform.template_dir("python-service")
    work = tmp_path / "template-v2"
    git("clone", str(bare), str(work))
    (work / "CODEOWNERS.jinja").write_text("* @{{ team_key }}\n")
    pipeline = work / ".factory" / "pipeline.yml.jinja"
    text = pipeline.read_text().replace("        run: python -m compileall -q src tests\n", NEW_COMPILE)
    pipeline.write_text(text + "  - name: scan\n    steps:\n      - name: audit\n        run: python -m pip check\n")
    git("add", "-A", cwd=work)
    git("commit", "-m", "v2: code owners, parallel compile, dependency check", cwd=work)
    git("tag", "v2.0.0", cwd=work)
    git("push", "origin", "main", "v2.0.0", cwd=work)


def local_edit(runtime: Runtime, key: str, tmp_path: Path) -> str:
    """The team changes the very line v2 changes, and pushes it to main."""
    work = tmp_path / f"edit-{key}"
    git("clone", str(runtime.repo_host.path(key)), str(work))
    pipeline = work / ".factory" / "pipeline.yml"
    pipeline.write_text(pipeline.read_text().replace("python -m compileall -q src tests", "make compile"))
    git("commit", "-am", "Our own compile step", cwd=work)
    git("push", "origin", "main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).stdout.strip()


def branches(runtime: Runtime, key: str) -> dict[str, str]:
    out = git("--git-dir", str(runtime.repo_host.path(key)), "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split() for line in out.stdout.splitlines())


def test_v2_rollout_upgrades_clean_services_and_reports_the_conflict(runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    pia = actor_of(runtime, "pia")
    onboard(runtime, pia, service_key="alpha", service_name="Alpha")
    onboard(runtime, pia, service_key="bravo", service_name="Bravo")
    onboard(runtime, pia, service_key="charlie", service_name="Charlie")
    release_v2(runtime, tmp_path)
    with runtime.store.unit_of_work(pia) as uow:
        assert platform.refresh_template(uow, runtime.platform, "python-service").latest_version == "v2.0.0"
    edited_head = local_edit(runtime, "charlie", tmp_path)
    with runtime.store.unit_of_work(pia, write=False) as uow:
        fleet = platform.fleet(uow)
    assert [(e.service, e.version, e.latest_version, e.behind) for e in fleet] == [
        ("alpha", "v1.0.0", "v2.0.0", True),
        ("bravo", "v1.0.0", "v2.0.0", True),
        ("charlie", "v1.0.0", "v2.0.0", True),
    ]

    board = JobBoard()
    job_id = runner.start_upgrades(
        runtime.store, runtime.platform, board, lambda name, job: job(), actor=pia, data=UpgradeRequest(all=True)
    )
    job = board.get(job_id, viewer="pia")
    assert job.status == JobStatus.SUCCEEDED
    assert [(s.name, s.status) for s in job.steps] == [
        ("alpha", StepStatus.DONE),
        ("bravo", StepStatus.DONE),
        ("charlie", StepStatus.FAILED),
    ]
    upgrades = {u["service"]: u for u in (job.result or {})["upgrades"]}
    assert upgrades["charlie"]["status"] == "conflict"
    assert upgrades["charlie"]["conflicts"] == [".factory/pipeline.yml"]

    for key in ("alpha", "bravo"):
        refs = branches(runtime, key)
        assert "refs/heads/template-upgrade/v2.0.0" in refs
        check = tmp_path / f"check-{key}"
        git("clone", "--branch", "template-upgrade/v2.0.0", str(runtime.repo_host.path(key)), str(check))
        assert (check / "CODEOWNERS").read_text() == "* @engines\n"
        pipeline = (check / ".factory" / "pipeline.yml").read_text()
        assert NEW_COMPILE in pipeline and "pip check" in pipeline and "<<<<<<<" not in pipeline
        assert "_commit: v2.0.0" in (check / ".copier-answers.yml").read_text()
    charlie = branches(runtime, "charlie")
    assert not any(ref.startswith("refs/heads/template-upgrade/") for ref in charlie)
    assert charlie["refs/heads/main"] == edited_head

    # the team merges alpha's upgrade: the push to main records the new version in the fleet
    merge = tmp_path / "merge-alpha"
    before = branches(runtime, "alpha")["refs/heads/main"]
    git("clone", str(runtime.repo_host.path("alpha")), str(merge))
    git("merge", "--ff-only", "origin/template-upgrade/v2.0.0", cwd=merge)
    head = git("rev-parse", "HEAD", cwd=merge).stdout.strip()
    git("push", "origin", "main", cwd=merge)
    with runtime.store.unit_of_work(pia) as uow:  # what the git HTTP route records after a push
        repos.record_push(uow, runtime.repo_host, "alpha", [("refs/heads/main", before, head)], pusher="pia")
    with runtime.store.unit_of_work(pia, write=False) as uow:
        after = {
            e.service: (e.version, e.behind, e.last_upgrade.status if e.last_upgrade else None)
            for e in platform.fleet(uow)
        }
    assert after == {
        "alpha": ("v2.0.0", False, "upgraded"),
        "bravo": ("v1.0.0", True, "upgraded"),
        "charlie": ("v1.0.0", True, "conflict"),
    }
