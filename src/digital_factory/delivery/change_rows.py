"""A commit becomes a change of its service once (whether a run here or an outside tool saw it first): its row
and one row per work item key its message names."""

from __future__ import annotations

from datetime import datetime

from digital_factory.delivery import models, traceability
from digital_factory.delivery.schemas import OutsideChange
from digital_factory.delivery.sources import Commit
from digital_factory.store.uow import UnitOfWork


def new_change(
    uow: UnitOfWork,
    service_id: int,
    commit: Commit | OutsideChange,
    *,
    subject: str,
    merged_at: datetime | None,
    seen_at: datetime,
) -> models.Change:
    keys = traceability.item_keys(commit.message)
    row = models.Change(
        service_id=service_id,
        sha=commit.sha,
        author_name=commit.author_name,
        author_email=commit.author_email,
        authored_at=commit.authored_at,
        committed_at=commit.committed_at,
        merged_at=merged_at,
        subject=subject,
        item_keys=keys,
        first_seen_at=seen_at,
    )
    uow.session.add(row)
    uow.session.flush()
    for key in keys:
        uow.session.add(models.ChangeItem(change_id=row.id, item_key=key))
    return row
