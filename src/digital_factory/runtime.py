"""The one view of the composition root that the edges (api, web, workers) are given.

`app.factory.Runtime` is the concrete object; edges type against this protocol so they never import `app`
(it sits above them) and so every edge sees the same fields."""

from __future__ import annotations

from collections.abc import Callable
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


class Runtime(Protocol):
    store: Store
    digester: SecretDigester
    repo_host: LocalRepoHost
    platform: PlatformContext
    delivery: DeliveryConfig
    dora: DoraPolicy
    executor: Executor
    flags: FlagServer
    otlp: OtlpReceiver
    platform_jobs: JobBoard
    login_throttle: LoginThrottle
    tokens: TokenCache[Resolved]
    jobs: Submitter

    @property
    def public_url(self) -> str: ...

    @property
    def max_push_bytes(self) -> int: ...

    @property
    def max_upload_bytes(self) -> int: ...

    @property
    def session_idle(self) -> timedelta: ...

    @property
    def session_max_age(self) -> timedelta: ...

    @property
    def hypotheses(self) -> Thresholds: ...


def runtime_of(connection: HTTPConnection) -> Runtime:
    """The runtime of the application serving this request (the API sub-application shares it)."""
    return cast(Runtime, connection.app.state.runtime)
