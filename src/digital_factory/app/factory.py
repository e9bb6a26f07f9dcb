"""Builds the server application from settings. Nothing here runs at import time."""

from __future__ import annotations

import inspect
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from digital_factory import __version__
from digital_factory import runtime as runtime_base
from digital_factory.accounts import service as accounts
from digital_factory.accounts.events import TokenRevoked, UserChanged
from digital_factory.accounts.schemas import CreatedUser
from digital_factory.accounts.service import SecretDigester
from digital_factory.api import business, hooks, kept, ofrep, otlp, problems
from digital_factory.api import git as git_http
from digital_factory.api.app import API_PREFIX, NO_NATIVE_TELEMETRY, create_api
from digital_factory.app.middleware import (
    AllowHeaderMiddleware,
    BodyLimitMiddleware,
    FastLaneMiddleware,
    FrontedApp,
    KeptAnswerMiddleware,
    RequestGuardMiddleware,
    SecurityHeadersMiddleware,
)
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import Clock
from digital_factory.core.errors import SchemaMismatch
from digital_factory.delivery import service as delivery
from digital_factory.delivery.events import StepCancelRequested, StepQueued
from digital_factory.insights.schemas import DoraPolicy
from digital_factory.insights.service import Thresholds
from digital_factory.platform import service as platform
from digital_factory.platform.context import PlatformContext
from digital_factory.releases import service as releases
from digital_factory.releases.events import ClientKeyRevoked, FlagsChanged
from digital_factory.releases.serving import FlagServer
from digital_factory.repos.events import PushReceived
from digital_factory.repos.service import LocalRepoHost
from digital_factory.settings import Settings
from digital_factory.store import schema
from digital_factory.store.cached import ReadCache
from digital_factory.store.engine import is_sqlite, make_engine
from digital_factory.store.uow import Store
from digital_factory.telemetry.service import OtlpLimits, OtlpReceiver
from digital_factory.web.app import install_web
from digital_factory.workers.jobs import JobRunner
from digital_factory.workers.pipelines import REAP_EVERY_SECONDS, delivery_config, make_executor
from digital_factory.workers.retention import prune_telemetry

log = logging.getLogger(__name__)
# Tests only: the path of a file to create once a push is stored, after which the push subscriber halts for
# good instead of starting the run (a test kills the server there, as a crash would).
HALT_AFTER_PUSH = "FACTORY_TEST_HALT_AFTER_PUSH"


@dataclass(kw_only=True)
class Runtime(runtime_base.Runtime):
    """Everything the edges (API, web, workers) reach for, built once per application."""

    settings: Settings
    jobs: JobRunner = field(default_factory=JobRunner)

    @property
    def public_url(self) -> str:
        return self.settings.effective_public_url

    @property
    def max_push_bytes(self) -> int:
        return self.settings.max_push_bytes

    @property
    def max_upload_bytes(self) -> int:
        return self.settings.max_upload_bytes

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.settings.session_idle_minutes)

    @property
    def session_max_age(self) -> timedelta:
        return timedelta(hours=self.settings.session_max_hours)

    @property
    def hypotheses(self) -> Thresholds:
        return hypothesis_thresholds(self.settings)


def hypothesis_thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        persevere=settings.hypothesis_persevere_threshold,
        stop=settings.hypothesis_stop_threshold,
        high_value=settings.wsjf_feedback_high_value,
        low_value=settings.wsjf_feedback_low_value,
    )


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    settings.ensure_home()
    reads = ReadCache(refresh_seconds=settings.read_refresh_seconds, kept_per_topic=settings.read_cache_entries)
    store = Store(make_engine(settings.effective_database_url), clock=clock, reads=reads)
    digester = SecretDigester(settings.resolved_secret_key())
    repo_host = LocalRepoHost(settings.home / "repos")
    dora = DoraPolicy(bands=settings.insights_dora_bands, count_rollbacks=settings.insights_dora_count_rollbacks)
    platform_context = PlatformContext(
        repo_host=repo_host,
        digester=digester,
        templates_root=settings.home / "templates",
        scratch_root=settings.home / "scratch",
        public_url=settings.effective_public_url,
        render_timeout=settings.render_timeout_seconds,
        outbound_allow=tuple(settings.outbound_allow),
        dora=dora,
    )
    config = replace(delivery_config(settings), repo_host=repo_host)
    flags = FlagServer(
        store,
        digester,
        refresh_seconds=settings.flag_refresh_seconds,
        rate=settings.ofrep_rate_limit,
        burst=settings.ofrep_burst,
        address_rate=settings.ofrep_address_rate_limit,
        address_burst=settings.ofrep_address_burst,
    )
    runtime = Runtime(
        settings=settings,
        store=store,
        digester=digester,
        repo_host=repo_host,
        platform=platform_context,
        delivery=config,
        dora=dora,
        executor=make_executor(settings, store, config),
        flags=flags,
        otlp=otlp_receiver(settings, one_writer=is_sqlite(store.engine)),
    )
    _subscribe(runtime)
    _wire_delivery(runtime)
    store.bus.subscribe(FlagsChanged, flags.invalidate)
    store.bus.subscribe(ClientKeyRevoked, flags.forget_key)
    store.bus.subscribe(TokenRevoked, runtime.tokens.forget_token)
    store.bus.subscribe(UserChanged, runtime.tokens.forget_user)
    return runtime


