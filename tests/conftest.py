"""Fixtures: a fresh store per test on SQLite and (when configured) PostgreSQL, the app, clients."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime, build_runtime, create_app
from digital_factory.migrations.metadata import target_metadata
from digital_factory.settings import Settings
from digital_factory.store import schema
from digital_factory.store.engine import make_engine
from tests.browser import LiveServer, chromium_browser, serve
from tests.systemparts import chromium_path, postgres_url, redis_url, require_all

TEST_PUBLIC_URL = "http://testserver"


def _skip_or_fail(reason: str) -> None:
    if require_all():
        pytest.fail(f"{reason} (FACTORY_TEST_REQUIRE_ALL is set)")
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    # The CLI's tables are as wide as the terminal; under test there is none, and the width Rich falls back
    # to differs between a plain run and a worker process: fix it before any test imports the CLI.
    os.environ["COLUMNS"] = "200"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        # browser tests exercise the UI, which is the same on both stores: SQLite only keeps CI short
        backends = ["sqlite"] if "live_server" in metafunc.fixturenames else ["sqlite", "postgresql"]
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "factory.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database on the test server, migrated once, dropped at the end of the session."""
    base = postgres_url()
    if base is None:
        _skip_or_fail("PostgreSQL not configured: set FACTORY_TEST_DATABASE_URL")
    assert base is not None
    name = f"factory_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in target_metadata().sorted_tables)
    engine = make_engine(url)
    with engine.begin() as connection:
        # a connection an earlier test left open (a worker thread, a pool not yet disposed) can hold a lock
        # that TRUNCATE would wait on forever: the database is this session's own, so end them
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path, sqlite_template: Path) -> str:
    if backend == "sqlite":
        target = tmp_path / "factory.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        public_url=TEST_PUBLIC_URL,
        secret_key="test-secret-key-not-for-production",
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    rt.executor.stop()
    rt.store.dispose()


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime=runtime), base_url=TEST_PUBLIC_URL) as test_client:
        yield test_client


@pytest.fixture
def chromium() -> Path:
    path = chromium_path()
    if path is None:
        _skip_or_fail("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture
def redis() -> str:
    url = redis_url()
    if url is None:
        _skip_or_fail("Redis not configured: set FACTORY_TEST_REDIS_URL")
    assert url is not None
    return url


@pytest.fixture
def live_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    """The app on a real uvicorn server (free loopback port), on this test's store."""
    with serve(tmp_path / "live-home", database_url) as server:
        yield server


@pytest.fixture
def page(chromium: Path) -> Iterator[Page]:
    """A fresh page in Debian's Chromium; console errors fail the test."""
    with chromium_browser(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        new_page = context.new_page()
        errors: list[str] = []
        new_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        new_page.on("pageerror", lambda error: errors.append(str(error)))
        yield new_page
        context.close()
        assert not errors, f"browser console errors: {errors}"
