"""`factory theme|epic|feature|story …`: the portfolio and product backlogs through the REST API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors, err_console, fail

theme_app = typer.Typer(name="theme", help="Strategic themes in OKR form (through the REST API).", no_args_is_help=True)
epic_app = typer.Typer(
    name="epic", help="Epics, the portfolio kanban and WSJF (through the REST API).", no_args_is_help=True
)
feature_app = typer.Typer(name="feature", help="Features under epics (through the REST API).", no_args_is_help=True)
story_app = typer.Typer(name="story", help="Stories and team backlogs (through the REST API).", no_args_is_help=True)
COMMANDS = (theme_app, epic_app, feature_app, story_app)

JSON_OPTION = typer.Option(
    "--json", help="A JSON file with the request body (the API's fields); options given on the line win."
)


def say(text: str | Table) -> None:
    """Print a line as is: names and titles come from users and may hold [brackets] (no Rich markup)."""
    console.print(text, markup=False, highlight=False)


def _add(table: Table, *cells: str) -> None:
    table.add_row(*(Text(cell) for cell in cells))


def _client() -> ApiClient:
    return ApiClient.from_environment()


def _body(path: Path | None, **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {path}: {exc}", 2) from None
        except json.JSONDecodeError as exc:
            raise fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}", 2) from None
        if not isinstance(loaded, dict):
            raise fail(f"{path} must hold a JSON object", 2)
        body.update(loaded)
    body.update({k: v for k, v in options.items() if v is not None and v != []})
    return body


def _score(values: list[int], note: str) -> dict[str, Any]:
    if len(values) != 4:
        raise fail("give four numbers: user-business value, time criticality, risk reduction, job size", 2)
    names = ("user_business_value", "time_criticality", "risk_reduction", "job_size")
    return {**dict(zip(names, values, strict=True)), "note": note}


def _wsjf(item: dict[str, Any]) -> str:
    score = item.get("score")
    return f"{score['wsjf']:.2f}" if score else "-"


def _column(epic: dict[str, Any]) -> str:
    column = str(epic["state"]) + (f":{epic['substate']}" if epic.get("substate") else "")
    return column + (f" ({epic['done_reason']})" if epic.get("done_reason") else "")


# --- themes ------------------------------------------------------------------------------------------


@theme_app.command("list")
def theme_list(archived: Annotated[bool, typer.Option(help="Include archived themes.")] = False) -> None:
    """List strategic themes with their key results."""
    with domain_errors(), _client() as client:
        themes = client.get("/themes", include_archived=archived)
    table = Table("key", "objective", "key results", "epics")
    for theme in themes:
        results = "\n".join(
            f"{kr['description']} → {kr['target']:g}{kr['unit'] and ' ' + kr['unit']}" for kr in theme["key_results"]
        )
        _add(table, theme["key"], theme["objective"], results or "-", str(theme["epic_count"]))
    say(table)


@theme_app.command("show")
def theme_show(key: Annotated[str, typer.Argument(help="e.g. THEME-1")]) -> None:
    """Show a theme."""
    with domain_errors(), _client() as client:
        theme = client.get(f"/themes/{key}")
    say(f"{theme['key']} {theme['objective']}")
    if theme["description"]:
        say(theme["description"])
    for kr in theme["key_results"]:
        base = f"from {kr['baseline']:g} " if kr["baseline"] is not None else ""
        due = f" by {kr['due']}" if kr["due"] else ""
        say(f"  • {kr['description']}: {base}to {kr['target']:g} {kr['unit']}{due}")


@theme_app.command("create")
def theme_create(
    objective: Annotated[str | None, typer.Option(help="The objective.")] = None,
    description: Annotated[str | None, typer.Option(help="What and why.")] = None,
    key_result: Annotated[
        list[str] | None,
        typer.Option("--key-result", help="DESCRIPTION=TARGET[ UNIT] (repeatable), e.g. 'Market share=15 %'."),
    ] = None,
    from_json: Annotated[Path | None, JSON_OPTION] = None,
) -> None:
    """Create a strategic theme (board)."""
    results = [_key_result(text) for text in key_result or []]
    body = _body(from_json, objective=objective, description=description, key_results=results or None)
    with domain_errors(), _client() as client:
        theme = client.request("POST", "/themes", json=body)
    say(f"created theme {theme['key']}: {theme['objective']}")


def _key_result(text: str) -> dict[str, Any]:
    description, sep, rest = text.rpartition("=")
    value, _, unit = rest.strip().partition(" ")
    try:
        target = float(value)
    except ValueError:
        target = None
    if not sep or not description.strip() or target is None:
        raise fail(f"--key-result {text!r}: write DESCRIPTION=TARGET[ UNIT], e.g. 'Market share=15 %'", 2)
    return {"description": description.strip(), "target": target, "unit": unit.strip()}


# --- epics -------------------------------------------------------------------------------------------


@epic_app.command("list")
def epic_list(
    state: Annotated[str | None, typer.Option(help="funnel, reviewing, analyzing, ready, implementing, done.")] = None,
    theme: Annotated[str | None, typer.Option(help="Only epics of this theme.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only epics of this owner.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Words in the title.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest moves first).")] = 50,
) -> None:
    """List epics."""
    with domain_errors(), _client() as client:
        page = client.get("/epics", state=state, theme=theme, owner=owner, q=search, limit=limit)
    table = Table("key", "title", "column", "owner", "WSJF", "features")
    for epic in page["items"]:
        _add(
            table,
            epic["key"],
            epic["title"],
            _column(epic),
            epic["owner"] or "-",
            _wsjf(epic),
            str(epic["feature_count"]),
        )
    say(table)
    if page["total"] > len(page["items"]):
        say(f"{len(page['items'])} of {page['total']} epics")


@epic_app.command("show")
def epic_show(key: Annotated[str, typer.Argument(help="e.g. EPIC-1")]) -> None:
    """Show an epic: hypothesis, business case, indicators, features and its kanban history."""
    with domain_errors(), _client() as client:
        epic = client.get(f"/epics/{key}")
        features = client.get(f"/epics/{key}/features")
        history = client.get(f"/epics/{key}/transitions")
    say(f"{epic['key']} {epic['title']}  [{_column(epic)}]  WSJF {_wsjf(epic)}")
    say(f"owner: {epic['owner'] or '-'}  themes: {', '.join(epic['themes']) or '-'}  type: {epic['epic_type']}")
    h = epic["hypothesis"]
    if any(h.values()):
        say(
            f"For {h['for_customers']} who {h['who']}, the {h['the_solution']} is a {h['is_a']} that {h['that']}. "
            f"Unlike {h['unlike']}, our solution {h['our_solution']}."
        )
    for outcome in epic["business_outcomes"]:
        say(f"  outcome: {outcome}")
    case = epic["business_case"]
    if case:
        costs = f"MVP {case['mvp_cost']:,} / full {case['full_cost']:,} {epic['currency']}"
        say(f"business case: {costs}, recommendation {case['recommendation']}")
    if epic["leading_indicators"]:
        table = Table("indicator", "query", "baseline", "target", "deadline", "weight")
        for i in epic["leading_indicators"]:
            arrow = "↑" if i["direction"] == "increase" else "↓"
            _add(
                table,
                i["name"],
                i["metric_query"],
                f"{i['baseline']:g}",
                f"{arrow} {i['target']:g}",
                i["deadline"],
                f"{i['weight']:g}",
            )
        say(table)
    if features:
        table = Table("feature", "title", "team", "state", "WSJF")
        for f in features:
            _add(table, f["key"], f["title"], f["team"] or "-", f["state"], _wsjf(f))
        say(table)
    for t in history:
        source = t["from_column"] or "(new)"
        why = f" — {t['reason']}" if t["reason"] else ""
        say(f"  {t['at'][:16]} {t['actor_name']}: {source} → {t['to_column']}{why}")


@epic_app.command("create")
def epic_create(
    *,
    title: Annotated[str | None, typer.Option(help="Short name of the idea.")] = None,
    description: Annotated[str | None, typer.Option(help="What it is.")] = None,
    epic_type: Annotated[str | None, typer.Option("--type", help="business or enabler.")] = None,
    owner: Annotated[str | None, typer.Option(help="Username of the epic owner.")] = None,
    theme: Annotated[list[str] | None, typer.Option("--theme", help="Theme key (repeatable).")] = None,
    from_json: Annotated[Path | None, JSON_OPTION] = None,
) -> None:
    """Create an epic (it enters the Funnel). Hypothesis, business case and indicators: use --json."""
    body = _body(from_json, title=title, description=description, epic_type=epic_type, owner=owner, themes=theme)
    with domain_errors(), _client() as client:
        epic = client.request("POST", "/epics", json=body)
    say(f"created epic {epic['key']} in the funnel: {epic['title']}")


@epic_app.command("update")
def epic_update(
    key: Annotated[str, typer.Argument(help="e.g. EPIC-1")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    owner: Annotated[str | None, typer.Option(help="New owner (username).")] = None,
    mvp: Annotated[str | None, typer.Option(help="The MVP definition.")] = None,
    from_json: Annotated[Path | None, JSON_OPTION] = None,
) -> None:
    """Change an epic; the fields in --json replace theirs (lists are replaced whole)."""
    body = _body(from_json, title=title, owner=owner, mvp_definition=mvp)
    if not body:
        raise fail("nothing to change: give options or --json", 2)
    with domain_errors(), _client() as client:
        epic = client.request("PATCH", f"/epics/{key}", json=body)
    say(f"updated {epic['key']}")


@epic_app.command("move")
def epic_move(
    key: Annotated[str, typer.Argument(help="e.g. EPIC-1")],
    to: Annotated[str, typer.Argument(help="funnel, reviewing, analyzing, ready, implementing[:persevere], done.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
    done_reason: Annotated[
        str | None, typer.Option(help="Moving to done: completed, no-go, stopped-after-mvp, rejected.")
    ] = None,
    override: Annotated[
        str | None, typer.Option(help="Pass a full column (board only); the reason is recorded.")
    ] = None,
) -> None:
    """Move an epic on the portfolio kanban."""
    body = {"to": to, "reason": reason, "done_reason": done_reason, "wip_override_reason": override}
    with domain_errors(), _client() as client:
        moved = client.request("POST", f"/epics/{key}/moves", json={k: v for k, v in body.items() if v is not None})
    t = moved["transition"]
    note = " (WIP limit overridden)" if t["wip_override"] else ""
    say(f"{moved['epic']['key']}: {t['from_column']} → {t['to_column']}{note}")


@epic_app.command("decide")
def epic_decide(
    key: Annotated[str, typer.Argument(help="e.g. EPIC-1")],
    kind: Annotated[str, typer.Argument(help="go, no-go, persevere, pivot or stop.")],
    rationale: Annotated[str, typer.Option(help="Why the board decided so.")],
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help="NAME=VALUE observed (repeatable).")] = None,
    override: Annotated[str | None, typer.Option(help="Pass a full column; the reason is recorded.")] = None,
) -> None:
    """Record a board decision; no-go, persevere, pivot and stop also move the epic."""
    observed: dict[str, float] = {}
    for item in evidence or []:
        name, _, value = item.rpartition("=")
        try:
            observed[name.strip()] = float(value)
        except ValueError:
            raise fail(f"--evidence {item!r}: write NAME=NUMBER", 2) from None
    body: dict[str, Any] = {"kind": kind, "rationale": rationale, "evidence": observed}
    if override is not None:
        body["wip_override_reason"] = override
    with domain_errors(), _client() as client:
        result = client.request("POST", f"/epics/{key}/decisions", json=body)
    moved = f"; moved to {result['transition']['to_column']}" if result["transition"] else ""
    say(f"{key.upper()}: {kind} recorded{moved}")


@epic_app.command("score")
def epic_score(
    key: Annotated[str, typer.Argument(help="e.g. EPIC-1")],
    values: Annotated[list[int], typer.Argument(help="UBV TC RR JOB-SIZE, each 1 2 3 5 8 13 or 20.")],
    note: Annotated[str, typer.Option(help="Why the score changed.")] = "",
) -> None:
    """Score an epic with WSJF: cost of delay (UBV + TC + RR) / job size."""
    with domain_errors(), _client() as client:
        epic = client.request("POST", f"/epics/{key}/scores", json=_score(values, note))
    say(f"{epic['key']}: WSJF {_wsjf(epic)} (cost of delay {epic['score']['cost_of_delay']})")


@epic_app.command("backlog")
def epic_backlog() -> None:
    """The WSJF-ranked backlog of Reviewing, Analyzing and Ready."""
    with domain_errors(), _client() as client:
        ranked = client.get("/portfolio/backlog")
    table = Table("#", "key", "title", "column", "UBV", "TC", "RR", "size", "CoD", "WSJF")
    for entry in ranked["entries"]:
        epic, score = entry["epic"], entry["epic"]["score"]
        parts = (
            [
                str(score[n])
                for n in ("user_business_value", "time_criticality", "risk_reduction", "job_size", "cost_of_delay")
            ]
            if score
            else ["-"] * 5
        )
        _add(table, str(entry["rank"]), epic["key"], epic["title"], _column(epic), *parts, _wsjf(epic))
    say(table)
    if ranked["columns_without_one"]:
        say(f"note: no 1 in {', '.join(ranked['columns_without_one'])} (the smallest item gets 1)")


@epic_app.command("board")
def epic_board() -> None:
    """The portfolio kanban: each column's count and WIP limit."""
    with domain_errors(), _client() as client:
        board = client.get("/portfolio/board", cards=5)
    table = Table("column", "epics", "WIP limit", "top")
    for column in board["columns"]:
        limit = "-" if column["wip_limit"] is None else str(column["wip_limit"])
        _add(table, column["label"], str(column["count"]), limit, ", ".join(c["key"] for c in column["cards"]))
    say(table)


