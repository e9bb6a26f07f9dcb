"""When customers first got a feature: the earliest release (an applied flag change) that exposed it in
production. Read by insights for value lead time."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.releases import models
from digital_factory.releases.schemas import FeatureExposure
from digital_factory.store.uow import UnitOfWork


def first_exposures(uow: UnitOfWork, feature_keys: Collection[str]) -> dict[str, FeatureExposure]:
    """Per feature key, its first release with a share of customers above zero after it, in the
    production environment of the flag's service (no such release: the feature is absent)."""
    require(uow.actor, Permission.READ)
    wanted = sorted({k.strip().upper() for k in feature_keys})
    if not wanted:
        return {}
    release = models.Release
    rows = uow.session.execute(
        select(
            release.feature_key,
            release.at,
            release.service_key,
            release.environment,
            release.flag_key,
            release.exposure_after,
        )
        .where(release.feature_key.in_(wanted), release.exposure_after > 0)
        .order_by(release.feature_key, release.at, release.id)
    ).all()
    production: dict[str, str | None] = {}
    found: dict[str, FeatureExposure] = {}
    for r in rows:
        if r.feature_key in found:
            continue
        if r.service_key not in production:
            environments = catalog.list_environments(uow, r.service_key)
            production[r.service_key] = environments[-1].name if environments else None
        if r.environment != production[r.service_key]:
            continue
        found[r.feature_key] = FeatureExposure(
            feature=r.feature_key,
            at=as_utc(r.at),
            service=r.service_key,
            environment=r.environment,
            flag=r.flag_key,
            exposure=float(r.exposure_after),
        )
    return found
