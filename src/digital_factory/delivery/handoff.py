"""Pushes become pipeline runs, durably.

The push subscriber hands a stored push over at once; the reaper picks up any push nobody claimed (the
server crashed between storing the push and starting its run, or the subscriber failed). Both claim the
push with a conditional update in the transaction that records the run, so a push starts at most one run
however they race, and a crash before the commit leaves it for the next reaper pass.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from digital_factory.core.actor import system_actor
from digital_factory.core.errors import ValidationFailed
from digital_factory.delivery.config import DeliveryConfig
from digital_factory.delivery.runs import prepare, start_run_for_push
from digital_factory.delivery.schemas import RunSummary
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.repos.service import ZERO_SHA
from digital_factory.store.uow import Store

log = logging.getLogger(__name__)
PUSH_ACTOR = system_actor("push")
# The subscriber normally claims a push within a second; the reaper leaves it that long before stepping in.
REAP_PUSHES_AFTER = timedelta(seconds=5)


def start_for_push(store: Store, config: DeliveryConfig, event: PushReceived) -> RunSummary | None:
    """The run a push starts (None: nothing to run, or someone else already handled the push)."""
    if event.service_key is None or event.after == ZERO_SHA:  # no service, or the ref was deleted
        _claim_only(store, event)
        return None
    prepared = prepare(config, event.git_dir, event.ref, sha=event.after)
    with store.unit_of_work(PUSH_ACTOR) as uow:
        if event.push_id is not None and not repos.claim_push(uow, event.push_id):
            return None
        return start_run_for_push(uow, prepared, event)


def reap_pushes(
    store: Store, config: DeliveryConfig, host: repos.RepoHost, *, grace: timedelta = REAP_PUSHES_AFTER
) -> int:
    """One reaper pass over pushes unclaimed for `grace`; returns how many runs it started."""
    with store.unit_of_work(system_actor("reaper"), write=False) as uow:
        events = repos.unhandled_pushes(uow, host, pushed_before=store.clock.now() - grace)
    started = 0
    for event in events:
        try:
            started += start_for_push(store, config, event) is not None
        except ValidationFailed as exc:  # the commit cannot be read: nothing will ever run for this push
            log.warning("push %s to %s starts no run: %s", event.push_id, event.repository_key, exc)
            _claim_only(store, event)
        except Exception:  # a passing failure (the store, the disk): the next pass tries again
            log.exception("push %s to %s could not start its run yet", event.push_id, event.repository_key)
    return started


def _claim_only(store: Store, event: PushReceived) -> None:
    if event.push_id is not None:
        with store.unit_of_work(PUSH_ACTOR) as uow:
            repos.claim_push(uow, event.push_id)