@epic_app.command("kanban")
def epic_kanban(
    wip: Annotated[list[str] | None, typer.Option("--wip", help="STATE=LIMIT or STATE=none (repeatable).")] = None,
    gate: Annotated[list[str] | None, typer.Option("--gate", help="GATE=on|off (repeatable).")] = None,
) -> None:
    """Show the kanban's WIP limits and gates, or change them (admin and board)."""
    limits: dict[str, int | None] = {}
    for item in wip or []:
        state, _, value = item.partition("=")
        if value.strip().lower() in {"none", "-", ""}:
            limits[state.strip()] = None
        elif value.strip().isdigit():
            limits[state.strip()] = int(value)
        else:
            raise fail(f"--wip {item!r}: write STATE=LIMIT or STATE=none", 2)
    gates: dict[str, bool] = {}
    for item in gate or []:
        name, _, value = item.partition("=")
        if value.strip().lower() not in {"on", "off"}:
            raise fail(f"--gate {item!r}: write GATE=on or GATE=off", 2)
        gates[name.strip()] = value.strip().lower() == "on"
    with domain_errors(), _client() as client:
        if limits or gates:
            config = client.request("PATCH", "/portfolio/kanban", json={"wip_limits": limits, "gates": gates})
        else:
            config = client.get("/portfolio/kanban")
    table = Table("state", "WIP limit")
    for s in config["states"]:
        _add(table, s["label"], "-" if s["wip_limit"] is None else str(s["wip_limit"]))
    say(table)
    gates_table = Table("gate", "on", "rule")
    for g in config["gates"]:
        _add(gates_table, g["gate"], "yes" if g["enabled"] else "no", g["description"])
    say(gates_table)


