"""`factory flag …`: feature flags, rollouts, approvals and the release timeline (through the REST API)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from digital_factory.cli.client import api, segment
from digital_factory.cli.options import NewestFirst, OnlyService, Reason
from digital_factory.cli.output import domain_errors, err_console, literal, print_table, say
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import Page
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import (
    Change,
    ChangeStatus,
    ClientKey,
    CreatedClientKey,
    Flag,
    PreviewResult,
    Release,
)

app = typer.Typer(
    help="Feature flags: targeting, rollouts, approvals, releases (through the REST API).", no_args_is_help=True
)
key_app = typer.Typer(help="OFREP client keys of a service.", no_args_is_help=True)
app.add_typer(key_app, name="key")

ENV = typer.Option("--env", "-e", help="Environment, e.g. dev or prod.")
Env = Annotated[str, ENV]
Service = Annotated[str, typer.Argument(help="Service key, e.g. flight-control.")]
FlagKey = Annotated[str, typer.Argument(help="Flag key, e.g. heavy-lift-mode.")]
ChangeKey = Annotated[str, typer.Argument(help="Change key.")]
OnlyEnv = Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")]
OffVariant = Annotated[str | None, typer.Option(help="Served when off.")]


def _flags(service: str) -> str:
    return f"/services/{segment(service)}/flags"


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _pairs(items: list[str], option: str) -> dict[str, str]:
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed.on(option, f"{item!r}: write NAME=VALUE")
        found[name.strip()] = value.strip()
    return found


@app.command("list")
def flag_list(
    service: Service, archived: Annotated[bool, typer.Option(help="Include archived flags.")] = False
) -> None:
    """The service's flags and their state per environment."""
    with domain_errors():
        flags: list[Flag] = api().read(list[Flag], _flags(service), include_archived=archived or None)
    if not flags:
        say(f"{service} has no flags yet")
        return
    print_table(
        ["flag", "type", "feature", *(s.environment for s in flags[0].environments)],
        ([f.key, f.type, f.feature or "-", *(s.summary for s in f.environments)] for f in flags),
    )


@app.command("show")
def flag_show(service: Service, flag: FlagKey) -> None:
    """A flag: variants and each environment's configuration."""
    with domain_errors():
        found: Flag = api().read(Flag, f"{_flags(service)}/{segment(flag)}")
    feature = f", releases {found.feature}" if found.feature else ""
    say(Text(found.name, style="bold"), f"({found.key}, {found.type}){feature}")
    for name, value in found.variants.items():
        say(f"  variant {name} = {json.dumps(value)}")
    for state in found.environments:
        policy = f" (approved by {' or '.join(state.approval_roles)})" if state.approval_roles else ""
        say(Text.assemble((state.environment, "bold"), f"{policy}: {state.summary}"))
        for index, rule in enumerate(state.config.rules, start=1):
            dumped = rule.model_dump(mode="json")
            conditions = "; ".join(releases.format_condition(c) for c in dumped["conditions"])
            say(f"  rule {index}: {conditions} => {releases.format_serve(dumped['serve'])}")


@app.command("create")
def flag_create(
    service: Service,
    key: Annotated[str, typer.Argument(help="The key SDKs ask for.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    flag_type: Annotated[str, typer.Option("--type", help="boolean, string, integer, float or object.")] = "boolean",
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="NAME=VALUE (JSON or text), repeatable; boolean: on/off.")
    ] = None,
    default_variant: Annotated[str | None, typer.Option(help="Served when on and no rule matches.")] = None,
    off_variant: OffVariant = None,
    feature: Annotated[str | None, typer.Option(help="The feature it releases, e.g. FEAT-12.")] = None,
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
) -> None:
    """Create a flag; it starts off in every environment."""
    with domain_errors():
        body: dict[str, Any] = {"key": key, "type": flag_type, "description": description}
        if variant:
            body["variants"] = {n: _json_or_text(v) for n, v in _pairs(variant, "--variant").items()}
        for field, value in (("name", name), ("default_variant", default_variant), ("off_variant", off_variant)):
            if value is not None:
                body[field] = value
        if feature:
            body["feature"] = feature.upper()
        created: Flag = api().send(Flag, "POST", _flags(service), json=body)
    say("created flag", Text(created.key, style="bold"), f"in {service} (off everywhere)")


