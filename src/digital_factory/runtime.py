"""The one view of the composition root that the edges (api, web, workers) are given.

`app.factory.Runtime` is the concrete object, a subclass of this one; edges type against this base so they never
import `app` (it sits above them) and so every edge sees the same fields."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, cast

from starlette.requests import HTTPConnection

from digital_factory.accounts.service import LoginThrottle, Resolved, SecretDigester, TokenCache
from digital_factory.delivery.service import DeliveryConfig, Executor
from digital_factory.insights.schemas import DoraPolicy
from digital_factory.insights.service import Thresholds
from digital_factory.platform.service import JobBoard, PlatformContext
from digital_factory.releases.service import FlagServer
from digital_factory.repos.service import LocalRepoHost
from digital_factory.store.uow import Store
from digital_factory.telemetry.service import OtlpReceiver


class Submitter(Protocol):
    """Runs a callable once in the background (the job runner)."""

    def submit(self, name: str, job: Callable[[], object]) -> object: ...


@dataclass(kw_only=True)
class Runtime(ABC):
    """What the composition root hands the edges; `app.factory.Runtime` adds the settings and the job runner
    behind it, and reads the settings-derived figures below from them."""

    store: Store
    digester: SecretDigester
    repo_host: LocalRepoHost
    platform: PlatformContext
    delivery: DeliveryConfig
    dora: DoraPolicy
    executor: Executor
    flags: FlagServer
    otlp: OtlpReceiver
    jobs: Submitter
    platform_jobs: JobBoard = field(default_factory=JobBoard)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    tokens: TokenCache[Resolved] = field(default_factory=TokenCache)

    @property
    @abstractmethod
    def public_url(self) -> str: ...

    @property
    @abstractmethod
    def max_push_bytes(self) -> int: ...

    @property
    @abstractmethod
    def max_upload_bytes(self) -> int: ...

    @property
    @abstractmethod
    def session_idle(self) -> timedelta: ...

    @property
    @abstractmethod
    def session_max_age(self) -> timedelta: ...

    @property
    @abstractmethod
    def hypotheses(self) -> Thresholds: ...


def runtime_of(connection: HTTPConnection) -> Runtime:
    """The runtime of the application serving this request (the API sub-application shares it)."""
    return cast(Runtime, connection.app.state.runtime)