@epic_app.command("import")
def epic_import(
    file: Annotated[Path, typer.Argument(help="A CSV or JSON file (see docs/portfolio.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; store nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Import the valid rows, skip the rest.")] = False,
    file_format: Annotated[str | None, typer.Option("--format", help="csv or json (default: by extension).")] = None,
) -> None:
    """Import epics and features; nothing is stored when any row is invalid (unless --skip-invalid)."""
    fmt = file_format or ("json" if file.suffix.lower() == ".json" else "csv")
    if fmt not in {"csv", "json"}:
        raise fail(f"--format {fmt!r}: csv or json", 2)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}", 2) from None
    content_type = "text/csv" if fmt == "csv" else "application/json"
    with domain_errors(), _client() as client:
        report = client.request(
            "POST",
            "/epics/import",
            params={"format": fmt, "dry_run": dry_run, "skip_invalid": skip_invalid},
            content=content,
            headers={"Content-Type": content_type},
        )
    _print_import(report)
    if report["errors"] and not skip_invalid:
        raise typer.Exit(2)


def _print_import(report: dict[str, Any]) -> None:
    if report["errors"]:
        table = Table("row", "ref", "field", "reason", title="invalid rows")
        for e in report["errors"]:
            _add(table, str(e["row"]), e["ref"] or "-", e["field"], e["reason"])
        err_console.print(table)
    if report["ignored_columns"]:
        err_console.print(f"ignored columns: {', '.join(report['ignored_columns'])}", markup=False)
    verb = "would import" if report["dry_run"] else "imported"
    if report["errors"] and not report["skip_invalid"]:
        say(f"nothing imported: {len(report['errors'])} problem(s); fix them or use --skip-invalid")
        return
    skipped = f", skipped {report['skipped']} row(s)" if report["skipped"] else ""
    say(f"{verb} {report['epics']} epic(s) and {report['features']} feature(s){skipped}")
    if not report["dry_run"] and report["items"]:
        keys = [i["key"] for i in report["items"]]
        say(f"keys: {keys[0]} … {keys[-1]}" if len(keys) > 10 else f"keys: {', '.join(keys)}")


