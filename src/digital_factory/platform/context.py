"""What the platform's use-cases need besides the unit of work: where templates and repositories
live, the secret digester and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from digital_factory.accounts.service import SecretDigester
from digital_factory.insights.schemas import DoraPolicy
from digital_factory.repos.service import RepoHost


@dataclass(frozen=True)
class PlatformContext:
    repo_host: RepoHost
    digester: SecretDigester
    templates_root: Path
    scratch_root: Path
    public_url: str
    render_timeout: float = 120.0
    sandbox: bool | None = None  # None: bubblewrap when installed
    outbound_allow: tuple[str, ...] = ()  # FACTORY_OUTBOUND_ALLOW: internal hosts/networks template sources may use
    dora: DoraPolicy = field(
        default_factory=DoraPolicy
    )  # the scorecard's DORA rule reads the same bands as the insights pages

    def template_dir(self, key: str) -> Path:
        return self.templates_root / f"{key}.git"
