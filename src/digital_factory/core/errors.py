"""The domain error tree. Services raise these; the edges (API, web, CLI) map them exactly once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One reason an input was refused: where (dotted field path) and why."""

    field: str
    reason: str


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"
    title = "Request failed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    """The request is well-formed but the current state forbids it (a gate, a WIP limit, a duplicate)."""

    code = "conflict"
    title = "Conflict"

    def __init__(self, detail: str, *, rule: str | None = None) -> None:
        super().__init__(detail)
        self.rule = rule


class ValidationFailed(DomainError):
    code = "validation-failed"
    title = "Invalid input"

    def __init__(self, detail: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.problems = problems or []

    @classmethod
    def on(cls, field_name: str, reason: str) -> ValidationFailed:
        return cls(f"{field_name}: {reason}", [FieldProblem(field_name, reason)])


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class PermissionDenied(DomainError):
    code = "permission-denied"
    title = "Permission denied"


class RateLimited(DomainError):
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class SchemaMismatch(DomainError):
    """The store's schema is not the one this build knows (newer, or not yet upgraded)."""

    code = "schema-mismatch"
    title = "Store schema mismatch"
