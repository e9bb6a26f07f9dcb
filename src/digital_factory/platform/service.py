"""Platform use-cases, the domain's public face: golden-path templates, one-step onboarding, the
template fleet, scorecards, and the background jobs that run onboarding and upgrades. Callers own the
transaction (the job runners open their own).

The use-cases live in topic modules (the template registry, onboarding, the fleet, scoring, the job
runner); this module is what other layers import."""

from __future__ import annotations

from digital_factory.platform.context import PlatformContext
from digital_factory.platform.fleet import (
    UpgradeOutcome,
    UpgradePlan,
    fleet,
    fleet_page,
    list_upgrades,
    on_push,
    perform_upgrade,
    plan_upgrades,
    record_upgrade,
)
from digital_factory.platform.onboarding import (
    ONBOARDING_STEPS,
    check_onboarding,
    get_onboarding,
    list_onboardings,
    onboard,
    record_failed_onboarding,
)
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.registry import (
    ensure_builtin_templates,
    get_template,
    list_templates,
    refresh_template,
    register_template,
    render_template,
    set_template_trust,
    template_questions,
)
from digital_factory.platform.runner import start_onboarding, start_upgrades
from digital_factory.platform.scoring import scorecard_page, scorecard_report

__all__ = [
    "ONBOARDING_STEPS",
    "JobBoard",
    "PlatformContext",
    "UpgradeOutcome",
    "UpgradePlan",
    "check_onboarding",
    "ensure_builtin_templates",
    "fleet",
    "fleet_page",
    "get_onboarding",
    "get_template",
    "list_onboardings",
    "list_templates",
    "list_upgrades",
    "on_push",
    "onboard",
    "perform_upgrade",
    "plan_upgrades",
    "record_failed_onboarding",
    "record_upgrade",
    "refresh_template",
    "register_template",
    "render_template",
    "scorecard_page",
    "scorecard_report",
    "set_template_trust",
    "start_onboarding",
    "start_upgrades",
    "template_questions",
]
