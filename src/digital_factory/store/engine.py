"""Engines for SQLite (WAL, foreign keys, busy timeout, IMMEDIATE write transactions) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

WRITE_OPTION = "factory_write"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 40


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # plain postgresql:// means psycopg2 to SQLAlchemy; the product ships psycopg 3
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def dialect_insert(dialect_name: str, table: Any) -> Any:
    """`INSERT` of the store's dialect, for its `ON CONFLICT` clauses (SQLite's and PostgreSQL's agree)."""
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)


def one_at_a_time(session: Session, name: str) -> None:
    """Hold the lock `name` until the session's transaction ends, against every process sharing the store:
    PostgreSQL's advisory transaction lock. On SQLite a write transaction already excludes every other."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # As many pooled connections as the thread pool runs routes at once (anyio's 40): fewer would open
    # and close a connection (and its PRAGMAs) per request under load.
    engine = create_engine(
        url,
        echo=echo,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE // 2,
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # hand transaction control to SQLAlchemy's "begin" event, so writers can take the lock up front
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives power loss
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    # A deferred transaction that later writes can fail at once with SQLITE_BUSY when another
    # writer committed in between; writers therefore take the write lock when they begin.
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
