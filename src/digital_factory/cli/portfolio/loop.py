"""`factory epic loop EPIC-1` and `factory feature loop FEAT-1`: who and what serves the work, where each
service stands, the flags' exposure, value lead time, DORA and incidents (through the REST API)."""

from __future__ import annotations

import json

from digital_factory.cli.client import api, segment
from digital_factory.cli.options import ApiJson
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.cli.portfolio.apps import epic_app, feature_app
from digital_factory.cli.portfolio.common import EpicKey, FeatureKey
from digital_factory.core.durations import elapsed
from digital_factory.insights.schemas import WorkLoop


@epic_app.command("loop")
def epic_loop(key: EpicKey, as_json: ApiJson = False) -> None:
    """The epic's loop: teams and services serving it, their latest run and deployments, flags, lead time,
    DORA, incidents and decisions."""
    _show(f"/epics/{segment(key)}/loop", as_json)


@feature_app.command("loop")
def feature_loop(key: FeatureKey, as_json: ApiJson = False) -> None:
    """The feature's slice of its epic's loop."""
    _show(f"/features/{segment(key)}/loop", as_json)


def _show(path: str, as_json: bool) -> None:
    with domain_errors():
        if as_json:
            say(json.dumps(api().get(path), indent=2))
            return
        loop: WorkLoop = api().read(WorkLoop, path)
    say(f"{loop.key} {loop.title}  (epic {loop.epic})")
    if loop.hypothesis is not None:
        h = loop.hypothesis
        say(f"hypothesis: {h.status}, score {h.score:.2f}, recommendation {h.recommendation}")
    deployments = [
        [
            s.key,
            s.owner_team or "-",
            ", ".join(s.serves) or "-",
            f"#{s.latest_run.id} {s.latest_run.status}" if s.latest_run else "-",
            e.environment,
            f"{e.deployment.version} {e.deployment.status}" if e.deployment else "never deployed",
        ]
        for s in loop.services
        for e in s.environments
    ]
    print_table(["service", "team", "serves", "latest run", "environment", "latest deployment"], deployments)
    flags = [
        [f"{f.service}/{f.key}", f.feature, "  ".join(f"{e.environment} {e.exposure:g}%" for e in f.environments)]
        for f in loop.flags
    ]
    print_table(["flag", "feature", "exposure"], flags)
    _lead_and_dora(loop)


def _lead_and_dora(loop: WorkLoop) -> None:
    features = [
        [f.key, f.lead_time.exposed_by or "not yet", elapsed(f.lead_time.lead_time_seconds, missing="-")]
        for f in loop.features
    ]
    print_table(["feature", "exposed by", "value lead time"], features)
    f = loop.dora.figures
    say(
        f"DORA: {f.deployment_frequency.sample_size} deployments, change lead time "
        f"{elapsed(f.change_lead_time.value, missing='-')} (n = {f.change_lead_time.sample_size}), change fail "
        f"rate {'-' if f.change_fail_rate.value is None else f'{f.change_fail_rate.value:.1%}'}"
        f" (n = {f.change_fail_rate.sample_size})"
    )
    for i in loop.incidents:
        say(f"incident {i.key} [{i.status}] {i.service}/{i.environment}: {i.title}")
    for d in loop.decisions:
        say(f"decision {d.at:%Y-%m-%d}: {d.kind}: {d.rationale}")
