"""Base classes for the domains' public DTOs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from digital_factory.core.errors import FieldProblem, ValidationFailed

# The API validates decoded JSON in strict mode, where an enum or datetime field would only accept
# Python objects. Mark such fields `Annotated[Role, FromJson]` to accept their JSON form (the enum's
# value, an ISO 8601 string) while numbers, booleans and strings stay strict.
FromJson = Strict(False)

# Times and dates a client sends lie in these years. Earlier or later ones overflow the conversion to UTC,
# date arithmetic (a window's default start) and the telemetry's 64-bit nanoseconds, and nobody means them.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2199

T = TypeVar("T")


def in_supported_years(value: T) -> T:
    """`value` itself when it is no date or time, or one in the supported years; else a field error."""
    if isinstance(value, date) and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError(
            "time_out_of_range",
            "must lie in the years {earliest} to {latest}",
            {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
        )
    return value


# A time taken from a query parameter (request bodies get the same check from InputModel).
Moment = Annotated[datetime, AfterValidator(in_supported_years)]


class InputModel(BaseModel):
    """Anything a client sends: unknown fields refused, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Text never holds NUL characters (PostgreSQL refuses them, and nobody means them)."""
        if _holds_nul(value):
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _supported_years(cls, value: Any) -> Any:
        return in_supported_years(value)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_nul(item) for item in value)
    return False


M = TypeVar("M", bound="InputModel")


class OutputModel(BaseModel):
    """Anything the product returns; built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


def validation_failed(exc: ValidationError) -> ValidationFailed:
    """A pydantic error as the domain's ValidationFailed, one problem per field."""
    problems = [FieldProblem(".".join(str(part) for part in e["loc"]) or "input", e["msg"]) for e in exc.errors()]
    return ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)


def parse_input(model: type[M], data: dict[str, Any]) -> M:
    """Validate form or CLI input (strings from people) into an input model, lax on types, strict on fields."""
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as exc:
        raise validation_failed(exc) from None


Dto = TypeVar("Dto", bound=BaseModel)


def copied(model: type[Dto], source: object, /, renamed: Mapping[str, str] | None = None, **given: Any) -> Dto:
    """A DTO whose fields are `source`'s attributes (a row, another DTO) of the same name, or of the attribute
    `renamed` names for a field, except the fields `given`: for mappers that would only copy."""
    names = renamed or {}
    return model.model_validate(
        {name: given[name] if name in given else getattr(source, names.get(name, name)) for name in model.model_fields}
    )