def _report(change: Change) -> None:
    where = f"{change.service}/{change.environment}"
    if change.status is ChangeStatus.APPLIED:
        say(f"{change.key} applied in {where}: {change.summary}")
    elif change.status is ChangeStatus.PENDING:
        roles = " or ".join(change.approval_roles)
        say(f"{change.key} waits for approval in {where} (by {roles}, not {change.requested_by})")
    else:
        due = f" for {change.due_at.isoformat()}" if change.due_at else ""
        say(f"{change.key} {change.status} in {where}{due}")


@app.command("set")
def flag_set(
    service: Service,
    flag: FlagKey,
    env: Env,
    on: Annotated[bool | None, typer.Option("--on/--off", help="Turn on or off.")] = None,
    serve: Annotated[str | None, typer.Option(help="Default: a variant, or a rollout like on=10,off=90.")] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option("--rule", help="`CONDITION; CONDITION => SERVE`, repeatable; replaces the rules."),
    ] = None,
    rules_file: Annotated[Path | None, typer.Option(help="Rules as a JSON list (`-` reads standard input).")] = None,
    clear_rules: Annotated[bool, typer.Option("--clear-rules", help="Remove every rule.")] = False,
    off_variant: OffVariant = None,
    at: Annotated[str | None, typer.Option(help="Apply at this time (ISO 8601, e.g. 2026-12-01T09:00:00Z).")] = None,
    reason: Annotated[str, typer.Option(help="Why (shown to approvers and on the timeline).")] = "",
) -> None:
    """Change a flag in one environment (applied, scheduled, or waiting for approval)."""
    with domain_errors():
        body: dict[str, Any] = {"reason": reason}
        if on is not None:
            body["enabled"] = on
        if serve is not None:
            body["default"] = releases.parse_serve(serve, "--serve")
        if off_variant is not None:
            body["off_variant"] = off_variant
        if at is not None:
            body["at"] = at
        if rules_file is not None:
            raw = sys.stdin.read() if str(rules_file) == "-" else rules_file.read_text()
            try:
                body["rules"] = json.loads(raw)
            except ValueError as exc:
                raise ValidationFailed.on("--rules-file", f"not JSON: {exc}") from None
        elif rule:
            body["rules"] = [releases.parse_rule(r, "--rule") for r in rule]
        elif clear_rules:
            body["rules"] = []
        change: Change = api().send(
            Change, "POST", f"{_flags(service)}/{segment(flag)}/environments/{segment(env)}/changes", json=body
        )
    _report(change)


@app.command("rollout")
def flag_rollout(
    service: Service,
    flag: FlagKey,
    percent: Annotated[float, typer.Argument(help="Share of targeting keys, 0-100 (two decimals at most).")],
    env: Env,
    variant: Annotated[
        str | None, typer.Option(help="Variant to roll out (default: the flag's default variant).")
    ] = None,
    reason: Reason = "",
) -> None:
    """Roll a variant out to a share of targeting keys (everyone else gets the off variant); turns it on."""
    with domain_errors():
        body = {"percent": percent, "variant": variant, "reason": reason}
        change: Change = api().send(
            Change, "POST", f"{_flags(service)}/{segment(flag)}/environments/{segment(env)}/rollout", json=body
        )
    _report(change)


@app.command("kill")
def flag_kill(service: Service, flag: FlagKey, env: Env, reason: Reason = "") -> None:
    """The kill switch: off now, serving the off variant."""
    with domain_errors():
        body = {"reason": reason}
        change: Change = api().send(
            Change, "POST", f"{_flags(service)}/{segment(flag)}/environments/{segment(env)}/kill", json=body
        )
    _report(change)


@app.command("changes")
def flag_changes(
    status: Annotated[
        str | None, typer.Option(help="pending, scheduled, applied, rejected, cancelled, failed.")
    ] = None,
    service: OnlyService = None,
    limit: NewestFirst = 50,
) -> None:
    """Flag changes, e.g. those waiting for approval."""
    with domain_errors():
        page: Page[Change] = api().read(Page[Change], "/flag-changes", status=status, service=service, limit=limit)
    print_table(
        ["change", "flag", "env", "does", "requested by", "status"],
        ([c.key, _subject(c), c.environment, c.summary, c.requested_by, c.status] for c in page.items),
    )


def _subject(change: Change) -> str:
    return f"{change.service}/{change.flag or f'segment {change.segment}'}"


def _decide(key: str, decision: str, note: str | None) -> None:
    with domain_errors():
        body = {"note": note} if note is not None and decision != "cancel" else None
        change: Change = api().send(Change, "POST", f"/flag-changes/{segment(key)}/{segment(decision)}", json=body)
    if decision == "approve":
        _report(change)
    else:
        say(f"{change.key} {change.status}")