# --- features ----------------------------------------------------------------------------------------


@feature_app.command("list")
def feature_list(
    epic: Annotated[str | None, typer.Option(help="Only features of this epic.")] = None,
    team: Annotated[str | None, typer.Option(help="Only features of this team.")] = None,
    state: Annotated[str | None, typer.Option(help="new, active, waiting or done.")] = None,
    limit: Annotated[int, typer.Option(help="How many (by WSJF).")] = 50,
) -> None:
    """List features, ranked by WSJF."""
    with domain_errors(), _client() as client:
        page = client.get("/features", epic=epic, team=team, state=state, limit=limit)
    table = Table("key", "epic", "title", "team", "state", "type", "WSJF", "stories")
    for f in page["items"]:
        _add(
            table,
            f["key"],
            f["epic"],
            f["title"],
            f["team"] or "-",
            f["state"],
            f["flow_item"],
            _wsjf(f),
            f"{f['stories_done']}/{f['story_count']}",
        )
    say(table)


@feature_app.command("show")
def feature_show(key: Annotated[str, typer.Argument(help="e.g. FEAT-1")]) -> None:
    """Show a feature and its stories."""
    with domain_errors(), _client() as client:
        f = client.get(f"/features/{key}")
        stories = client.get("/stories", feature=key, limit=200)
    say(f"{f['key']} {f['title']}  ({f['epic']}, {f['feature_type']} {f['flow_item']}, {f['state']})")
    say(f"team: {f['team'] or '-'}  WSJF {_wsjf(f)}")
    if f["benefit_hypothesis"]:
        say(f"benefit hypothesis: {f['benefit_hypothesis']}")
    for criterion in f["acceptance_criteria"]:
        say(f"  ✓ {criterion}")
    for s in stories["items"]:
        say(f"  {s['key']} [{s['state']}] {s['title']} ({s['team'] or 'no team'})")


