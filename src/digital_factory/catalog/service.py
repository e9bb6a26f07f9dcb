"""Catalog use-cases, the domain's public face: services, environments, value streams, dependencies,
provenance, ingestion keys, the work a service serves and the catalog's part of the Team API. Callers own
the transaction.

Who may change what (docs/accounts.md, "Ownership"): registering a service needs `platform:write`; a
change to a service and what belongs to it (metadata, dependencies, work links, environment policies,
ingestion keys) needs `delivery:write` and membership of its owning team, or the platform role (admin
always). `require_service_owner` / `may_change_service` decide the same for the domains above
(delivery, releases); `require_entitled_approver` / `may_approve` decide who may be the second person.

The use-cases live in topic modules; this module is what other layers import.
"""

from __future__ import annotations

from digital_factory.catalog.access import service_id, service_ids, service_row
from digital_factory.catalog.dependencies import (
    add_dependency,
    dependency_candidates,
    dependency_cycles,
    remove_dependency,
    service_dependencies,
)
from digital_factory.catalog.environments import (
    environments_by_service,
    get_environment,
    list_environments,
    set_environment_approvals,
    set_environment_policy,
)
from digital_factory.catalog.ingestion import (
    INGESTION_KEY_PREFIX,
    create_ingestion_key,
    list_ingestion_keys,
    record_ingestion_use,
    resolve_ingestion_grant,
    resolve_ingestion_key,
    revoke_ingestion_key,
)
from digital_factory.catalog.models import TOPIC
from digital_factory.catalog.overview import catalog_overview, catalog_page, ownership_warnings
from digital_factory.catalog.ownership import (
    may_approve,
    may_change_service,
    owning_team_id,
    require_entitled_approver,
    require_service_owner,
)
from digital_factory.catalog.provenance import service_templates, set_service_template
from digital_factory.catalog.services import (
    changeable_services,
    get_service,
    list_services,
    register_service,
    service_matches,
    service_refs,
    service_refs_by_id,
    service_refs_by_key,
    update_service,
)
from digital_factory.catalog.team_api import team_api_document
from digital_factory.catalog.value_streams import (
    create_value_stream,
    delete_value_stream,
    get_value_stream,
    list_value_streams,
    update_value_stream,
)
from digital_factory.catalog.work import link_work, services_for_work, services_serving, value_stream_work

__all__ = [
    "INGESTION_KEY_PREFIX",
    "TOPIC",
    "add_dependency",
    "catalog_overview",
    "catalog_page",
    "changeable_services",
    "create_ingestion_key",
    "create_value_stream",
    "delete_value_stream",
    "dependency_candidates",
    "dependency_cycles",
    "environments_by_service",
    "get_environment",
    "get_service",
    "get_value_stream",
    "link_work",
    "list_environments",
    "list_ingestion_keys",
    "list_services",
    "list_value_streams",
    "may_approve",
    "may_change_service",
    "ownership_warnings",
    "owning_team_id",
    "record_ingestion_use",
    "register_service",
    "remove_dependency",
    "require_entitled_approver",
    "require_service_owner",
    "resolve_ingestion_grant",
    "resolve_ingestion_key",
    "revoke_ingestion_key",
    "service_dependencies",
    "service_id",
    "service_ids",
    "service_matches",
    "service_refs",
    "service_refs_by_id",
    "service_refs_by_key",
    "service_row",
    "service_templates",
    "services_for_work",
    "services_serving",
    "set_environment_approvals",
    "set_environment_policy",
    "set_service_template",
    "team_api_document",
    "update_service",
    "update_value_stream",
    "value_stream_work",
]