@app.command("approve")
def flag_approve(
    change: Annotated[str, typer.Argument(help="Change key, e.g. FCR-3.")],
    note: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
) -> None:
    """Approve a change someone else requested (you need one of the environment's approval roles)."""
    _decide(change, "approve", note)


@app.command("reject")
def flag_reject(change: ChangeKey, note: Annotated[str | None, typer.Option(help="Why not.")] = None) -> None:
    """Reject a pending change."""
    _decide(change, "reject", note)


@app.command("cancel")
def flag_cancel(change: ChangeKey) -> None:
    """Withdraw a pending or scheduled change."""
    _decide(change, "cancel", None)


@app.command("releases")
def flag_releases(
    service: OnlyService = None,
    env: OnlyEnv = None,
    flag: Annotated[str | None, typer.Option(help="Only this flag.")] = None,
    feature: Annotated[str | None, typer.Option(help="Only releases of this feature.")] = None,
    limit: NewestFirst = 50,
) -> None:
    """The release timeline: every change that altered what customers get."""
    with domain_errors():
        filters = {"service": service, "environment": env, "flag": flag, "feature": feature, "limit": limit}
        page: Page[Release] = api().read(Page[Release], "/releases", **filters)
    print_table(
        ["when", "flag", "env", "kind", "summary", "by", "approved by"],
        (
            [
                r.at.strftime("%Y-%m-%d %H:%M"),
                f"{r.service}/{r.flag}",
                r.environment,
                r.kind,
                r.summary,
                r.requested_by,
                r.approved_by or "-",
            ]
            for r in page.items
        ),
    )


@app.command("eval")
def flag_eval(
    service: Service,
    flag: FlagKey,
    env: OnlyEnv = None,
    key: Annotated[str | None, typer.Option("--key", help="The context's targetingKey.")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="NAME=VALUE (JSON or text), repeatable.")] = None,
) -> None:
    """Which variant does this context get? (a preview; nothing is counted)"""
    with domain_errors():
        context: dict[str, Any] = {n: _json_or_text(v) for n, v in _pairs(attr or [], "--attr").items()}
        if key:
            context["targetingKey"] = key
        body = {"context": context, "environment": env}
        results: list[PreviewResult] = api().send(
            list[PreviewResult], "POST", f"{_flags(service)}/{segment(flag)}/preview", json=body
        )
    print_table(["env", "variant", "value", "reason"], (_preview_row(r) for r in results))


def _preview_row(result: PreviewResult) -> list[str]:
    if result.error_code:
        return [result.environment, "-", "-", f"{result.error_code}: {result.error_details}"]
    why = result.reason + (f" (rule {result.rule + 1})" if result.rule is not None else "")
    return [result.environment, str(result.variant), json.dumps(result.value), why]


@key_app.command("create")
def key_create(
    service: Service, env: Env, name: Annotated[str, typer.Option(help="What the key is for.")] = "default"
) -> None:
    """Create an OFREP client key; prints it once (only its digest is kept)."""
    with domain_errors():
        body = {"environment": env, "name": name}
        created: CreatedClientKey = api().send(
            CreatedClientKey, "POST", f"/services/{segment(service)}/client-keys", json=body
        )
    err_console.print(literal(f"client key {created.key.public_id} for {service}/{env}; shown once:"), highlight=False)
    print(created.secret)


@key_app.command("list")
def key_list(service: Service, env: Annotated[str | None, typer.Option("--env", "-e")] = None) -> None:
    """The service's client keys (never their secrets)."""
    with domain_errors():
        keys: list[ClientKey] = api().read(
            list[ClientKey], f"/services/{segment(service)}/client-keys", environment=env
        )
    print_table(
        ["id", "env", "name", "created", "last used", "state"],
        (
            [
                k.public_id,
                k.environment,
                k.name,
                k.created_at.date().isoformat(),
                k.last_used_at.isoformat()[:16] if k.last_used_at else "never",
                "revoked" if k.revoked_at else "active",
            ]
            for k in keys
        ),
    )


@key_app.command("revoke")
def key_revoke(public_id: Annotated[str, typer.Argument(help="The key's id (its second part).")]) -> None:
    """Revoke a client key: SDKs using it are refused within a second."""
    with domain_errors():
        api().send(ClientKey, "POST", f"/client-keys/{segment(public_id)}/revoke")
    say(f"client key {public_id} revoked")