def otlp_receiver(settings: Settings, *, one_writer: bool = False) -> OtlpReceiver:
    limits = OtlpLimits(
        max_bytes=settings.otlp_max_bytes,
        max_concurrent=settings.otlp_max_concurrent,
        rate=settings.otlp_rate_limit,
        burst=settings.otlp_burst,
    )
    return OtlpReceiver(limits, one_writer=one_writer)


def _subscribe(runtime: Runtime) -> None:
    def template_version_from_push(event: PushReceived) -> None:
        with runtime.store.unit_of_work(system_actor("platform")) as uow:
            platform.on_push(uow, event)

    runtime.store.bus.subscribe(PushReceived, template_version_from_push)


def prepare_platform(runtime: Runtime) -> None:
    """Materialise the built-in golden-path templates (git repositories with version tags)."""
    with runtime.store.unit_of_work(system_actor("platform")) as uow:
        platform.ensure_builtin_templates(uow, runtime.platform)


def _wire_delivery(runtime: Runtime) -> None:
    """Pushes start pipelines; queued steps go to the executor (events are published after commit).

    The subscriber is the fast path only: a push it does not claim (the process died, git failed) stays
    unhandled in the store and the delivery reaper starts its run."""
    bus = runtime.store.bus
    bus.subscribe(StepQueued, runtime.executor.submit)
    bus.subscribe(StepCancelRequested, runtime.executor.cancel)
    halt_marker = os.environ.get(HALT_AFTER_PUSH)

    def on_push(event: PushReceived) -> None:
        if halt_marker:
            _halt(halt_marker)
        try:
            delivery.start_for_push(runtime.store, runtime.delivery, event)
        except Exception:  # not lost: the push stays unclaimed and the reaper retries it
            log.exception("push %s to %s left for the reaper", event.push_id, event.repository_key)

    bus.subscribe(PushReceived, on_push)


def _halt(marker: str) -> None:
    with open(marker, "w") as handle:
        handle.write(str(os.getpid()))
    threading.Event().wait()  # until the test kills the process


def prepare_store(runtime: Runtime, *, one_time_admin_password: bool = True) -> CreatedUser | None:
    """Bring the store to this build's schema (embedded stores only) and create the first admin.

    Returns the first admin with its one-time password when this call created it."""
    state = schema.schema_state(runtime.store.engine)
    if not state.up_to_date:
        if runtime.settings.is_embedded_store and runtime.settings.auto_upgrade:
            log.info("upgrading the embedded store from %s to %s", state.current, state.head)
            schema.upgrade(runtime.store.engine)
        else:
            raise SchemaMismatch(
                f"the store is at schema revision {state.current or '(empty)'} but this build needs "
                f"{state.head}; run `factory db upgrade` first"
            )
    with runtime.store.unit_of_work(system_actor("setup")) as uow:
        return accounts.ensure_first_admin(uow, one_time=one_time_admin_password)


