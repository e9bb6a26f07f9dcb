"""What delivery needs from the composition root (built from settings by `app`, never read here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from digital_factory.delivery.sandbox import Isolation, SandboxConfig
from digital_factory.delivery.secrets import SecretBox
from digital_factory.repos.service import RepoHost


@dataclass(frozen=True)
class DeliveryConfig:
    runs_dir: Path
    secret_box: SecretBox
    sandbox: SandboxConfig = field(default_factory=lambda: SandboxConfig(isolation=Isolation.NONE))
    lease_seconds: int = 30
    heartbeat_seconds: float = 1.0
    max_attempts: int = 2
    log_max_bytes: int = 10 * 1024 * 1024
    artifact_max_bytes: int = 64 * 1024 * 1024
    redispatch_after_seconds: int = 60
    keep_workspaces: bool = False
    # Where hosted repositories live: manual runs read them in place (never over the server's own HTTP).
    repo_host: RepoHost | None = None

    @property
    def mirrors_dir(self) -> Path:
        return self.runs_dir / "mirrors"

    @property
    def workspaces_dir(self) -> Path:
        return self.runs_dir / "workspaces"
