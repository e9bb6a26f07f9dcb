"""The template fleet: which services run which template version, upgrading them, and noticing a merged
upgrade.

Upgrades do their git work first (`perform_upgrade`, no store access), then record the outcome
(`record_upgrade`): the runner keeps the git work outside a write transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceProvenance
from digital_factory.core.errors import Conflict, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.platform import models, safety, sandbox, templates
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.registry import latest_versions, template_row
from digital_factory.platform.schemas import (
    FleetEntry,
    FleetFilter,
    FleetPage,
    Template,
    UpgradeRecord,
    UpgradeStatus,
)
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.store.uow import UnitOfWork

ANSWERS_FILE = ".copier-answers.yml"
UPGRADE_BRANCH_PREFIX = "template-upgrade/"
CONFLICT_MARKER = re.compile(rb"^<<<<<<< ", re.MULTILINE)
CONFLICT_STATES = frozenset({"UU", "AA", "DU", "UD", "AU", "UA", "DD"})
UPGRADE_FIELDS = tuple(name for name in UpgradeRecord.model_fields if name not in {"service", "template"})


def fleet(uow: UnitOfWork) -> list[FleetEntry]:
    """Every service made from a template: the version it is on, the newest, its last upgrade."""
    require(uow.actor, Permission.READ)
    latest = latest_versions(uow)
    provenance = sorted(catalog.service_templates(uow).items())
    return _entries(uow, provenance, latest)


def fleet_page(uow: UnitOfWork, filters: FleetFilter, page: PageRequest) -> FleetPage:
    """A page of the fleet (by service key), narrowed by template and to the services behind. Every
    service's template and version is one light query (whether one is behind is a version comparison);
    the page's owners and last upgrades are read for its services only: a fixed number of queries."""
    require(uow.actor, Permission.READ)
    latest = latest_versions(uow)
    provenance = sorted(catalog.service_templates(uow).items())
    behind = {key for key, known in provenance if _is_behind(latest.get(known.template), known.version)}
    matching = [
        (key, known)
        for key, known in provenance
        if (filters.template is None or known.template == filters.template) and (not filters.behind or key in behind)
    ]
    return FleetPage(
        entries=_entries(uow, matching[page.offset : page.offset + page.limit], latest),
        total=len(matching),
        limit=page.limit,
        offset=page.offset,
        services=len(provenance),
        behind=len(behind),
        templates=sorted({known.template for _, known in provenance}),
    )


def _is_behind(newest: str | None, version: str) -> bool:
    return bool(newest and templates.is_newer(newest, version))


def _entries(
    uow: UnitOfWork, provenance: list[tuple[str, ServiceProvenance]], latest: dict[str, str | None]
) -> list[FleetEntry]:
    """Fleet entries of these services: their owners and last upgrades in one query each."""
    keys = [key for key, _ in provenance]
    refs = catalog.service_refs_by_key(uow, keys)
    last = _last_upgrades(uow, keys)
    return [
        FleetEntry(
            service=key,
            owner_team=refs[key].owner_team if key in refs else None,
            template=known.template,
            version=known.version,
            latest_version=latest.get(known.template),
            behind=_is_behind(latest.get(known.template), known.version),
            last_upgrade=last.get(key),
        )
        for key, known in provenance
    ]


def _last_upgrades(uow: UnitOfWork, keys: list[str]) -> dict[str, UpgradeRecord]:
    if not keys:
        return {}
    upgrade = models.Upgrade
    newest_ids = select(func.max(upgrade.id)).where(upgrade.service_key.in_(keys)).group_by(upgrade.service_key)
    rows = uow.session.scalars(select(upgrade).where(upgrade.id.in_(newest_ids)))
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
        template = Template.model_validate(template_row(uow, entry.template))
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

    @classmethod
    def nothing_pushed(cls, status: UpgradeStatus, detail: str, conflicts: list[str] | None = None) -> UpgradeOutcome:
        return cls(status, None, None, repos.ZERO_SHA, conflicts or [], detail)


