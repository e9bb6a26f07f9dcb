"""`factory flag …`: feature flags, rollouts, approvals and the release timeline (through the REST API)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors, err_console
from digital_factory.core.errors import ValidationFailed
from digital_factory.releases import syntax

app = typer.Typer(
    help="Feature flags: targeting, rollouts, approvals, releases (through the REST API).", no_args_is_help=True
)
key_app = typer.Typer(help="OFREP client keys of a service.", no_args_is_help=True)
app.add_typer(key_app, name="key")

ENV = typer.Option("--env", "-e", help="Environment, e.g. dev or prod.")
Env = Annotated[str, ENV]
Service = Annotated[str, typer.Argument(help="Service key, e.g. flight-control.")]
FlagKey = Annotated[str, typer.Argument(help="Flag key, e.g. heavy-lift-mode.")]


def _call(method: str, path: str, **kwargs: Any) -> Any:
    """One request to the server (FACTORY_URL, FACTORY_TOKEN); the connection is closed afterwards."""
    return ApiClient.from_environment().request(method, path, **kwargs)


def _get(path: str, **params: Any) -> Any:
    return _call("GET", path, params={k: v for k, v in params.items() if v is not None})


def _flags(service: str) -> str:
    return f"/services/{service}/flags"


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


def parse_serve(text: str, option: str = "--serve") -> dict[str, Any]:
    """`on` (a variant) or `on=10,off=90` (a rollout in percent)."""
    text = text.strip()
    if "=" not in text:
        return {"variant": text}
    splits = []
    for variant, percent in _pairs([p for p in text.split(",") if p.strip()], option).items():
        try:
            splits.append({"variant": variant, "percent": float(percent)})
        except ValueError:
            raise ValidationFailed.on(option, f"{percent!r} is not a percentage") from None
    return {"rollout": splits}


def parse_rule(text: str) -> dict[str, Any]:
    """`CONDITION; CONDITION => SERVE`, e.g. `plan in pro, fleet; appVersion semver_gte 2.4 => on`."""
    conditions, arrow, serve = text.partition("=>")
    if not arrow:
        raise ValidationFailed.on("--rule", f"{text!r}: write `CONDITIONS => VARIANT` (conditions separated by ';')")
    lines = "\n".join(part for part in conditions.split(";"))
    return {"conditions": syntax.parse_conditions(lines, "--rule"), "serve": parse_serve(serve, "--rule")}


def _describe(state: dict[str, Any]) -> str:
    return str(state["summary"])


@app.command("list")
def flag_list(
    service: Service, archived: Annotated[bool, typer.Option(help="Include archived flags.")] = False
) -> None:
    """The service's flags and their state per environment."""
    with domain_errors():
        flags = _get(_flags(service), include_archived=archived or None)
    if not flags:
        console.print(f"{service} has no flags yet")
        return
    table = Table("flag", "type", "feature", *(s["environment"] for s in flags[0]["environments"]))
    for flag in flags:
        table.add_row(flag["key"], flag["type"], flag["feature"] or "-", *(_describe(s) for s in flag["environments"]))
    console.print(table)


@app.command("show")
def flag_show(service: Service, flag: FlagKey) -> None:
    """A flag: variants and each environment's configuration."""
    with domain_errors():
        found = _get(f"{_flags(service)}/{flag}")
    console.print(f"[bold]{found['name']}[/] ({found['key']}, {found['type']})" + (
        f", releases {found['feature']}" if found["feature"] else ""))  # fmt: skip
    for name, value in found["variants"].items():
        console.print(f"  variant {name} = {json.dumps(value)}", highlight=False)
    for state in found["environments"]:
        policy = f" (approved by {' or '.join(state['approval_roles'])})" if state["approval_roles"] else ""
        console.print(f"[bold]{state['environment']}[/]{policy}: {state['summary']}", highlight=False)
        for index, rule in enumerate(state["config"]["rules"], start=1):
            conditions = "; ".join(syntax.format_condition(c) for c in rule["conditions"])
            console.print(f"  rule {index}: {conditions} => {_serve_text(rule['serve'])}", highlight=False)


