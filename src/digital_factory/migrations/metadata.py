"""Collects every domain's tables into one MetaData for Alembic. The only place that imports all models."""

from __future__ import annotations

from sqlalchemy import MetaData

from digital_factory.accounts import models as _accounts  # noqa: F401  (registers tables)
from digital_factory.catalog import models as _catalog  # noqa: F401
from digital_factory.delivery import models as _delivery  # noqa: F401
from digital_factory.integrations import models as _integrations  # noqa: F401
from digital_factory.platform import models as _platform  # noqa: F401
from digital_factory.portfolio import models as _portfolio  # noqa: F401
from digital_factory.releases import models as _releases  # noqa: F401
from digital_factory.repos import models as _repos  # noqa: F401
from digital_factory.store import revisions as _revisions  # noqa: F401
from digital_factory.store import sequences as _sequences  # noqa: F401
from digital_factory.store.base import Base
from digital_factory.teams import models as _teams  # noqa: F401
from digital_factory.telemetry import models as _telemetry  # noqa: F401


def target_metadata() -> MetaData:
    return Base.metadata
