"""Releases use-cases, the domain's public face. Callers own the transaction.

Governance: a change in an environment whose policy lists approval roles waits as a pending change until
another person with one of those roles, entitled to approve for the service (a member of its owning team
or of the environment's approver group, or admin), approves it; elsewhere it applies at once (or at its
scheduled time). Every applied change that alters what customers get becomes a release record.

Ownership: the service's owning team changes its flags, segments and client keys; the product role may
change flags of any service, the platform may manage client keys (see `ownership`).

The use-cases live in topic modules (flags, governed changes and applying them, segments, the timeline,
client keys, evaluation counts, previews, serving); this module is what other layers import."""

from __future__ import annotations

from digital_factory.releases.client_keys import (
    CLIENT_KEY_PREFIX,
    TOUCH_INTERVAL,
    create_client_key,
    ensure_client_key,
    ensure_client_keys,
    list_client_keys,
    revoke_client_key,
    touch_client_key,
)
from digital_factory.releases.counts import evaluation_counts, record_evaluations
from digital_factory.releases.exposures import first_exposures
from digital_factory.releases.flags import (
    archive_flag,
    create_flag,
    flags_of_services,
    flags_releasing,
    get_flag,
    list_flags,
    update_flag,
)
from digital_factory.releases.governance import (
    apply_due_changes,
    approve_change,
    can_decide,
    cancel_change,
    get_change,
    kill_flag,
    list_changes,
    open_change_count,
    put_segment,
    reject_change,
    request_change,
    roll_out,
)
from digital_factory.releases.ownership import (
    Permit,
    ReleaseActions,
    decisions,
    may_change_flags,
    may_kill,
    may_manage_keys,
    release_actions,
)
from digital_factory.releases.preview import preview
from digital_factory.releases.segments import delete_segment, list_segments
from digital_factory.releases.serving import FlagServer, Grant, Snapshot
from digital_factory.releases.state import CHANGE_PREFIX, FLAG_SUBJECT, OPEN_STATUSES, SEGMENT_SUBJECT
from digital_factory.releases.syntax import (
    format_condition,
    format_conditions,
    format_serve,
    parse_conditions,
    parse_percent,
    parse_rule,
    parse_serve,
)
from digital_factory.releases.timeline import list_releases

__all__ = [
    "CHANGE_PREFIX",
    "CLIENT_KEY_PREFIX",
    "FLAG_SUBJECT",
    "OPEN_STATUSES",
    "SEGMENT_SUBJECT",
    "TOUCH_INTERVAL",
    "FlagServer",
    "Grant",
    "Permit",
    "ReleaseActions",
    "Snapshot",
    "apply_due_changes",
    "approve_change",
    "archive_flag",
    "can_decide",
    "cancel_change",
    "create_client_key",
    "create_flag",
    "decisions",
    "delete_segment",
    "ensure_client_key",
    "ensure_client_keys",
    "evaluation_counts",
    "first_exposures",
    "flags_of_services",
    "flags_releasing",
    "format_condition",
    "format_conditions",
    "format_serve",
    "get_change",
    "get_flag",
    "kill_flag",
    "list_changes",
    "list_client_keys",
    "list_flags",
    "list_releases",
    "list_segments",
    "may_change_flags",
    "may_kill",
    "may_manage_keys",
    "open_change_count",
    "parse_conditions",
    "parse_percent",
    "parse_rule",
    "parse_serve",
    "preview",
    "put_segment",
    "record_evaluations",
    "reject_change",
    "release_actions",
    "request_change",
    "revoke_client_key",
    "roll_out",
    "touch_client_key",
    "update_flag",
]
