"""Running onboarding and fleet upgrades as background jobs with live progress.

These runners open their own units of work (like any background job) and report to a `JobBoard`;
the API and the web UI start them and the CLI follows them through the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from digital_factory.core.actor import Actor
from digital_factory.core.errors import DomainError
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.fleet import UpgradePlan, perform_upgrade, plan_upgrades, record_upgrade
from digital_factory.platform.onboarding import ONBOARDING_STEPS, check_onboarding, onboard, record_failed_onboarding
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.schemas import OnboardingRequest, StepStatus, UpgradeRequest, UpgradeStatus
from digital_factory.store.uow import Store

log = logging.getLogger(__name__)

Submit = Callable[[str, Callable[[], object]], object]


def start_onboarding(
    store: Store, ctx: PlatformContext, board: JobBoard, submit: Submit, *, actor: Actor, data: OnboardingRequest
) -> str:
    """Check the request now (bad input is refused at once), then onboard in the background."""
    with store.unit_of_work(actor, write=False) as uow:
        check_onboarding(uow, data)
    job_id = board.create(
        "onboarding", actor.name, f"Onboard {data.team_key} with {data.service_key}", ONBOARDING_STEPS
    )
    submit(
        f"onboard-{data.service_key}", lambda: run_onboarding(store, ctx, board, actor=actor, data=data, job_id=job_id)
    )
    return job_id


def run_onboarding(
    store: Store, ctx: PlatformContext, board: JobBoard, *, actor: Actor, data: OnboardingRequest, job_id: str
) -> None:
    def sink(name: str, status: StepStatus, detail: str) -> None:
        board.step(job_id, name, status, detail)

    try:
        with store.unit_of_work(actor) as uow:
            result = onboard(uow, ctx, data, sink, job_id=job_id)
    except Exception as exc:
        error = exc.detail if isinstance(exc, DomainError) else f"internal error ({type(exc).__name__}); see the log"
        if not isinstance(exc, DomainError):
            log.exception("onboarding %s failed", job_id)
        board.finish(job_id, error=error)
        steps = board.get(job_id, viewer=actor.name).steps
        try:
            with store.unit_of_work(actor) as uow:
                record_failed_onboarding(uow, job_id, data, steps, error)
        except Exception:
            log.exception("could not record the failed onboarding %s", job_id)
        return
    board.finish(
        job_id,
        result=result.model_dump(mode="json", exclude={"ingestion_key"}),
        secret_fields={"ingestion_key": result.ingestion_key or ""},
    )


def start_upgrades(
    store: Store, ctx: PlatformContext, board: JobBoard, submit: Submit, *, actor: Actor, data: UpgradeRequest
) -> str:
    with store.unit_of_work(actor, write=False) as uow:
        plans = plan_upgrades(uow, ctx, data.services, every=data.all)
    steps = [(p.service, f"{p.service}: {p.template.key} {p.from_version} → {p.to_version}") for p in plans]
    job_id = board.create("upgrade", actor.name, f"Upgrade {len(plans)} service(s) to their newest template", steps)
    submit("template-upgrade", lambda: run_upgrades(store, ctx, board, actor=actor, plans=plans, job_id=job_id))
    return job_id


def run_upgrades(
    store: Store,
    ctx: PlatformContext,
    board: JobBoard,
    *,
    actor: Actor,
    plans: list[UpgradePlan],
    job_id: str,
) -> None:
    results: list[dict[str, Any]] = []
    try:
        for plan in plans:
            board.step(job_id, plan.service, StepStatus.RUNNING)
            outcome = perform_upgrade(ctx, plan)
            with store.unit_of_work(actor) as uow:
                record = record_upgrade(uow, ctx, plan, outcome)
            results.append(record.model_dump(mode="json"))
            status = {
                UpgradeStatus.UPGRADED: StepStatus.DONE,
                UpgradeStatus.CURRENT: StepStatus.SKIPPED,
            }.get(outcome.status, StepStatus.FAILED)
            board.step(job_id, plan.service, status, f"{outcome.status}: {outcome.detail}")
    except Exception as exc:
        log.exception("template upgrade job %s failed", job_id)
        board.finish(job_id, error=f"{type(exc).__name__}: {exc}"[:500], result={"upgrades": results})
        return
    board.finish(job_id, result={"upgrades": results})
