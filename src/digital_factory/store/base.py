"""Declarative base with naming conventions (stable constraint names across SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, ColumnElement, DateTime, ForeignKey, MetaData, String, TypeDecorator, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.types import UserDefinedType

from digital_factory.core.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, whatever the engine stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use the clock (UTC)")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class _UTCRead(UserDefinedType[datetime]):
    """Reading only: a stored time as aware UTC in one step per value (SQLite's text parsed by the standard
    library, PostgreSQL's aware value moved to UTC), for reads of 10^5 times."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "TIMESTAMP WITH TIME ZONE"

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        return _from_text if dialect.name == "sqlite" else _to_utc


def _from_text(value: Any) -> datetime | None:
    # SQLite keeps UTCDateTime values as UTC text without an offset; parsing it with one is the fast way
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def _to_utc(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)


def utc_read(column: Any) -> ColumnElement[datetime]:
    """`column` (a UTCDateTime) read in bulk: the same aware UTC values, without per-value layers."""
    return type_coerce(column, _UTCRead())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Entity(Base):
    """A table whose rows have the surrogate primary key `id` (every table but the link tables)."""

    __abstract__ = True

    # the first column, as the migrations create it
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


def child_of(table: str) -> MappedColumn[Any]:
    """A reference to a row's parent in `table`: deleting the parent deletes the row; indexed for the
    lookups by parent."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


# the parent of most rows of the catalog, delivery and releases
ServiceRef = Annotated[int, child_of("catalog_service")]


class ServiceRecord:
    """A row of one service that also keeps the service's key, which the DTOs call `service`."""

    service_id: Mapped[ServiceRef]
    service_key: Mapped[str] = mapped_column(String(64))

    @property
    def service(self) -> str:
        """The DTOs' name for the service key (`Schema.model_validate(row)` reads it)."""
        return self.service_key


class IssuedSecret:
    """A bearer secret issued to a client (an API token, an ingestion or OFREP client key): found by its
    public id, checked against its keyed digest (the secret itself is never stored), revocable."""

    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