@feature_app.command("create")
def feature_create(
    *,
    epic: Annotated[str | None, typer.Option(help="The epic, e.g. EPIC-1.")] = None,
    title: Annotated[str | None, typer.Option(help="Short name.")] = None,
    team: Annotated[str | None, typer.Option(help="The team that takes it.")] = None,
    benefit: Annotated[str | None, typer.Option(help="The benefit hypothesis.")] = None,
    criterion: Annotated[
        list[str] | None, typer.Option("--criterion", help="Acceptance criterion (repeatable).")
    ] = None,
    feature_type: Annotated[str | None, typer.Option("--type", help="business or enabler.")] = None,
    flow_item: Annotated[str | None, typer.Option(help="feature, defect, risk or debt.")] = None,
    from_json: Annotated[Path | None, JSON_OPTION] = None,
) -> None:
    """Create a feature under an epic."""
    body = _body(
        from_json,
        epic=epic,
        title=title,
        team=team,
        benefit_hypothesis=benefit,
        acceptance_criteria=criterion,
        feature_type=feature_type,
        flow_item=flow_item,
    )
    with domain_errors(), _client() as client:
        f = client.request("POST", "/features", json=body)
    say(f"created feature {f['key']} under {f['epic']}: {f['title']}")


@feature_app.command("assign")
def feature_assign(
    key: Annotated[str, typer.Argument(help="e.g. FEAT-1")],
    team: Annotated[str, typer.Argument(help="Team key, or - for none.")],
) -> None:
    """Hand a feature to a team."""
    with domain_errors(), _client() as client:
        f = client.request("PATCH", f"/features/{key}", json={"team": None if team == "-" else team})
    say(f"{f['key']} → {f['team'] or 'no team'}")