def _serve_text(serve: dict[str, Any]) -> str:
    if serve.get("rollout"):
        return ",".join(f"{s['variant']}={s['percent']:g}" for s in serve["rollout"])
    return str(serve["variant"])


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
    off_variant: Annotated[str | None, typer.Option(help="Served when off.")] = None,
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
        created = _call("POST", _flags(service), json=body)
    console.print(f"created flag [bold]{created['key']}[/] in {service} (off everywhere)")


def _report(change: dict[str, Any]) -> None:
    status = change["status"]
    where = f"{change['service']}/{change['environment']}"
    if status == "applied":
        console.print(f"{change['key']} applied in {where}: {change['summary']}", highlight=False)
    elif status == "pending":
        roles = " or ".join(change["approval_roles"])
        console.print(f"{change['key']} waits for approval in {where} (by {roles}, not {change['requested_by']})")
    else:
        console.print(f"{change['key']} {status} in {where}" + (f" for {change['due_at']}" if change["due_at"] else ""))


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
    off_variant: Annotated[str | None, typer.Option(help="Served when off.")] = None,
    at: Annotated[str | None, typer.Option(help="Apply at this time (ISO 8601, e.g. 2026-12-01T09:00:00Z).")] = None,
    reason: Annotated[str, typer.Option(help="Why (shown to approvers and on the timeline).")] = "",
) -> None:
    """Change a flag in one environment (applied, scheduled, or waiting for approval)."""
    with domain_errors():
        body: dict[str, Any] = {"reason": reason}
        if on is not None:
            body["enabled"] = on
        if serve is not None:
            body["default"] = parse_serve(serve)
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
            body["rules"] = [parse_rule(r) for r in rule]
        elif clear_rules:
            body["rules"] = []
        change = _call("POST", f"{_flags(service)}/{flag}/environments/{env}/changes", json=body)
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
    reason: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Roll a variant out to a share of targeting keys (everyone else gets the off variant); turns it on."""
    with domain_errors():
        found = _get(f"{_flags(service)}/{flag}")
        target, rest = variant or found["default_variant"], found["off_variant"]
        splits = [{"variant": target, "percent": percent}]
        if percent < 100 and rest != target:
            splits.append({"variant": rest, "percent": round(100 - percent, 2)})
        body = {
            "enabled": True,
            "default": {"rollout": splits},
            "reason": reason or f"roll out {target} to {percent:g}%",
        }
        change = _call("POST", f"{_flags(service)}/{flag}/environments/{env}/changes", json=body)
    _report(change)


@app.command("kill")
def flag_kill(
    service: Service, flag: FlagKey, env: Env, reason: Annotated[str, typer.Option(help="Why.")] = ""
) -> None:
    """The kill switch: off now, serving the off variant."""
    with domain_errors():
        change = _call("POST", f"{_flags(service)}/{flag}/environments/{env}/kill", json={"reason": reason})
    _report(change)


@app.command("changes")
def flag_changes(
    status: Annotated[
        str | None, typer.Option(help="pending, scheduled, applied, rejected, cancelled, failed.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 50,
) -> None:
    """Flag changes, e.g. those waiting for approval."""
    with domain_errors():
        page = _get("/flag-changes", status=status, service=service, limit=limit)
    table = Table("change", "flag", "env", "does", "requested by", "status")
    for c in page["items"]:
        what = c["flag"] or f"segment {c['segment']}"
        table.add_row(
            c["key"], f"{c['service']}/{what}", c["environment"], c["summary"], c["requested_by"], c["status"]
        )
    console.print(table)


def _decide(key: str, decision: str, note: str | None) -> None:
    with domain_errors():
        body = {"note": note} if note is not None and decision != "cancel" else None
        change = _call("POST", f"/flag-changes/{key}/{decision}", json=body)
    if decision == "approve":
        _report(change)
    else:
        console.print(f"{change['key']} {change['status']}")


@app.command("approve")
def flag_approve(
    change: Annotated[str, typer.Argument(help="Change key, e.g. FCR-3.")],
    note: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
) -> None:
    """Approve a change someone else requested (you need one of the environment's approval roles)."""
    _decide(change, "approve", note)


@app.command("reject")
def flag_reject(
    change: Annotated[str, typer.Argument(help="Change key.")],
    note: Annotated[str | None, typer.Option(help="Why not.")] = None,
) -> None:
    """Reject a pending change."""
    _decide(change, "reject", note)


@app.command("cancel")
def flag_cancel(change: Annotated[str, typer.Argument(help="Change key.")]) -> None:
    """Withdraw a pending or scheduled change."""
    _decide(change, "cancel", None)


@app.command("releases")
def flag_releases(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    flag: Annotated[str | None, typer.Option(help="Only this flag.")] = None,
    feature: Annotated[str | None, typer.Option(help="Only releases of this feature.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 50,
) -> None:
    """The release timeline: every change that altered what customers get."""
    with domain_errors():
        page = _get("/releases", service=service, environment=env, flag=flag, feature=feature, limit=limit)
    table = Table("when", "flag", "env", "kind", "summary", "by", "approved by")
    for r in page["items"]:
        table.add_row(
            r["at"][:16].replace("T", " "),
            f"{r['service']}/{r['flag']}",
            r["environment"],
            r["kind"],
            r["summary"],
            r["requested_by"],
            r["approved_by"] or "-",
        )
    console.print(table)


@app.command("eval")
def flag_eval(
    service: Service,
    flag: FlagKey,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="The context's targetingKey.")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="NAME=VALUE (JSON or text), repeatable.")] = None,
) -> None:
    """Which variant does this context get? (a preview; nothing is counted)"""
    with domain_errors():
        context: dict[str, Any] = {n: _json_or_text(v) for n, v in _pairs(attr or [], "--attr").items()}
        if key:
            context["targetingKey"] = key
        results = _call("POST", f"{_flags(service)}/{flag}/preview", json={"context": context, "environment": env})
    table = Table("env", "variant", "value", "reason")
    for r in results:
        if r["error_code"]:
            table.add_row(r["environment"], "-", "-", f"{r['error_code']}: {r['error_details']}")
        else:
            why = r["reason"] + (f" (rule {r['rule'] + 1})" if r["rule"] is not None else "")
            table.add_row(r["environment"], r["variant"], json.dumps(r["value"]), why)
    console.print(table)


