"""What the platform's use-cases need besides the unit of work: where templates and repositories
live, the secret digester, limits, and the integration points other capabilities plug into."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from digital_factory.accounts.service import SecretDigester
from digital_factory.repos.hosting import RepoHost
from digital_factory.store.uow import UnitOfWork


@dataclass(frozen=True)
class DeliveryFacts:
    """What delivery (and insights) know about a service, for the scorecard. None means unknown."""

    has_pipeline: bool | None = None
    last_run_green: bool | None = None
    deploys_to_prod: bool | None = None
    dora_band: str | None = None


class Integrations(Protocol):
    """Where onboarding and scorecards reach capabilities that sit above or beside the platform.

    The composition root (`app/factory.py`) passes an implementation wired to releases, portfolio,
    delivery and insights; until they are installed, `NotIntegrated` answers honestly that nothing
    was done or nothing is known."""

    def create_flag_space(self, uow: UnitOfWork, service_key: str) -> str | None:
        """Create the service's feature-flag space (and client keys per environment); a one-line
        summary, or None when releases is not installed."""

    def check_work(self, uow: UnitOfWork, key: str) -> bool | None:
        """Whether a feature or epic key exists (raise NotFound when it does not); None when the
        portfolio is not installed and the key's format is all that was checked."""

    def delivery_facts(self, uow: UnitOfWork, service_key: str) -> DeliveryFacts:
        """Pipeline and deployment facts for the scorecard."""


class NotIntegrated:
    def create_flag_space(self, uow: UnitOfWork, service_key: str) -> str | None:
        return None

    def check_work(self, uow: UnitOfWork, key: str) -> bool | None:
        return None

    def delivery_facts(self, uow: UnitOfWork, service_key: str) -> DeliveryFacts:
        return DeliveryFacts()


@dataclass(frozen=True)
class PlatformContext:
    repo_host: RepoHost
    digester: SecretDigester
    templates_root: Path
    scratch_root: Path
    public_url: str
    render_timeout: float = 120.0
    sandbox: bool | None = None  # None: bubblewrap when installed
    integrations: Integrations = field(default_factory=NotIntegrated)

    def template_dir(self, key: str) -> Path:
        return self.templates_root / f"{key}.git"
