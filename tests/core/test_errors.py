"""The domain error tree: codes and titles the edges map, and the details each error carries."""

from __future__ import annotations

import pytest

from digital_factory.core import errors
from digital_factory.core.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    NotFound,
    PermissionDenied,
    RateLimited,
    SchemaMismatch,
    Unauthenticated,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("error", "code", "title"),
    [
        (DomainError, "error", "Request failed"),
        (NotFound, "not-found", "Not found"),
        (Conflict, "conflict", "Conflict"),
        (ValidationFailed, "validation-failed", "Invalid input"),
        (Unauthenticated, "unauthenticated", "Authentication required"),
        (PermissionDenied, "permission-denied", "Permission denied"),
        (SchemaMismatch, "schema-mismatch", "Store schema mismatch"),
    ],
)
def test_every_error_has_its_code_and_title(error: type[DomainError], code: str, title: str) -> None:
    raised = error("what happened")
    assert (raised.code, raised.title, raised.detail, str(raised)) == (code, title, "what happened", "what happened")
    assert isinstance(raised, DomainError)


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, DomainError)]
    assert len(codes) == len(set(codes)) == 8


def test_a_conflict_may_name_its_rule() -> None:
    assert Conflict("full").rule is None
    refused = Conflict("the column is full", rule="wip-limit")
    assert (refused.detail, refused.rule) == ("the column is full", "wip-limit")


def test_validation_failed_carries_its_field_problems() -> None:
    problems = [FieldProblem("name", "is empty"), FieldProblem("wsjf.value", "must be at least 1")]
    refused = ValidationFailed("two problems", problems)
    assert refused.problems == problems
    assert ValidationFailed("no details").problems == []


def test_validation_failed_on_one_field() -> None:
    refused = ValidationFailed.on("expires_in_days", "must be at most 366")
    assert refused.detail == "expires_in_days: must be at most 366"
    assert refused.problems == [FieldProblem("expires_in_days", "must be at most 366")]
    assert refused.code == "validation-failed"


def test_rate_limited_says_when_to_come_back() -> None:
    refused = RateLimited("too many sign-in attempts", retry_after_seconds=90)
    assert (refused.detail, refused.retry_after_seconds, refused.code) == (
        "too many sign-in attempts",
        90,
        "rate-limited",
    )
    assert refused.title == "Too many requests"


def test_field_problems_are_values() -> None:
    assert FieldProblem("a", "b") == FieldProblem("a", "b")
    assert {FieldProblem("a", "b"), FieldProblem("a", "b")} == {FieldProblem("a", "b")}
