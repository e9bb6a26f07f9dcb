"""The HTTP/1.1 protocol the server runs: uvicorn's, answering what it refuses as problem JSON.

Requests the parser itself refuses never reach the application (a request target over the parser's own
limit of 64 KiB, malformed request lines or headers); uvicorn answers those with a text/plain 400. Here they
get problem JSON like every other error: 414 for a request target too long, 400 for the rest. Targets over
`middleware.MAX_URL_BYTES` but within the parser's limit are refused by the application's middleware."""

from __future__ import annotations

import json

from digital_factory.app.middleware import MAX_URL_BYTES

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - no httptools on this platform
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]

PARSER_MAX_URL_BYTES = (1 << 16) - 1  # httptools' own limit on a request target


def problem_bytes(status: int, reason: str, code: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document; the connection closes after it."""
    body = json.dumps(
        {"type": f"urn:digital-factory:problem:{code}", "title": reason, "status": status, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def refusal(url_length: int) -> bytes:
    if url_length > MAX_URL_BYTES:
        detail = f"The request target exceeds the limit of {MAX_URL_BYTES} bytes."
        return problem_bytes(414, "URI Too Long", "uri-too-long", detail)
    detail = "The request is not valid HTTP/1.1 (a malformed request line, or headers malformed or too large)."
    return problem_bytes(400, "Bad Request", "malformed-request", detail)


class ProblemProtocol(_Base):
    """uvicorn's HTTP protocol (httptools where installed, else h11) with problem JSON refusals."""

    def send_400_response(self, msg: str) -> None:
        self.transport.write(refusal(len(getattr(self, "url", b""))))
        self.transport.close()
