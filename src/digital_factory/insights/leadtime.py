"""Value lead time: an epic approved (it first entered Implementing, from portfolio's kanban history) to
the first customers exposed to each of its features (releases' flag changes in production, or delivery's
first production deployment of a change naming the feature, whichever first). Computed on read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import ValidationFailed
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import ItemDelivery
from digital_factory.insights.flow_measures import median
from digital_factory.insights.leadtime_schemas import EpicLeadTime, ExposedBy, FeatureLeadTime, ValueLeadTimes
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicHistory, EpicState
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FeatureExposure
from digital_factory.store.uow import UnitOfWork

Exposure = tuple[datetime, ExposedBy, str]


def epic_histories_for(uow: UnitOfWork, *, epic: str | None, value_stream: str | None) -> list[EpicHistory]:
    """The epics of one epic key or one value stream (epics linked to its services, or whose features are)."""
    if bool(epic) == bool(value_stream):
        raise ValidationFailed.on("epic", "give one of epic and value_stream")
    if epic:
        return portfolio.epic_histories(uow, epic=epic)
    assert value_stream is not None
    return portfolio.epic_histories(uow, keys=catalog.value_stream_work(uow, value_stream))


def approved_at(history: EpicHistory) -> datetime | None:
    """When the epic was approved: its first move into Implementing."""
    return next((at for at, column in history.columns if column.startswith(EpicState.IMPLEMENTING)), None)


def first_exposures(uow: UnitOfWork, feature_keys: list[str]) -> dict[str, Exposure]:
    """Per feature, the earlier of its first production flag exposure and its first production deployment."""
    return merged_exposures(releases.first_exposures(uow, feature_keys), delivery.item_deliveries(uow, feature_keys))


def merged_exposures(flags: Mapping[str, FeatureExposure], deliveries: Sequence[ItemDelivery]) -> dict[str, Exposure]:
    """Per feature, the earlier of a flag's first production exposure and a first production deployment."""
    found: dict[str, Exposure] = {}
    for key, exposure in flags.items():
        found[key] = (exposure.at, ExposedBy.FLAG, f"{exposure.service}/{exposure.flag}")
    for shipped in deliveries:
        known = found.get(shipped.item)
        if known is None or shipped.finished_at < known[0]:
            found[shipped.item] = (
                shipped.finished_at,
                ExposedBy.DEPLOYMENT,
                f"{shipped.service}@{shipped.change_sha[:12]}",
            )
    return found


def epic_lead_time(history: EpicHistory, exposures: dict[str, Exposure]) -> EpicLeadTime:
    approved = approved_at(history)
    features = [_feature(key, approved, exposures.get(key)) for key in history.features]
    times = [f.exposed_at for f in features if f.exposed_at is not None]
    first = min(times) if times else None
    every = max(times) if times and len(times) == len(features) else None
    return EpicLeadTime(
        epic=history.key,
        approved_at=approved,
        first_exposed_at=first,
        all_exposed_at=every,
        to_first_seconds=_between(approved, first),
        to_all_seconds=_between(approved, every),
        features=features,
    )


def _feature(key: str, approved: datetime | None, exposure: Exposure | None) -> FeatureLeadTime:
    if exposure is None:
        return FeatureLeadTime(feature=key, exposed_at=None, exposed_by=None, via=None, lead_time_seconds=None)
    at, by, via = exposure
    return FeatureLeadTime(feature=key, exposed_at=at, exposed_by=by, via=via, lead_time_seconds=_between(approved, at))


def _between(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start is not None and end is not None else None


def value_lead_time(uow: UnitOfWork, *, epic: str | None = None, value_stream: str | None = None) -> ValueLeadTimes:
    """Value lead time of one epic, or of every epic of a value stream, with the median to first exposure."""
    require(uow.actor, Permission.READ)
    histories = epic_histories_for(uow, epic=epic, value_stream=value_stream)
    exposures = first_exposures(uow, [key for h in histories for key in h.features])
    epics = [epic_lead_time(h, exposures) for h in histories]
    firsts = [e.to_first_seconds for e in epics if e.to_first_seconds is not None]
    return ValueLeadTimes(epics=epics, to_first_median_seconds=median(firsts), to_first_sample=len(firsts))