def perform_upgrade(ctx: PlatformContext, plan: UpgradePlan) -> UpgradeOutcome:
    """`copier update` on a branch of a fresh clone; the branch is pushed only when the update is
    clean. Conflicts are reported and nothing is pushed. No store access (run it outside a write
    transaction)."""
    if not templates.is_newer(plan.to_version, plan.from_version):
        return UpgradeOutcome.nothing_pushed(UpgradeStatus.CURRENT, f"already on {plan.from_version}")
    branch = f"{UPGRADE_BRANCH_PREFIX}{plan.to_version}"
    scratch = sandbox.scratch_dir(ctx.scratch_root, f"upgrade-{plan.service}-")
    work = scratch / plan.service
    try:
        repos.run_git(["clone", "--quiet", plan.remote, str(work)], env=plan.remote_env)
        repos.run_git(["checkout", "--quiet", "-b", branch], cwd=work)
        bare = ctx.template_dir(plan.template.key)
        templates.check_version(bare, plan.to_version, trusted=plan.template.trusted)
        try:
            sandbox.run_render(
                sandbox.RenderJob("update", bare, work, plan.to_version, {}, trusted=plan.template.trusted),
                timeout=ctx.render_timeout,
                sandbox=ctx.sandbox,
            )
        except sandbox.RenderError as exc:
            return UpgradeOutcome.nothing_pushed(UpgradeStatus.FAILED, exc.reason[:1000])
        return _settle(plan, work, branch)
    except repos.GitError as exc:
        return UpgradeOutcome.nothing_pushed(UpgradeStatus.FAILED, str(exc)[:1000])
    finally:
        sandbox.remove(scratch)


def _settle(plan: UpgradePlan, work: Path, branch: str) -> UpgradeOutcome:
    """After `copier update`: report conflicts (nothing pushed), or commit and push a clean branch."""
    conflicts = _conflicts(work)
    if conflicts:
        detail = f"local changes conflict with {plan.to_version} in {', '.join(conflicts)}; nothing was pushed"
        return UpgradeOutcome.nothing_pushed(UpgradeStatus.CONFLICT, detail, conflicts)
    problems = safety.rendered_problems(work)
    if problems:
        return UpgradeOutcome.nothing_pushed(UpgradeStatus.FAILED, "; ".join(problems[:5]))
    if not repos.run_git(["status", "--porcelain"], cwd=work).stdout.strip():
        return UpgradeOutcome.nothing_pushed(UpgradeStatus.CURRENT, "the update changed nothing")
    commit = repos.commit_all(work, f"Upgrade {plan.template.key} from {plan.from_version} to {plan.to_version}")
    before = _remote_ref(plan, f"refs/heads/{branch}")
    repos.run_git(
        ["push", "--quiet", "--force", plan.remote, f"HEAD:refs/heads/{branch}"], cwd=work, env=plan.remote_env
    )
    changed = repos.run_git(["diff", "--name-only", "HEAD~1", "HEAD"], cwd=work).stdout.split()
    return UpgradeOutcome(
        UpgradeStatus.UPGRADED, branch, commit, before, [], f"pushed {branch}: {', '.join(changed)}"[:1000]
    )


def _remote_ref(plan: UpgradePlan, ref: str) -> str:
    listed = repos.run_git(["ls-remote", plan.remote, ref], env=plan.remote_env).stdout.split()
    return listed[0] if listed else repos.ZERO_SHA


def _conflicts(work: Path) -> list[str]:
    """Paths git reports unmerged, plus any file that carries conflict markers or a .rej file."""
    found = set()
    for line in repos.run_git(["status", "--porcelain", "--untracked-files=all"], cwd=work).stdout.splitlines():
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
    """An upgrade as it is shown (the row names its service and template by key)."""
    copied = {name: getattr(row, name) for name in UPGRADE_FIELDS}
    return UpgradeRecord.model_validate({"service": row.service_key, "template": row.template_key, **copied})


def on_push(uow: UnitOfWork, event: PushReceived) -> None:
    """Subscribed to PushReceived: when a service's default branch moves to a commit whose answers
    file names another template version (an upgrade branch was merged), record that version."""
    if event.service_key is None or event.ref != "refs/heads/main" or event.after == repos.ZERO_SHA:
        return
    version = _answered_version(Path(event.git_dir), event.after)
    if version is None:
        return
    known = catalog.service_templates(uow).get(event.service_key)
    if known is not None and known.version != version and templates.version_key(version) is not None:
        catalog.set_service_template(uow, event.service_key, known.template, version)


def _answered_version(git_dir: Path, commit: str) -> str | None:
    """The template version (`_commit`) in a commit's answers file, if any."""
    content = repos.show_file(git_dir, commit, ANSWERS_FILE)
    try:
        answers = yaml.safe_load(content) if content is not None else None
    except yaml.YAMLError:
        answers = None
    version = answers.get("_commit") if isinstance(answers, dict) else None
    return version if isinstance(version, str) else None
