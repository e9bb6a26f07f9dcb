"""Release pages: flags per service and environment, the targeting and rollout editor with a live preview,
approvals, client keys, segments and the release timeline."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from digital_factory.catalog import service as catalog
from digital_factory.core.errors import DomainError, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input, validation_failed
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import (
    Change,
    ChangeFilter,
    ChangeStatus,
    CreatedClientKey,
    Decision,
    Flag,
    FlagChange,
    FlagConfig,
    FlagCreate,
    Kill,
    ReleaseFilter,
    RolloutRequest,
    SegmentSpec,
)
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import Viewer, read, refusal, runtime, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.paging import Offset, pager_of
from digital_factory.web.portfolio.forms import json_or_text
from digital_factory.web.rendering import TEMPLATES, render

router = APIRouter(include_in_schema=False)

ROLLOUT = "rollout"
NOTICES = {
    "applied": "Applied: customers get it now.",
    "pending": "Waiting for approval by another person entitled to approve it.",
    "scheduled": "Scheduled: it applies at its time.",
    "approved": "Approved.",
    "rejected": "Rejected: nothing changed.",
    "cancelled": "Cancelled: nothing changed.",
    "created": "Created.",
    "revoked": "Client key revoked: it stops working within a second.",
}
_RULE_FIELD = re.compile(r"^rules-([A-Za-z0-9]+)-conditions$")


def _notice(done: str | None, change: str | None) -> str | None:
    if done not in NOTICES:
        return None
    return f"{change}: {NOTICES[done]}" if change else NOTICES[done]


# --- overview ------------------------------------------------------------------------------------------


RELEASES_PAGE_SIZE = 50


@router.get("/releases", response_class=HTMLResponse)
def overview(
    request: Request,
    viewer: PageViewer,
    done: str | None = None,
    change: str | None = None,
    offset: Offset = 0,
) -> Response:
    found = read(request, viewer, lambda uow: _overview(uow, offset))
    pager = pager_of("/releases", {}, found.pop("page"))
    return render(
        request, "releases.html", viewer, active="releases", notice=_notice(done, change), pager=pager, **found
    )


def _overview(uow: UnitOfWork, offset: int) -> dict[str, Any]:
    """A page of services (RELEASES_PAGE_SIZE) with their flags read at once, the open changes and the timeline."""
    page = catalog.list_services(uow, PageRequest(limit=RELEASES_PAGE_SIZE, offset=offset))
    services = page.items
    flags = releases.flags_of_services(uow, [s.key for s in services])
    pending = releases.list_changes(uow, ChangeFilter(status=ChangeStatus.PENDING), PageRequest(limit=100)).items
    on = {
        s.key: {e.name: sum(1 for f in flags[s.key] if f.state(e.name).config.enabled) for e in s.environments}
        for s in services
    }
    return {
        "page": page,
        "services": services,
        "flags": flags,
        "on": on,
        "pending": pending,
        "scheduled": releases.list_changes(
            uow, ChangeFilter(status=ChangeStatus.SCHEDULED), PageRequest(limit=50)
        ).items,
        "timeline": releases.list_releases(uow, ReleaseFilter(), PageRequest(limit=25)),
        "decidable": releases.decisions(uow, pending),
    }


@router.post("/releases/changes/{key}/{decision}")
def decide(
    request: Request,
    viewer: FormViewer,
    key: str,
    decision: str,
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/releases",
) -> Response:
    outcome = write(request, viewer, lambda uow: _decide(uow, key, decision, Decision(note=note[:1000])))
    return see_other(f"{_local(back)}?done={outcome}&change={key}")


def _decide(uow: UnitOfWork, key: str, decision: str, data: Decision) -> str:
    """Approve, reject or cancel a change; the notice to show."""
    if decision == "approve":
        done = releases.approve_change(uow, key, data)
        return "approved" if done.status is ChangeStatus.SCHEDULED else "applied"
    if decision == "reject":
        releases.reject_change(uow, key, data)
        return "rejected"
    if decision == "cancel":
        releases.cancel_change(uow, key)
        return "cancelled"
    raise ValidationFailed.on("decision", "approve, reject or cancel")


def _local(target: str) -> str:
    return target if re.fullmatch(r"/releases(/[A-Za-z0-9._-]+)*", target) else "/releases"


# --- a service -----------------------------------------------------------------------------------------


def _service_page(
    request: Request,
    viewer: Viewer,
    service: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
    created_key: CreatedClientKey | None = None,
) -> Response:
    return render(
        request,
        "releases_service.html",
        viewer,
        status_code=status_code,
        active="releases",
        error=error,
        notice=notice,
        created_key=created_key,
        format_conditions=releases.format_conditions,
        **read(request, viewer, lambda uow: _service_context(uow, service)),
    )


def _service_context(uow: UnitOfWork, service: str) -> dict[str, Any]:
    found = catalog.get_service(uow, service)
    changes = releases.list_changes(uow, ChangeFilter(service=service), PageRequest(limit=50)).items
    open_changes = [c for c in changes if c.status in {ChangeStatus.PENDING, ChangeStatus.SCHEDULED}]
    return {
        "service": found,
        "flags": releases.list_flags(uow, service),
        "keys": releases.list_client_keys(uow, service),
        "segments": {e.name: releases.list_segments(uow, service, e.name) for e in found.environments},
        "timeline": releases.list_releases(uow, ReleaseFilter(service=service), PageRequest(limit=25)),
        "open_changes": open_changes,
        "decidable": releases.decisions(uow, open_changes),
        "may": releases.release_actions(uow, service),
    }


@router.get("/releases/{service}", response_class=HTMLResponse)
def service_page(
    request: Request, viewer: PageViewer, service: str, done: str | None = None, change: str | None = None
) -> Response:
    return _service_page(request, viewer, service, notice=_notice(done, change))


@router.post("/releases/{service}/flags", response_class=HTMLResponse)
def create_flag(
    request: Request,
    viewer: FormViewer,
    service: str,
    key: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    flag_type: Annotated[str, Form()] = "boolean",
    variants: Annotated[str, Form()] = "",
    feature: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:

    def create(uow: UnitOfWork) -> str:
        fields = {
            "key": key,
            "name": name or None,
            "type": flag_type,
            "variants": _variants(variants) if variants.strip() else None,
            "feature": feature.strip().upper() or None,
            "description": description,
        }
        created = releases.create_flag(uow, service, parse_input(FlagCreate, fields))
        return f"/releases/{service}/flags/{created.key}?done=created"

    return _from_service_page(request, viewer, service, create)


def _from_service_page(request: Request, viewer: Viewer, service: str, work: Callable[[UnitOfWork], str]) -> Response:
    """A form of the service page: on to where `work` says, or the page again with why it was refused."""
    try:
        target = write(request, viewer, work)
    except DomainError as exc:
        r = refusal(exc)
        return _service_page(request, viewer, service, status_code=r.status, error=r.message)
    return see_other(target)


def _variants(text: str) -> dict[str, Any]:
    """`name = value` per line; values are JSON (`true`, `7.5`, `{"rpm": 9000}`) or else plain text."""
    return _named_values(text, "variants")


def _named_values(text: str, field: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, raw = line.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed.on(field, f"line {number}: write `name = value`")
        found[name.strip()] = json_or_text(raw.strip())
    return found


@router.post("/releases/{service}/client-keys", response_class=HTMLResponse)
def create_client_key(
    request: Request,
    viewer: FormViewer,
    service: str,
    environment: Annotated[str, Form()],
    name: Annotated[str, Form()] = "default",
) -> Response:
    digester, label = runtime(request).digester, name.strip()[:100] or "default"
    created = write(request, viewer, lambda uow: releases.create_client_key(uow, digester, service, environment, label))
    return _service_page(request, viewer, service, created_key=created)


@router.post("/releases/client-keys/{public_id}/revoke")
def revoke_client_key(request: Request, viewer: FormViewer, public_id: str) -> Response:
    key = write(request, viewer, lambda uow: releases.revoke_client_key(uow, public_id))
    return see_other(f"/releases/{key.service}?done=revoked")


@router.post("/releases/{service}/segments", response_class=HTMLResponse)
def put_segment(
    request: Request,
    viewer: FormViewer,
    service: str,
    environment: Annotated[str, Form()],
    key: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    included: Annotated[str, Form()] = "",
    conditions: Annotated[str, Form()] = "",
) -> Response:

    def put(uow: UnitOfWork) -> str:
        fields = {
            "key": key,
            "name": name or None,
            "included": [k.strip() for k in re.split(r"[,\n]", included) if k.strip()],
            "conditions": releases.parse_conditions(conditions, "conditions") if conditions.strip() else [],
        }
        change = releases.put_segment(uow, service, environment, parse_input(SegmentSpec, fields))
        return f"/releases/{service}?done={change.status.value}&change={change.key}"

    return _from_service_page(request, viewer, service, put)


# --- a flag ----------------------------------------------------------------------------------------------


def _flag_page(
    request: Request,
    viewer: Viewer,
    service: str,
    flag_key: str,
    *,
    env: str | None = None,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    found = read(request, viewer, lambda uow: _flag_context(uow, service, flag_key, env))
    return render(
        request,
        "releases_flag.html",
        viewer,
        status_code=status_code,
        active="releases",
        chart=json.dumps(_chart_option(found["counts"])),
        error=error,
        notice=notice,
        format_conditions=releases.format_conditions,
        new_id=lambda: secrets.token_hex(4),
        json_value=_json_value,
        now=datetime.now(UTC),
        **found,
    )


def _flag_context(uow: UnitOfWork, service: str, flag_key: str, env: str | None) -> dict[str, Any]:
    flag = releases.get_flag(uow, service, flag_key)
    names = [e.environment for e in flag.environments]
    chart_env = env if env in names else names[-1]
    changes = releases.list_changes(uow, ChangeFilter(service=service, flag=flag_key), PageRequest(limit=30)).items
    return {
        "flag": flag,
        "chart_env": chart_env,
        "counts": releases.evaluation_counts(uow, service, flag_key, chart_env),
        "changes": changes,
        "timeline": releases.list_releases(uow, ReleaseFilter(service=service, flag=flag_key), PageRequest(limit=30)),
        "segments": {name: [s.key for s in releases.list_segments(uow, service, name)] for name in names},
        "decidable": releases.decisions(uow, changes),
        "may": releases.release_actions(uow, service),
    }


def _json_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _chart_option(counts: Any) -> dict[str, Any]:
    """One stacked bar per day of the counted window (every day shown, also the quiet ones)."""
    first, last = counts.since.date(), (counts.since + timedelta(days=7)).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    variants = sorted({h.variant for h in counts.hours})
    by: dict[tuple[date, str], int] = {}
    for h in counts.hours:
        by[h.hour.date(), h.variant] = by.get((h.hour.date(), h.variant), 0) + h.count
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"data": variants, "top": 0, "right": 0},
        "grid": {"left": 8, "right": 8, "top": 48, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [d.strftime("%m-%d") for d in days]},
        "yAxis": {"type": "value", "name": "evaluations per day", "nameTextStyle": {"align": "left"}},
        "series": [
            {"name": v, "type": "bar", "stack": "all", "data": [by.get((d, v), 0) for d in days]} for v in variants
        ],
    }


@router.get("/releases/{service}/flags/{flag}", response_class=HTMLResponse)
def flag_page(
    request: Request,
    viewer: PageViewer,
    service: str,
    flag: str,
    env: str | None = None,
    done: str | None = None,
    change: str | None = None,
) -> Response:
    return _flag_page(request, viewer, service, flag, env=env, notice=_notice(done, change))


@router.get("/releases/{service}/flags/{flag}/rule", response_class=HTMLResponse)
def new_rule(request: Request, viewer: PageViewer, service: str, flag: str) -> Response:
    """An empty rule card for the editor (htmx appends it)."""
    found = read(request, viewer, lambda uow: releases.get_flag(uow, service, flag))
    return TEMPLATES.TemplateResponse(
        request,
        "releases_rule.html",
        {"flag": found, "rule_id": secrets.token_hex(4), "rule": None, "format_conditions": releases.format_conditions},
    )


def _serve_from_form(form: FormData, prefix: str, flag: Flag) -> dict[str, Any]:
    choice = str(form.get(f"{prefix}-serve") or "")
    if choice != ROLLOUT:
        return {"variant": choice}
    splits = []
    for variant in flag.variants:
        raw = str(form.get(f"{prefix}-pct-{variant}") or "").strip() or "0"
        percent = releases.parse_percent(raw, f"{prefix}.{variant}")
        if percent:
            splits.append({"variant": variant, "percent": percent})
    return {"rollout": splits}


def _config_from_form(form: FormData, flag: Flag) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    for name in form:
        match = _RULE_FIELD.match(name)
        if match is None or form.get(f"rules-{match.group(1)}-remove"):
            continue
        prefix = f"rules-{match.group(1)}"
        text = str(form.get(name) or "")
        if not text.strip():
            continue  # an empty new rule card
        rules.append(
            {
                "name": str(form.get(f"{prefix}-name") or "")[:100],
                "conditions": releases.parse_conditions(text, f"rule {len(rules) + 1}"),
                "serve": _serve_from_form(form, prefix, flag),
            }
        )
    return {
        "enabled": form.get("enabled") == "on",
        "off_variant": str(form.get("off_variant") or flag.off_variant),
        "default": _serve_from_form(form, "default", flag),
        "rules": rules,
    }


def _checked(config: dict[str, Any]) -> FlagConfig:
    try:
        return FlagConfig.model_validate(config)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def _scheduled_at(raw: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed.on("at", f"{raw!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _submit(
    request: Request, viewer: Viewer, service: str, flag: str, environment: str, work: Callable[[UnitOfWork], Change]
) -> Response:
    """A change from the flag page: to its notice, or the page again with why it was refused."""
    try:
        change = write(request, viewer, work)
    except DomainError as exc:
        r = refusal(exc, prefix=f"{environment}: ")
        return _flag_page(request, viewer, service, flag, status_code=r.status, error=r.message)
    return see_other(f"/releases/{service}/flags/{flag}?done={change.status.value}&change={change.key}")


@router.post("/releases/{service}/flags/{flag}/environments/{environment}", response_class=HTMLResponse)
async def edit_environment(request: Request, viewer: FormViewer, service: str, flag: str, environment: str) -> Response:
    """The editor: the whole configuration of one environment, as a governed change."""
    form = await request.form()

    def change(uow: UnitOfWork) -> Change:
        config = _checked(_config_from_form(form, releases.get_flag(uow, service, flag)))
        data = FlagChange(
            enabled=config.enabled,
            off_variant=config.off_variant,
            default=config.default,
            rules=config.rules,
            at=_scheduled_at(str(form.get("at") or "")),
            reason=str(form.get("reason") or "")[:1000],
        )
        return releases.request_change(uow, service, flag, environment, data)

    return await _in_thread(_submit, request, viewer, service, flag, environment, change)


async def _in_thread(function: Any, *args: Any) -> Response:
    result: Response = await run_in_threadpool(function, *args)
    return result


@router.post("/releases/{service}/flags/{flag}/environments/{environment}/rollout", response_class=HTMLResponse)
def quick_rollout(
    request: Request,
    viewer: FormViewer,
    service: str,
    flag: str,
    environment: str,
    percent: Annotated[str, Form()],
    variant: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Roll a variant out to a share of targeting keys (the rest get the off variant); turns the flag on."""

    def roll_out(uow: UnitOfWork) -> Change:
        share = releases.parse_percent(percent.strip(), "percent")
        data = parse_input(RolloutRequest, {"percent": share, "variant": variant or None, "reason": reason[:1000]})
        return releases.roll_out(uow, service, flag, environment, data)

    return _submit(request, viewer, service, flag, environment, roll_out)


