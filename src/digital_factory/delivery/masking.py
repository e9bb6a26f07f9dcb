"""Secret masking for step logs: every channel (stored log, live stream, API, errors) reads masked text.

Masking is defence in depth, not a control: a step that wants to leak a secret can (reverse it, space it
out, split it over lines, encode it in base32, gzip or its own cipher...). It catches the accidents: a secret
printed raw or in a common encoding — base64 and URL-safe base64 (at any of the three byte alignments, so
also inside a longer encoded blob), URL-encoding (either case of the hex digits, `+` for spaces), hex
(either case), JSON and shell quoting, `$$` escaping — and a secret split across output chunks (a tail of
`len(longest form) - 1` characters is held back until the next chunk shows whether it completes a secret).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 8


def derived_forms(secret: str) -> set[str]:
    """The secret and the encodings it commonly leaks in."""
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        shlex.quote(secret),
        secret.replace("$", "$$"),
        raw.hex(),
        raw.hex().upper(),
    }
    for encoded in (quote(secret, safe=""), quote_plus(secret)):
        forms.add(_lower_escapes(encoded))
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            # the characters of base64(prefix + secret) that depend only on the secret's bits
            encoded = encode(b"\x00" * offset + raw).decode()
            start = -(-offset * 8 // 6)  # ceil(8k / 6)
            end = (offset + len(raw)) * 8 // 6
            fragment = encoded[start:end]
            if len(fragment) >= MIN_SECRET_LENGTH:
                forms.add(fragment)
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _lower_escapes(encoded: str) -> str:
    """`%2F` -> `%2f`: some encoders write the hex digits of an escape in lower case."""
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)


class Masker:
    """Replaces registered secrets (and their encodings) with `***` in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) >= MIN_SECRET_LENGTH:
                forms |= derived_forms(secret)
        # longest first, so a form that contains another is replaced whole
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(form) for form in ordered)) if ordered else None
        self.longest = len(ordered[0]) if ordered else 0

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

    def stream(self) -> StreamMasker:
        return StreamMasker(self)


class StreamMasker:
    """Masks a stream fed in arbitrary chunks, holding back a tail that could be the start of a secret."""

    def __init__(self, masker: Masker) -> None:
        self._masker = masker
        self._hold = max(masker.longest - 1, 0)
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Masked text that is safe to emit now."""
        if not self._masker:
            return chunk
        buffer = self._masker.mask(self._pending + chunk)
        if self._hold == 0 or len(buffer) <= self._hold:
            self._pending = buffer if self._hold else ""
            return "" if self._hold else buffer
        self._pending = buffer[-self._hold :]
        return buffer[: -self._hold]

    def flush(self) -> str:
        """The held-back tail, masked (end of the stream)."""
        rest, self._pending = self._masker.mask(self._pending), ""
        return rest
