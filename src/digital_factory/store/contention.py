"""Whether a store failure is passing (a lock not granted in time, a deadlock, a serialization failure, the
database unreachable): worth retrying later, and not the caller's fault. Ingestion answers those 503."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

# PostgreSQL: serialization failure, deadlock, lock not available, cannot connect now
PASSING_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P03"})


def is_passing(error: BaseException) -> bool:
    if isinstance(error, OperationalError):  # SQLite "database is locked", a lost or refused connection
        return True
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in PASSING_SQLSTATES
