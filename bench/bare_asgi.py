"""The baseline of the wrk flag bench: a raw ASGI callable answering a constant JSON body, nothing else."""

from __future__ import annotations

from typing import Any

BODY = b'{"key":"heavy-lift-mode","value":true,"variant":"on","reason":"STATIC"}'
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await send(START)
        await send({"type": "http.response.body", "body": BODY})
