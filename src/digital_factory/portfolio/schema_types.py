"""Field types and kinds the portfolio's DTOs share: text lengths, item kinds, flow states, metric queries."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from digital_factory.core import metricquery

Text = Annotated[str, Field(max_length=4000)]
Line = Annotated[str, Field(min_length=1, max_length=500)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
KEY_LIST_MAX = 50


class ItemKind(StrEnum):
    """SAFe's two kinds of epic and feature."""

    BUSINESS = "business"
    ENABLER = "enabler"


class FlowItem(StrEnum):
    """Flow Framework item types: every work item is exactly one."""

    FEATURE = "feature"
    DEFECT = "defect"
    RISK = "risk"
    DEBT = "debt"


class WorkState(StrEnum):
    """Flow states of features and stories."""

    NEW = "new"
    ACTIVE = "active"
    WAITING = "waiting"
    DONE = "done"


def checked_query(value: str | None, *, required: bool) -> str | None:
    """A metric query field in its normal form; a blank optional one is None. Raises ValueError for pydantic."""
    if value is None or (not required and not value.strip()):
        return None
    try:
        return metricquery.normalize(value)
    except metricquery.QueryError as exc:
        raise ValueError(str(exc)) from None