@key_app.command("create")
def key_create(
    service: Service, env: Env, name: Annotated[str, typer.Option(help="What the key is for.")] = "default"
) -> None:
    """Create an OFREP client key; prints it once (only its digest is kept)."""
    with domain_errors():
        created = _call("POST", f"/services/{service}/client-keys", json={"environment": env, "name": name})
    err_console.print(f"client key {created['key']['public_id']} for {service}/{env}; shown once:")
    print(created["secret"])


@key_app.command("list")
def key_list(service: Service, env: Annotated[str | None, typer.Option("--env", "-e")] = None) -> None:
    """The service's client keys (never their secrets)."""
    with domain_errors():
        keys = _get(f"/services/{service}/client-keys", environment=env)
    table = Table("id", "env", "name", "created", "last used", "state")
    for k in keys:
        table.add_row(
            k["public_id"],
            k["environment"],
            k["name"],
            k["created_at"][:10],
            (k["last_used_at"] or "never")[:16],
            "revoked" if k["revoked_at"] else "active",
        )
    console.print(table)


@key_app.command("revoke")
def key_revoke(public_id: Annotated[str, typer.Argument(help="The key's id (its second part).")]) -> None:
    """Revoke a client key: SDKs using it are refused within a second."""
    with domain_errors():
        _call("POST", f"/client-keys/{public_id}/revoke")
    console.print(f"client key {public_id} revoked")
