"""Previews: which variant a context gets, with the stored configuration or an unsaved draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import ValidationFailed
from digital_factory.releases import evaluation
from digital_factory.releases.schemas import (
    FlagConfig,
    PreviewResult,
)
from digital_factory.releases.state import checked_config, current_config, flag_row, segments_of
from digital_factory.store.uow import UnitOfWork


def preview(
    uow: UnitOfWork,
    service_key: str,
    flag_key: str,
    context: Mapping[str, Any],
    *,
    environment: str | None = None,
    draft: FlagConfig | None = None,
) -> list[PreviewResult]:
    """Which variant does this context get, in each environment (or with an unsaved draft)?"""
    require(uow.actor, Permission.READ)
    if draft is not None and environment is None:
        raise ValidationFailed.on("environment", "a draft is previewed in one environment: name it")
    flag = flag_row(uow, catalog.service_id(uow, service_key), flag_key)
    environments = catalog.list_environments(uow, service_key)
    if environment is not None:
        environments = [catalog.get_environment(uow, service_key, environment)]
    results = []
    for env in environments:
        stored, _ = current_config(uow, flag, env.id)
        config = (
            checked_config(uow, flag, env.id, draft.model_dump(mode="json", exclude_none=True)) if draft else stored
        )
        compiled = evaluation.CompiledFlag(
            key=flag.key,
            flag_type=flag.flag_type,
            variants=flag.variants,
            config=config,
            segments=segments_of(uow, env.id),
        )
        outcome = compiled.evaluate(context)
        targeting_key = context.get(evaluation.TARGETING_KEY)
        results.append(
            PreviewResult(
                environment=env.name,
                variant=outcome.variant,
                value=compiled.value_of(outcome),
                reason=outcome.reason,
                error_code=outcome.error_code,
                error_details=outcome.error_details,
                rule=outcome.rule,
                bucket=evaluation.bucket(flag.key, targeting_key) if isinstance(targeting_key, str) else None,
                draft=draft is not None,
            )
        )
    return results