@router.post("/releases/{service}/flags/{flag}/environments/{environment}/switch", response_class=HTMLResponse)
def switch(
    request: Request,
    viewer: FormViewer,
    service: str,
    flag: str,
    environment: str,
    enabled: Annotated[str, Form()],
) -> Response:
    """Turn on or off as an ordinary (governed) change."""
    data = FlagChange(enabled=enabled == "on")
    return _submit(
        request,
        viewer,
        service,
        flag,
        environment,
        lambda uow: releases.request_change(uow, service, flag, environment, data),
    )


@router.post("/releases/{service}/flags/{flag}/environments/{environment}/kill", response_class=HTMLResponse)
def kill(
    request: Request,
    viewer: FormViewer,
    service: str,
    flag: str,
    environment: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """The kill switch: off now (in governed environments only for the service's owners who could approve)."""
    data = Kill(reason=reason[:1000])
    change = write(request, viewer, lambda uow: releases.kill_flag(uow, service, flag, environment, data))
    return see_other(f"/releases/{service}/flags/{flag}?done=applied&change={change.key}")


@router.post("/releases/{service}/flags/{flag}/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    viewer: FormViewer,
    service: str,
    flag: str,
    draft_env: Annotated[str | None, Query()] = None,
) -> Response:
    """Which variant does this context get? Against the saved configuration of every environment, or
    against the unsaved editor of one (htmx swaps the result in)."""
    form = await request.form()
    return await _in_thread(_preview, request, viewer, service, flag, draft_env, form)


def _preview(
    request: Request, viewer: Viewer, service: str, flag: str, draft_env: str | None, form: FormData
) -> Response:
    error, results = None, []
    try:
        context = _context_from_form(form)
        results = read(request, viewer, lambda uow: _previewed(uow, service, flag, context, draft_env, form))
    except DomainError as exc:
        error = refusal(exc).message
    # htmx swaps only a successful answer in, so a refused preview is shown with 200 too
    return TEMPLATES.TemplateResponse(
        request,
        "releases_preview.html",
        {"results": results, "error": error, "json_value": _json_value},
        status_code=200,
    )


def _previewed(
    uow: UnitOfWork, service: str, flag: str, context: dict[str, Any], draft_env: str | None, form: FormData
) -> list[Any]:
    draft = _checked(_config_from_form(form, releases.get_flag(uow, service, flag))) if draft_env else None
    return releases.preview(uow, service, flag, context, environment=draft_env, draft=draft)


def _context_from_form(form: FormData) -> dict[str, Any]:
    """`targetingKey` plus attributes, one `name = value` per line (values JSON or text), or a JSON object."""
    raw = str(form.get("attributes") or "").strip()
    context: dict[str, Any] = {}
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise ValidationFailed.on("attributes", f"not a JSON object: {exc}") from None
        if not isinstance(parsed, dict):
            raise ValidationFailed.on("attributes", "not a JSON object")
        context.update(parsed)
    elif raw:
        context.update(_named_values(raw, "attributes"))
    key = str(form.get("targeting_key") or "").strip()
    if key:
        context["targetingKey"] = key
    return context