def _register_jobs(runtime: Runtime) -> None:
    def purge_sessions() -> None:
        with runtime.store.unit_of_work(system_actor("sessions")) as uow:
            accounts.purge_expired_sessions(uow, idle=runtime.session_idle)

    runtime.jobs.every("purge-expired-sessions", 600, purge_sessions)
    runtime.jobs.every("delivery-reaper", REAP_EVERY_SECONDS, lambda: _reap_delivery(runtime))

    def apply_scheduled_flag_changes() -> None:
        with runtime.store.unit_of_work(system_actor("scheduler")) as uow:
            releases.apply_due_changes(uow)

    runtime.jobs.every("apply-scheduled-flag-changes", 15, apply_scheduled_flag_changes)
    runtime.jobs.every("flush-flag-evaluation-counts", 60, runtime.flags.flush)
    runtime.jobs.every(
        "telemetry-retention",
        runtime.settings.telemetry_prune_every_seconds,
        lambda: prune_telemetry(runtime.store, runtime.settings),
    )


def _reap_delivery(runtime: Runtime) -> None:
    """Lapsed step leases (whichever executor runs the steps), then pushes nobody handed over: this process
    holds the hosted repositories, so it is the one that starts their runs."""
    delivery.reap(runtime.store, runtime.delivery)
    delivery.reap_pushes(runtime.store, runtime.delivery, runtime.repo_host)


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings)
    _register_jobs(rt)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state = schema.schema_state(rt.store.engine)
        if not state.up_to_date:
            raise SchemaMismatch(f"store at {state.current}, build needs {state.head}: run `factory db upgrade`")
        prepare_platform(rt)
        rt.jobs.start()
        try:
            yield
        finally:
            rt.jobs.stop()
            rt.executor.stop()
            _flush_flag_counts(rt)
            rt.store.dispose()

    app = FrontedApp(
        title="Digital Factory",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    app.state.runtime = rt
    api = create_api()
    api.state.runtime = rt
    app.mount(API_PREFIX, api)
    app.include_router(otlp.router)
    app.include_router(hooks.router)
    _add_probes(app, rt)
    git_http.install(app)
    install_web(app)
    _route_api_misses_to_problems(app)
    app.add_middleware(RequestGuardMiddleware, exempt_prefixes=(git_http.GIT_PREFIX, otlp.OTLP_PREFIX))
    # git pushes, OTLP exports and bulk business uploads apply their own, larger body limits
    own_limits = (git_http.GIT_PREFIX, otlp.OTLP_PREFIX, API_PREFIX + business.BULK_PATH)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, exempt_prefixes=own_limits)
    app.add_middleware(AllowHeaderMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    # in front of the framework: kept reads, and before them OFREP, answered under the same guards
    app.put_in_front(KeptAnswerMiddleware, answers=kept.KeptAnswers(rt, API_PREFIX))
    app.put_in_front(FastLaneMiddleware, handler=ofrep.OfrepHandler(rt.flags), max_bytes=settings.max_body_bytes)
    return app


def _route_api_misses_to_problems(app: FastAPI) -> None:
    """A path under /api/ that the API mount does not match (odd characters, a typo in the prefix) is
    still answered in the API's language, problem JSON, not with the web UI's HTML page."""
    web_handler = app.exception_handlers[StarletteHTTPException]

    async def dispatch(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/") and isinstance(exc, StarletteHTTPException):
            return problems.problem(exc.status_code, str(exc.detail), instance=request.url.path)
        answer = web_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, dispatch)


def _flush_flag_counts(rt: Runtime) -> None:
    try:
        rt.flags.flush()
    except Exception:  # shutting down: report, do not mask the shutdown
        log.exception("could not flush flag evaluation counts at shutdown")


def _add_probes(app: FastAPI, rt: Runtime) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers (async: a constant needs no worker thread)."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        """Readiness: the store answers and is at this build's schema; background jobs run."""
        checks: dict[str, str] = {}
        try:
            with rt.store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            state = schema.schema_state(rt.store.engine)
            checks["store"] = "ok" if state.up_to_date else f"schema {state.current}, needs {state.head}"
        except Exception as exc:  # readiness reports, it does not crash
            checks["store"] = f"unavailable: {type(exc).__name__}"
        checks["jobs"] = "ok" if rt.jobs.running else "stopped"
        ready = all(value == "ok" for value in checks.values())
        # which sandbox protections steps get on this host (reported; readiness does not depend on them)
        sandbox = {p.name: p.active for p in delivery.protections(rt.delivery.sandbox)}
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks, "sandbox": sandbox},
            status_code=200 if ready else 503,
        )
