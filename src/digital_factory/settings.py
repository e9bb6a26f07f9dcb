"""The typed settings tree (`FACTORY_` prefix). Read only by `app`, `cli` and `workers`."""

from __future__ import annotations

import ipaddress
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret.key"  # noqa: S105  (a file name)


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class ExecutorKind(StrEnum):
    LOCAL = "local"
    DRAMATIQ = "dramatiq"


class SandboxMode(StrEnum):
    AUTO = "auto"
    BWRAP = "bwrap"
    OFF = "off"


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("digital-factory", appauthor=False))


class Settings(BaseSettings):
    """Boot configuration. Knobs people change at run time (WIP limits, policies) live in the store."""

    model_config = SettingsConfigDict(env_prefix="FACTORY_", extra="ignore", validate_default=True)

    home: Path = Field(
        default_factory=default_home,
        description="Data folder: the embedded store, hosted repositories, run workspaces, the secret key.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store. Default: SQLite file `factory.db` in the data folder. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`.",
    )
    host: str = Field("127.0.0.1", description="Address `factory serve` listens on.")
    port: int = Field(8420, ge=1, le=65535, description="Port `factory serve` listens on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes `factory serve` runs on its one port, each with its own runtime "
        "(more than one needs an external database such as PostgreSQL).",
    )
    public_url: str | None = Field(
        None,
        description="The URL people and clients use to reach the server (behind a proxy, the proxy's). "
        "Used for links, cookie security and the CSRF origin check. Default: http://HOST:PORT.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key for token digests and signatures. Default: generated once into the data folder.",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    log_format: LogFormat = Field(LogFormat.TEXT, description="`text` for people, `json` for log shippers.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted on the API and web (bytes)."
    )
    max_upload_bytes: int = Field(
        67_108_864, ge=1_048_576, description="Largest bulk business-data upload (CSV or JSON lines, bytes)."
    )
    max_push_bytes: int = Field(
        209_715_200, ge=1_048_576, description="Largest git push (or fetch request) accepted by hosted repositories."
    )
    render_timeout_seconds: int = Field(
        120, ge=5, le=3600, description="A golden-path template render (or upgrade) is killed after this long."
    )
    session_idle_minutes: int = Field(120, ge=5, description="A web session ends after this long without a request.")
    session_max_hours: int = Field(12, ge=1, description="A web session ends this long after login, whatever.")
    flag_refresh_seconds: float = Field(
        0.5,
        ge=0,
        description="How long a server process serves flags from memory before checking the store for "
        "changes made by other processes (0: check on every request).",
    )
    read_refresh_seconds: float = Field(
        1.0,
        ge=0,
        description="How long a server process answers a repeated API list read from memory before checking the "
        "store for changes made by other processes (0: check before every answer). Changes made through the "
        "same process show at once.",
    )
    read_cache_entries: int = Field(
        256,
        ge=0,
        description="How many answers of each topic (the epic list's pages, the board, catalog pages) a server "
        "process keeps (0: none; every read goes to the store).",
    )
    ofrep_rate_limit: float = Field(
        100_000.0,
        ge=0,
        description="OFREP requests per second allowed per flag client key, in each server process (0: no "
        "limit). A frontend key is shared by every browser of an app: sized well above what one process serves "
        "(about 22,000/s on a 2-core machine), so a busy frontend is never throttled by its key; abuse is caught "
        "per address.",
    )
    ofrep_burst: int = Field(200_000, ge=1, description="OFREP requests a client key may send in one burst.")
    ofrep_address_rate_limit: float = Field(
        500.0,
        ge=0,
        description="OFREP requests per second allowed per client address, in each server process (0: no "
        "limit). The address is the peer's, or the one a trusted proxy forwarded (`trusted_proxies`).",
    )
    ofrep_address_burst: int = Field(
        1_000, ge=1, description="OFREP requests one client address may send in one burst."
    )
    otlp_max_bytes: int = Field(
        16_777_216,
        ge=1024,
        description="Largest OTLP request accepted at /v1/metrics, /v1/traces and /v1/logs (bytes), as sent and "
        "again after gzip decompression.",
    )
    otlp_max_concurrent: int = Field(
        4, ge=1, description="OTLP requests processed at once; more are answered 503 with Retry-After."
    )
    otlp_rate_limit: float = Field(
        200_000.0,
        ge=0,
        description="OTLP data points, spans and log records per second allowed per ingestion key (0: no limit).",
    )
    otlp_burst: int = Field(
        1_000_000, ge=1, description="OTLP data points, spans and log records an ingestion key may send in one burst."
    )
    telemetry_points_days: int = Field(
        30, ge=1, description="Days raw metric points are kept; longer windows read the rollups."
    )
    telemetry_minute_rollups_days: int = Field(90, ge=1, description="Days per-minute metric rollups are kept.")
    telemetry_hour_rollups_days: int = Field(400, ge=1, description="Days per-hour metric rollups are kept.")
    telemetry_day_rollups_days: int = Field(0, ge=0, description="Days per-day metric rollups are kept (0: forever).")
    telemetry_logs_days: int = Field(14, ge=1, description="Days a service's log lines are kept.")
    telemetry_logs_per_service: int = Field(
        100_000, ge=100, description="Log lines kept per service at most (the newest)."
    )
    telemetry_prune_every_seconds: int = Field(
        3600, ge=60, description="How often the server deletes telemetry older than its retention."
    )
    hypothesis_persevere_threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="θ_persevere: a hypothesis score at or above it recommends persevere (SAFe sets no number).",
    )
    hypothesis_stop_threshold: float = Field(
        0.3,
        ge=0,
        lt=1,
        description="θ_stop: a hypothesis score at or below it when the evaluation window is over recommends stop.",
    )
    wsjf_feedback_high_value: int = Field(
        8,
        ge=1,
        le=20,
        description="A user-business value at or above it is high: suggest lowering it when outcomes lag.",
    )
    wsjf_feedback_low_value: int = Field(
        3,
        ge=1,
        le=20,
        description="A user-business value at or below it is low: suggest raising it when validated early.",
    )
    insights_dora_bands: Literal[2021, 2023, 2024] = Field(
        2024, description="The DORA report year whose performance band table the figures are placed in."
    )
    insights_dora_count_rollbacks: bool = Field(
        True,
        description="Rollbacks count as production deployments, and as rework; false: left out of every DORA figure.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or CIDR networks of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto "
        "headers are believed (comma-separated). Default: none, so a client cannot choose its address for "
        "sign-in throttling and the audit log.",
    )
    outbound_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts or CIDR networks the server may connect to although they are loopback, private, "
        "link-local or otherwise internal (comma-separated), e.g. an in-house git server for template sources.",
    )
    auto_upgrade: bool = Field(
        True,
        description="Upgrade an embedded SQLite store at server start. PostgreSQL stores are upgraded "
        "only by `factory db upgrade`.",
    )

    executor: ExecutorKind = Field(
        ExecutorKind.LOCAL,
        description="Where pipeline steps run: `local` (in the server process, each step a sandboxed subprocess) "
        "or `dramatiq` (distributed `factory worker` processes over Redis; run state stays in the store).",
    )
    redis_url: str | None = Field(
        None, description="Redis URL of the Dramatiq broker (`redis://host:6379/0`); needed with `executor=dramatiq`."
    )
    redis_namespace: str = Field(
        "factory", pattern=r"^[a-z][a-z0-9_-]{0,40}$", description="Prefix of the broker's keys in Redis."
    )
    runs_dir: Path | None = Field(
        None, description="Folder for step workspaces and repository mirrors. Default: `runs` in the data folder."
    )
    local_concurrency: int = Field(2, ge=1, le=64, description="Steps the in-process executor runs at once.")
    worker_threads: int = Field(2, ge=1, le=64, description="Steps one `factory worker` process runs at once.")
    sandbox: SandboxMode = Field(
        SandboxMode.AUTO,
        description="Step isolation: `bwrap` (bubblewrap required at start), `auto` (bubblewrap; where it is not "
        "installed, steps are refused with a message), or `off` (plain subprocess as the server's uid, the host's "
        "network: only on purpose, for trusted pipelines).",
    )
    sandbox_read_only_paths: list[Path] = Field(
        default_factory=list,
        description="Extra toolchain folders steps may read (JSON list). /usr and the Python environment the "
        "factory runs in are always visible.",
    )
    sandbox_writable_paths: list[Path] = Field(
        default_factory=list, description="Extra folders steps may write, e.g. shared caches (JSON list)."
    )
    step_memory_mb: int = Field(
        4096,
        ge=16,
        description="Memory of a whole step, all its processes together (a cgroup, where the host allows), and the "
        "address-space limit of each of its processes (MiB).",
    )
    step_pids: int = Field(512, ge=8, description="Processes and threads of a whole step together (cgroup).")
    step_cpus: float = Field(0.0, ge=0, le=256, description="CPU quota of a whole step in cores (cgroup); 0: no quota.")
    step_cgroups: bool = Field(
        True, description="Put each step in its own control groups (memory, pids, cpu) where the host allows."
    )
    step_uid: int = Field(
        65534,
        ge=1,
        le=2**31 - 2,
        description="Host uid (and gid) sandboxed steps run as when the server runs as root. Not 0: a step "
        "never runs as root.",
    )
    step_file_size_mb: int = Field(1024, ge=1, description="Largest file a step may write (MiB).")
    step_open_files: int = Field(1024, ge=16, description="Open files per step process.")
    step_lease_seconds: int = Field(
        30, ge=2, le=3600, description="A running step's lease; renewed every second, reaped when it lapses."
    )
    step_max_attempts: int = Field(
        2, ge=1, le=10, description="Attempts of a step whose worker was lost before it is failed."
    )
    step_log_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Log kept per step attempt (bytes).")
    artifact_max_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest artifact archive of a step.")
    kill_grace_seconds: float = Field(
        3.0, ge=0, le=60, description="Between SIGTERM and SIGKILL when a step times out or is cancelled."
    )

    @field_validator("trusted_proxies", "outbound_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return value

    def proxy_options(self) -> dict[str, Any]:
        """uvicorn's forwarded-header options: believed only from `trusted_proxies` (uvicorn's own default
        trusts loopback, which would let any local client choose its address)."""
        return {"proxy_headers": bool(self.trusted_proxies), "forwarded_allow_ips": ",".join(self.trusted_proxies)}

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Settings:
        if self.hypothesis_stop_threshold >= self.hypothesis_persevere_threshold:
            raise ValueError("hypothesis_stop_threshold must be below hypothesis_persevere_threshold")
        if self.wsjf_feedback_low_value >= self.wsjf_feedback_high_value:
            raise ValueError("wsjf_feedback_low_value must be below wsjf_feedback_high_value")
        return self

    @field_validator("public_url")
    @classmethod
    def _public_url_is_absolute(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://factory.example.com")
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'factory.db'}"

    @property
    def effective_public_url(self) -> str:
        wildcard = self.host in {"0.0.0.0", "::"}  # noqa: S104  (maps a wildcard to a reachable address)
        host = "127.0.0.1" if wildcard else self.host
        return self.public_url or f"http://{host}:{self.port}"

    @property
    def effective_runs_dir(self) -> Path:
        return self.runs_dir or self.home / "runs"

    @property
    def is_embedded_store(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.home

    def resolved_secret_key(self) -> str:
        """The configured key, else the one in the data folder, created on first use (mode 0600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.ensure_home() / SECRET_KEY_FILE
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


SECRET_FIELDS = frozenset({"secret_key", "database_url", "redis_url"})


def masked_values(settings: Settings) -> dict[str, str]:
    """Effective values for display, secrets masked (passwords inside URLs too)."""
    shown: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name == "secret_key":
            shown[name] = "(set, hidden)" if value is not None else "(generated in the data folder)"
        elif name == "database_url":
            shown[name] = mask_url_password(settings.effective_database_url)
        elif name == "redis_url":
            shown[name] = mask_url_password(value) if value else "(not set)"
        else:
            shown[name] = str(value)
    shown["public_url"] = settings.effective_public_url
    return shown


def mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