@feature_app.command("move")
def feature_move(
    key: Annotated[str, typer.Argument(help="e.g. FEAT-1")],
    to: Annotated[str, typer.Argument(help="new, active, waiting or done.")],
    reason: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Change a feature's flow state."""
    with domain_errors(), _client() as client:
        f = client.request("POST", f"/features/{key}/state", json={"to": to, "reason": reason})
    say(f"{f['key']} is {f['state']}")


@feature_app.command("score")
def feature_score(
    key: Annotated[str, typer.Argument(help="e.g. FEAT-1")],
    values: Annotated[list[int], typer.Argument(help="UBV TC RR JOB-SIZE, each 1 2 3 5 8 13 or 20.")],
    note: Annotated[str, typer.Option(help="Why the score changed.")] = "",
) -> None:
    """Score a feature with WSJF."""
    with domain_errors(), _client() as client:
        f = client.request("POST", f"/features/{key}/scores", json=_score(values, note))
    say(f"{f['key']}: WSJF {_wsjf(f)}")


# --- stories -----------------------------------------------------------------------------------------


@story_app.command("list")
def story_list(
    feature: Annotated[str | None, typer.Option(help="Only stories of this feature.")] = None,
    team: Annotated[str | None, typer.Option(help="Only stories of this team.")] = None,
    state: Annotated[str | None, typer.Option(help="new, active, waiting or done.")] = None,
    limit: Annotated[int, typer.Option(help="How many (backlog order).")] = 50,
) -> None:
    """List stories."""
    with domain_errors(), _client() as client:
        page = client.get("/stories", feature=feature, team=team, state=state, limit=limit)
    _stories_table(page["items"])


def _stories_table(stories: list[dict[str, Any]]) -> None:
    table = Table("key", "feature", "title", "team", "state", "points")
    for s in stories:
        points = "-" if s["points"] is None else str(s["points"])
        _add(table, s["key"], s["feature"], s["title"], s["team"] or "-", s["state"], points)
    say(table)


@story_app.command("show")
def story_show(key: Annotated[str, typer.Argument(help="e.g. STORY-1")]) -> None:
    """Show a story and its flow-state history."""
    with domain_errors(), _client() as client:
        s = client.get(f"/stories/{key}")
        history = client.get(f"/stories/{key}/history")
    say(f"{s['key']} {s['title']}  ({s['feature']} / {s['epic']}, {s['state']}, {s['team'] or 'no team'})")
    if s["description"]:
        say(s["description"])
    for h in history:
        say(f"  {h['at'][:16]} {h['actor_name']}: {h['from_state'] or '(new)'} → {h['to_state']}")


@story_app.command("create")
def story_create(
    feature: Annotated[str, typer.Option(help="The feature, e.g. FEAT-1.")],
    title: Annotated[str, typer.Option(help="Short name.")],
    description: Annotated[str | None, typer.Option(help="As a …, I want … so that ….")] = None,
    team: Annotated[str | None, typer.Option(help="Default: the feature's team.")] = None,
    points: Annotated[int | None, typer.Option(help="Story points.")] = None,
) -> None:
    """Create a story under a feature; it joins the end of its team's backlog."""
    body = _body(None, feature=feature, title=title, description=description, team=team, points=points)
    with domain_errors(), _client() as client:
        s = client.request("POST", "/stories", json=body)
    say(f"created story {s['key']} for {s['team'] or 'no team'}: {s['title']}")


@story_app.command("move")
def story_move(
    key: Annotated[str, typer.Argument(help="e.g. STORY-1")],
    to: Annotated[str, typer.Argument(help="new, active, waiting or done.")],
    reason: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Change a story's flow state."""
    with domain_errors(), _client() as client:
        s = client.request("POST", f"/stories/{key}/state", json={"to": to, "reason": reason})
    say(f"{s['key']} is {s['state']}")


@story_app.command("backlog")
def story_backlog(
    team: Annotated[str, typer.Argument(help="Team key.")],
    order: Annotated[
        list[str] | None, typer.Option("--order", help="Story keys in their new order (repeatable).")
    ] = None,
) -> None:
    """Show a team's backlog, or reorder stories in it."""
    with domain_errors(), _client() as client:
        if order:
            backlog = client.request("PUT", f"/backlogs/{team}", json={"stories": order})
        else:
            backlog = client.get(f"/backlogs/{team}")
    _stories_table(backlog["stories"])
