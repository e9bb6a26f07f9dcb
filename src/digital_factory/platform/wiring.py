"""The platform's integration points wired to the capabilities installed beside it: releases (flag
spaces), portfolio (the work a service serves) and delivery (scorecard facts)."""

from __future__ import annotations

from digital_factory.accounts.service import SecretDigester
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import NotFound
from digital_factory.core.keys import parse_key
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import deployments as delivery_deployments
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentFilter, DeploymentStatus, RunFilter, Status
from digital_factory.platform.context import DeliveryFacts
from digital_factory.portfolio import service as portfolio
from digital_factory.releases import service as releases
from digital_factory.store.uow import UnitOfWork

_LATEST = PageRequest(limit=1)


class InstalledIntegrations:
    def __init__(self, digester: SecretDigester) -> None:
        self._digester = digester

    def create_flag_space(self, uow: UnitOfWork, service_key: str) -> str | None:
        """One client key per environment; the secrets go to the team through the Releases page
        (rotate a key there to see a new secret), never into the onboarding record."""
        created = releases.ensure_client_keys(uow, self._digester, service_key)
        names = ", ".join(sorted(created)) or "none new"
        return f"flag space ready; OFREP client keys for {names} (create or rotate them under Releases)"

    def check_work(self, uow: UnitOfWork, key: str) -> bool | None:
        prefix, _ = parse_key(key)
        if prefix == "FEAT":
            portfolio.get_feature(uow, key.upper())
        elif prefix == "EPIC":
            portfolio.get_epic(uow, key.upper())
        else:
            raise NotFound(f"{key!r} is neither a feature (FEAT-n) nor an epic (EPIC-n)")
        return True

    def delivery_facts(self, uow: UnitOfWork, service_key: str) -> DeliveryFacts:
        runs = delivery.list_runs(uow, RunFilter(service=service_key), _LATEST).items
        environments = catalog.list_environments(uow, service_key)
        production = environments[-1].name if environments else None  # the last stage of the promotion
        deployed = production is not None and bool(
            delivery_deployments.list_deployments(
                uow,
                DeploymentFilter(service=service_key, environment=production, status=DeploymentStatus.SUCCEEDED),
                _LATEST,
            ).total
        )
        return DeliveryFacts(
            has_pipeline=bool(runs),
            last_run_green=runs[0].status == Status.PASSED if runs else None,
            deploys_to_prod=deployed,
        )
