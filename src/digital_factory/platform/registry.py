"""Registered golden-path templates: the built-ins, templates registered from git, their versions,
questions and trust, and rendering one version (checked before, sandboxed, checked after)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core import outbound
from digital_factory.core.errors import Conflict, DomainError, FieldProblem, NotFound, ValidationFailed
from digital_factory.platform import models, questions, safety, sandbox, templates
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.schemas import Template, TemplateCreate, TemplateQuestion
from digital_factory.repos import service as repos
from digital_factory.store.engine import one_at_a_time
from digital_factory.store.uow import UnitOfWork

log = logging.getLogger(__name__)


def ensure_builtin_templates(uow: UnitOfWork, ctx: PlatformContext) -> list[Template]:
    """Materialise the built-in templates (git repositories with version tags) and register them.

    Runs as the product itself at start-up; idempotent. Server processes starting together on one store
    take turns (the same rows, the same repositories in a shared data folder)."""
    one_at_a_time(uow.session, "platform.builtin-templates")
    out = []
    for builtin in templates.BUILTINS:
        bare = ctx.template_dir(builtin.key)
        scratch = sandbox.scratch_dir(ctx.scratch_root, f"builtin-{builtin.key}-")
        try:
            templates.materialize_builtin(builtin, bare, scratch)
        finally:
            sandbox.remove(scratch)
        versions = templates.versions(bare)
        row = template_row_or_none(uow, builtin.key)
        if row is None:
            row = _add_template(
                uow,
                TemplateCreate(key=builtin.key, name=builtin.name, description=builtin.description, source="builtin"),
                versions=versions,
                created_by="platform",
            )
            record_audit(
                uow, "template.register", "template", row.key, after={"source": "builtin", "versions": versions}
            )
        elif row.versions != versions:
            row.versions, row.latest_version, row.refreshed_at = versions, templates.newest(versions), uow.clock.now()
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
    if template_row_or_none(uow, data.key) is not None:
        raise Conflict(f"a template with the key {data.key!r} already exists", rule="unique-template-key")
    source = _checked_source(data.source)
    versions = _mirror_checked(ctx, data.key, source, trusted=data.trusted)
    row = _add_template(uow, data.model_copy(update={"source": source}), versions=versions, created_by=uow.actor.name)
    after = {"source": source, "versions": versions, "trusted": data.trusted}
    record_audit(uow, "template.register", "template", row.key, after=after)
    return Template.model_validate(row)


def refresh_template(uow: UnitOfWork, ctx: PlatformContext, key: str) -> Template:
    """Fetch a registered template's new versions (built-ins are refreshed at start-up)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = template_row(uow, key)
    bare = ctx.template_dir(key)
    if not row.builtin:
        try:
            _fetch(ctx, row.source, bare)
        except (repos.GitError, outbound.OutboundRefused):
            raise Conflict(f"{row.source}: {outbound.REFUSAL}", rule="template-fetch") from None
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
    row = template_row(uow, key)
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
    return Template.model_validate(template_row(uow, key))


def template_questions(
    uow: UnitOfWork, ctx: PlatformContext, key: str, version: str | None = None
) -> list[TemplateQuestion]:
    """The questions of a template version (default: the newest), for forms."""
    require(uow.actor, Permission.READ)
    row = template_row(uow, key)
    rev = version or row.latest_version
    if rev is None or rev not in row.versions:
        raise NotFound(f"template {key!r} has no version {rev!r}")
    config, _ = templates.read_config(ctx.template_dir(key), rev)
    return questions.questions(config)


def latest_versions(uow: UnitOfWork) -> dict[str, str | None]:
    """The newest version of every registered template, by key."""
    return {t.key: t.latest_version for t in uow.session.scalars(select(models.Template))}


def template_row_or_none(uow: UnitOfWork, key: str) -> models.Template | None:
    return uow.session.scalar(select(models.Template).where(models.Template.key == key))


def template_row(uow: UnitOfWork, key: str) -> models.Template:
    row = template_row_or_none(uow, key)
    if row is None:
        raise NotFound(f"no template with the key {key!r}")
    return row


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


def _mirror_checked(ctx: PlatformContext, key: str, source: str, *, trusted: bool) -> list[str]:
    """Mirror the repository into the data folder and check its newest version; its versions, or a
    refusal that leaves no mirror behind."""
    bare = ctx.template_dir(key)
    if bare.exists():
        sandbox.remove(bare)
    try:
        _fetch(ctx, source, bare)
        versions = templates.versions(bare)
        latest = templates.newest(versions)
        if latest is None:
            raise ValidationFailed.on("source", "the repository has no version tags (PEP 440, e.g. v1.0.0)")
        templates.check_version(bare, latest, trusted=trusted)
    except (repos.GitError, outbound.OutboundRefused):
        sandbox.remove(bare)
        raise ValidationFailed.on("source", outbound.REFUSAL) from None
    except DomainError:
        sandbox.remove(bare)
        raise
    return versions


def _fetch(ctx: PlatformContext, source: str, bare: Path) -> None:
    """Mirror a source. An https source goes through the outbound guard (internal addresses refused unless
    FACTORY_OUTBOUND_ALLOW names them) and git connects only to the address checked; why a fetch failed is
    logged, never answered (one text for every failure: no port scanner)."""
    options: list[str] = []
    if not source.startswith("/"):
        try:
            options = outbound.git_options(outbound.check(source, ctx.outbound_allow))
        except outbound.OutboundRefused as refused:
            log.warning("template source %s refused: %s", source, refused.reason)
            raise
    try:
        templates.mirror(source, bare, timeout=ctx.render_timeout, options=options)
    except repos.GitError as exc:
        log.warning("template source %s not fetched: %s", source, exc.stderr.strip()[:500])
        raise


def _add_template(uow: UnitOfWork, data: TemplateCreate, *, versions: list[str], created_by: str) -> models.Template:
    """Store a template; `source` "builtin" marks one shipped with the product (a registered source is a
    URL or an absolute path, never that word)."""
    now = uow.clock.now()
    row = models.Template(
        key=data.key,
        name=data.name,
        description=data.description,
        source=data.source,
        builtin=data.source == "builtin",
        trusted=data.trusted,
        versions=versions,
        latest_version=templates.newest(versions),
        created_by=created_by,
        created_at=now,
        refreshed_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    return row
