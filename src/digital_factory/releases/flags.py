"""Flags: create, read, change their variants, archive."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Environment
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.schemas import copied
from digital_factory.portfolio import service as portfolio
from digital_factory.releases import changes, evaluation, models
from digital_factory.releases.applying import record_release
from digital_factory.releases.ownership import require_flag_owner
from digital_factory.releases.schemas import (
    MAX_VARIANTS,
    VARIANT_PATTERN,
    ChangeStatus,
    EnvironmentState,
    Flag,
    FlagConfig,
    FlagCreate,
    FlagType,
    FlagUpdate,
)
from digital_factory.releases.state import OPEN_STATUSES, bump, flag_row, refuse_archived
from digital_factory.store.uow import UnitOfWork


def create_flag(uow: UnitOfWork, service_key: str, data: FlagCreate) -> Flag:
    require_flag_owner(uow, service_key, f"the flags of {service_key}")
    service_id = catalog.service_id(uow, service_key)
    environments = catalog.list_environments(uow, service_key)
    if uow.session.scalar(
        select(models.Flag.id).where(models.Flag.service_id == service_id, models.Flag.key == data.key)
    ):
        raise Conflict(f"service {service_key!r} already has a flag {data.key!r}", rule="unique-flag-key")
    variants = _checked_variants(data.type, data.variants)
    names = list(variants)
    if data.type is FlagType.BOOLEAN and {"on", "off"} <= set(names):
        default_variant, off_variant = data.default_variant or "on", data.off_variant or "off"
    else:
        default_variant, off_variant = data.default_variant or names[0], data.off_variant or names[0]
    for field_name, name in (("default_variant", default_variant), ("off_variant", off_variant)):
        if name not in variants:
            raise ValidationFailed.on(field_name, f"{name!r} is not one of the variants ({', '.join(names)})")
    row = models.Flag(
        service_id=service_id,
        key=data.key,
        name=data.name or data.key,
        description=data.description,
        flag_type=str(data.type),
        variants=variants,
        default_variant=default_variant,
        off_variant=off_variant,
        feature_key=_known_feature(uow, data.feature),
        created_at=uow.clock.now(),
        created_by=uow.actor.name,
    )
    uow.session.add(row)
    uow.session.flush()
    bump(uow, service_id, [e.id for e in environments])
    record_audit(uow, "flag.create", "flag", f"{service_key}/{row.key}", after=_flag_view(row))
    return _flag_out(uow, service_key, environments, row)


def get_flag(uow: UnitOfWork, service_key: str, flag_key: str) -> Flag:
    require(uow.actor, Permission.READ)
    row = flag_row(uow, catalog.service_id(uow, service_key), flag_key)
    return _flag_out(uow, service_key, catalog.list_environments(uow, service_key), row)


def list_flags(uow: UnitOfWork, service_key: str, *, include_archived: bool = False) -> list[Flag]:
    require(uow.actor, Permission.READ)
    service_id = catalog.service_id(uow, service_key)
    environments = catalog.list_environments(uow, service_key)
    query = select(models.Flag).where(models.Flag.service_id == service_id)
    if not include_archived:
        query = query.where(models.Flag.archived_at.is_(None))
    rows = uow.session.scalars(query.order_by(models.Flag.key)).all()
    states = _states_of(uow, [r.id for r in rows])
    return [_flag_out(uow, service_key, environments, row, states.get(row.id, {})) for row in rows]


def flags_releasing(uow: UnitOfWork, feature_keys: Collection[str]) -> list[Flag]:
    """The live flags that release any of the features, with their state per environment, by service and
    key. A fixed number of reads however many features and flags."""
    require(uow.actor, Permission.READ)
    wanted = sorted({k.strip().upper() for k in feature_keys})
    if not wanted:
        return []
    rows = uow.session.scalars(
        select(models.Flag).where(models.Flag.feature_key.in_(wanted), models.Flag.archived_at.is_(None))
    ).all()
    refs = catalog.service_refs_by_id(uow, {r.service_id for r in rows})
    environments = catalog.environments_by_service(uow, {i: ref.key for i, ref in refs.items()})
    states = _states_of(uow, [r.id for r in rows])
    flags = [
        _flag_out(uow, refs[r.service_id].key, environments.get(r.service_id, []), r, states.get(r.id, {}))
        for r in rows
    ]
    return sorted(flags, key=lambda f: (f.service, f.key))


def flags_of_services(uow: UnitOfWork, service_keys: Collection[str]) -> dict[str, list[Flag]]:
    """The live flags of each service named (by key; a service without flags has none), with their state per
    environment: a fixed number of reads however many services and flags (a list page's rows)."""
    require(uow.actor, Permission.READ)
    ids = catalog.service_ids(uow, service_keys)
    unknown = sorted(set(service_keys) - set(ids))
    if unknown:
        raise NotFound(f"no service with the key {unknown[0]!r}")
    keys = {ident: key for key, ident in ids.items()}
    found: dict[str, list[Flag]] = {key: [] for key in ids}
    if not keys:
        return found
    rows = uow.session.scalars(
        select(models.Flag)
        .where(models.Flag.service_id.in_(keys), models.Flag.archived_at.is_(None))
        .order_by(models.Flag.key)
    ).all()
    environments = catalog.environments_by_service(uow, keys)
    states = _states_of(uow, [r.id for r in rows])
    for r in rows:
        key = keys[r.service_id]
        found[key].append(_flag_out(uow, key, environments.get(r.service_id, []), r, states.get(r.id, {})))
    return found


def update_flag(uow: UnitOfWork, service_key: str, flag_key: str, data: FlagUpdate) -> Flag:
    service_id, row, environments = _changeable(uow, service_key, flag_key)
    before = _flag_view(row)
    changes_given = data.model_dump(exclude_unset=True)
    if "name" in changes_given and data.name is not None:
        row.name = data.name
    if "description" in changes_given and data.description is not None:
        row.description = data.description
    if "feature" in changes_given:
        row.feature_key = _known_feature(uow, data.feature)
    if data.variants is not None:
        row.variants = _changed_variants(uow, row, data.variants)
        bump(uow, service_id, [e.id for e in environments])
    uow.session.flush()
    record_audit(uow, "flag.update", "flag", f"{service_key}/{row.key}", before=before, after=_flag_view(row))
    return _flag_out(uow, service_key, environments, row)


def archive_flag(uow: UnitOfWork, service_key: str, flag_key: str) -> Flag:
    """Retire a flag: SDKs get FLAG_NOT_FOUND (their code default). Only when it is off everywhere."""
    service_id, row, environments = _changeable(uow, service_key, flag_key)
    states = _states_of(uow, [row.id]).get(row.id, {})
    still_on = [e.name for e in environments if e.id in states and states[e.id].config.get("enabled")]
    if still_on:
        raise Conflict(
            f"flag {flag_key!r} is still on in {', '.join(still_on)}: turn it off there first",
            rule="flag-still-on",
        )
    now = uow.clock.now()
    row.archived_at = now
    for change in uow.session.scalars(
        select(models.Change).where(models.Change.flag_id == row.id, models.Change.status.in_(OPEN_STATUSES))
    ):
        change.status = ChangeStatus.CANCELLED.value
        change.note = "the flag was archived"
        change.decided_at = now
        change.decided_by = uow.actor.name
    for environment in environments:
        state = states.get(environment.id)
        if state is not None:
            record_release(
                uow,
                row,
                environment,
                state.config,
                {"archived": True},
                kind="archive",
                summary="archived: SDKs fall back to their code default",
                change=None,
                exposure_after=0.0,
            )
    bump(uow, service_id, [e.id for e in environments])
    record_audit(uow, "flag.archive", "flag", f"{service_key}/{row.key}", before=_flag_view(row))
    return _flag_out(uow, service_key, environments, row, states)


@dataclass(frozen=True)
class _StateView:
    config: dict[str, Any]
    version: int
    updated_at: datetime | None
    updated_by: str | None


def _changeable(uow: UnitOfWork, service_key: str, flag_key: str) -> tuple[int, models.Flag, list[Environment]]:
    """The service's id, its live (not archived) flag and its environments, once the actor may change its flags."""
    require_flag_owner(uow, service_key, f"the flags of {service_key}")
    service_id = catalog.service_id(uow, service_key)
    row = flag_row(uow, service_id, flag_key)
    refuse_archived(row)
    return service_id, row, catalog.list_environments(uow, service_key)


def _checked_variants(flag_type: FlagType, variants: Mapping[str, Any] | None) -> dict[str, Any]:
    if variants is None:
        if flag_type is not FlagType.BOOLEAN:
            raise ValidationFailed.on("variants", f"a {flag_type} flag needs its variants (name -> value)")
        return {"on": True, "off": False}
    if not 2 <= len(variants) <= MAX_VARIANTS:
        raise ValidationFailed.on("variants", f"give between 2 and {MAX_VARIANTS} variants")
    checked = {}
    for name, value in variants.items():
        checked[name] = _checked_value(flag_type, name, value)
    return checked


def _checked_value(flag_type: FlagType, name: str, value: Any) -> Any:
    if not re.match(VARIANT_PATTERN, name):
        raise ValidationFailed.on(f"variants.{name}", "a variant name is letters, digits, '.', '_' or '-'")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    fits = {
        FlagType.BOOLEAN: isinstance(value, bool),
        FlagType.STRING: isinstance(value, str),
        FlagType.INTEGER: isinstance(value, int) and not isinstance(value, bool),
        FlagType.FLOAT: number,
        FlagType.OBJECT: isinstance(value, dict | list),
    }[flag_type]
    if not fits:
        raise ValidationFailed.on(f"variants.{name}", f"must be a {flag_type} value (got {type(value).__name__})")
    return float(value) if flag_type is FlagType.FLOAT else value


def _changed_variants(uow: UnitOfWork, row: models.Flag, variants: Mapping[str, Any]) -> dict[str, Any]:
    checked = _checked_variants(FlagType(row.flag_type), variants)
    for name, value in checked.items():
        if name in row.variants and row.variants[name] != value:
            raise ValidationFailed.on(
                f"variants.{name}", "a variant's value never changes (releases refer to it); add a new variant"
            )
    removed = set(row.variants) - set(checked)
    if removed:
        used = {row.default_variant, row.off_variant}
        for state in uow.session.scalars(select(models.FlagState).where(models.FlagState.flag_id == row.id)):
            used |= evaluation.referenced_variants(state.config)
        for change in uow.session.scalars(
            select(models.Change).where(models.Change.flag_id == row.id, models.Change.status.in_(OPEN_STATUSES))
        ):
            used |= _patch_variants(change.payload)
        in_use = sorted(removed & used)
        if in_use:
            raise Conflict(f"variant(s) {', '.join(in_use)} are still served or planned", rule="variant-in-use")
    return checked


def _patch_variants(patch: Mapping[str, Any]) -> set[str]:
    found = {str(patch["off_variant"])} if patch.get("off_variant") else set()
    serves = [patch["default"]] if patch.get("default") else []
    serves += [r["serve"] for r in patch.get("rules") or []]
    for serve in serves:
        found |= {str(s["variant"]) for s in serve.get("rollout") or []} | (
            {str(serve["variant"])} if serve.get("variant") else set()
        )
    return found


def _states_of(uow: UnitOfWork, flag_ids: list[int]) -> dict[int, dict[int, _StateView]]:
    states: dict[int, dict[int, _StateView]] = {}
    if not flag_ids:
        return states
    for row in uow.session.scalars(select(models.FlagState).where(models.FlagState.flag_id.in_(flag_ids))):
        states.setdefault(row.flag_id, {})[row.environment_id] = _StateView(
            dict(row.config), row.version, row.updated_at, row.updated_by
        )
    return states


def _flag_out(
    uow: UnitOfWork,
    service_key: str,
    environments: list[Environment],
    row: models.Flag,
    states: Mapping[int, _StateView] | None = None,
) -> Flag:
    if states is None:
        states = _states_of(uow, [row.id]).get(row.id, {})
    envs = []
    for env in environments:
        state = states.get(env.id)
        config = state.config if state else changes.default_config(row.default_variant, row.off_variant)
        envs.append(
            EnvironmentState(
                environment=env.name,
                position=env.position,
                approval_roles=[str(r) for r in env.approval_roles],
                config=FlagConfig.model_validate(config),
                version=state.version if state else 0,
                updated_at=state.updated_at if state else None,
                updated_by=state.updated_by if state else None,
                summary=changes.describe(config),
                exposure=changes.exposure(config),
            )
        )
    return copied(Flag, row, {"type": "flag_type", "feature": "feature_key"}, service=service_key, environments=envs)


def _flag_view(row: models.Flag) -> dict[str, Any]:
    return {
        "flag": row.key,
        "name": row.name,
        "type": row.flag_type,
        "variants": row.variants,
        "default_variant": row.default_variant,
        "off_variant": row.off_variant,
        "feature": row.feature_key,
    }


def _known_feature(uow: UnitOfWork, key: str | None) -> str | None:
    """The feature a flag releases must exist in the portfolio (NotFound otherwise)."""
    if key is None:
        return None
    return portfolio.get_feature(uow, key.upper()).key
