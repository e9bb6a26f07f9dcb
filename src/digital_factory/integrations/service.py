"""Integrations' face: webhook hooks of a team (GitHub, GitLab, CDEvents), their mappings onto catalog
services, and receiving their deliveries into delivery's records.

Edges import only this module, `schemas` and `events`; the topic modules behind it are private."""

from __future__ import annotations

from digital_factory.integrations.hooks import (
    add_mapping,
    create_hook,
    delete_hook,
    delivery_count,
    get_hook,
    list_hooks,
    may_change_hooks,
    remove_mapping,
    rotate_secret,
)
from digital_factory.integrations.payload import Malformed
from digital_factory.integrations.receiving import receive

__all__ = [
    "Malformed",
    "add_mapping",
    "create_hook",
    "delete_hook",
    "delivery_count",
    "get_hook",
    "list_hooks",
    "may_change_hooks",
    "receive",
    "remove_mapping",
    "rotate_secret",
]
