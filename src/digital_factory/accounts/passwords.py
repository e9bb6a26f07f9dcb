"""Password hashing (argon2id, OWASP parameters) and the strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from digital_factory.core.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 12

# OWASP's argon2id minimum (m=19 MiB, t=2, p=1): about 30 ms per check on a small machine.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Checked against when the user does not exist, so timing does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password-at-all")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.on("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ValidationFailed.on("password", "must be at most 1024 characters")
    if len(set(password)) < 5:
        raise ValidationFailed.on("password", "uses too few different characters")
