"""Bearer secrets (API tokens, and later ingestion and flag client keys): format, checksum, digest.

Format: `<prefix>_<public id>_<secret><checksum>` where the secret carries 256 random bits and the
checksum (CRC32, base32) lets secret scanners and the server reject a mangled token without a lookup.
Only an HMAC-SHA256 digest keyed with the server's secret key is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import zlib
from dataclasses import dataclass

PUBLIC_ID_LENGTH = 12
CHECKSUM_LENGTH = 7
_PATTERN = re.compile(r"^([a-z]{3,8})_([a-z2-7]{12})_([A-Za-z0-9_-]{43})([A-Z2-7]{7})$")


@dataclass(frozen=True)
class ParsedSecret:
    prefix: str
    public_id: str
    full: str


def _checksum(body: str) -> str:
    crc = zlib.crc32(body.encode()).to_bytes(4, "big")
    return base64.b32encode(crc).decode().rstrip("=")[:CHECKSUM_LENGTH]


def new_public_id() -> str:
    return base64.b32encode(secrets.token_bytes(8)).decode().lower().rstrip("=")[:PUBLIC_ID_LENGTH]


def generate(prefix: str) -> ParsedSecret:
    public_id = new_public_id()
    body = f"{prefix}_{public_id}_{secrets.token_urlsafe(32)}"
    return ParsedSecret(prefix=prefix, public_id=public_id, full=body + _checksum(body))


def parse(candidate: str, prefix: str) -> ParsedSecret | None:
    """The parsed secret, or None when it is not well-formed (checked before any store lookup)."""
    match = _PATTERN.match(candidate)
    if match is None or match.group(1) != prefix:
        return None
    body, checksum = candidate[:-CHECKSUM_LENGTH], match.group(4)
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return ParsedSecret(prefix=prefix, public_id=match.group(2), full=candidate)


class SecretDigester:
    """Keyed digest of bearer secrets; the key (pepper) never leaves the server."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(("factory-secret-digest:" + key).encode()).digest()

    def digest(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def matches(self, value: str, stored_digest: str) -> bool:
        return hmac.compare_digest(self.digest(value), stored_digest)
