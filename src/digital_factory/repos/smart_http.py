"""Git's smart HTTP protocol through `git http-backend`, run as a CGI process with streamed bodies.

Framework-free (asyncio only): the HTTP edge (`api/git.py`) authenticates, then hands the request
body as an async iterator and gets status, headers and an async iterator of response chunks back.
The request body is fed to the CGI while its output is read through a small bounded queue, so neither
a large push nor a large clone is ever held in memory as a whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from digital_factory.repos import git

log = logging.getLogger(__name__)
CHUNK = 65_536
QUEUE_CHUNKS = 16
HEADER_LIMIT = 16_384

SERVICES = frozenset({"git-upload-pack", "git-receive-pack"})
_PATH = re.compile(r"^(?P<key>[a-z][a-z0-9-]{1,62}[a-z0-9])\.git/(?P<rest>info/refs|git-upload-pack|git-receive-pack)$")


class BodyTooLarge(Exception):
    pass


class BackendFailed(Exception):
    pass


@dataclass(frozen=True)
class GitRequest:
    """What the edge parsed: which repository, which service, and whether it writes."""

    key: str
    rest: str
    service: str

    @property
    def is_push(self) -> bool:
        return self.service == "git-receive-pack"


def parse(path: str, method: str, query: Mapping[str, str]) -> GitRequest | None:
    """The request if it is a smart-HTTP request we serve (dumb HTTP is not), else None."""
    match = _PATH.match(path.lstrip("/"))
    if match is None:
        return None
    rest = match.group("rest")
    if rest == "info/refs":
        service = query.get("service", "")
        if method not in {"GET", "HEAD"} or service not in SERVICES:
            return None
    else:
        service = rest
        if method != "POST":
            return None
    return GitRequest(key=match.group("key"), rest=rest, service=service)


@dataclass
class CgiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: AsyncIterator[bytes]
    process: asyncio.subprocess.Process


def cgi_environment(
    *,
    project_root: Path,
    request: GitRequest,
    method: str,
    query_string: str,
    headers: Mapping[str, str],
    remote_user: str,
    remote_addr: str | None,
) -> dict[str, str]:
    env = git.environment(
        {
            "GIT_PROJECT_ROOT": str(project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{request.key}.git/{request.rest}",
            "REQUEST_METHOD": method,
            "QUERY_STRING": query_string,
            "REMOTE_USER": remote_user,
            "REMOTE_ADDR": remote_addr or "",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
    )
    # the backend decides receive-pack on its own config: we authorised the push already
    count = int(env["GIT_CONFIG_COUNT"])
    env[f"GIT_CONFIG_KEY_{count}"] = "http.receivepack"
    env[f"GIT_CONFIG_VALUE_{count}"] = "true"
    env["GIT_CONFIG_COUNT"] = str(count + 1)
    for header, variable in (
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ):
        if header in headers:
            env[variable] = headers[header]
    if "content-length" in headers and "chunked" not in headers.get("transfer-encoding", ""):
        env["CONTENT_LENGTH"] = headers["content-length"]
    return env


async def run_backend(
    env: dict[str, str], body: AsyncIterator[bytes], *, max_body_bytes: int, timeout: float
) -> CgiResponse:
    """Start `git http-backend`, feed it the whole request body, and return once its headers are read.

    Raises BodyTooLarge (the process is killed) when the body exceeds `max_body_bytes`."""
    process = await asyncio.create_subprocess_exec(
        git.GIT,
        "http-backend",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_CHUNKS)
    pump = asyncio.create_task(_pump(process, queue))
    asyncio.create_task(_drain_stderr(process))  # noqa: RUF006  (ends with the process)
    try:
        await asyncio.wait_for(_feed(process, body, max_body_bytes), timeout)
        head, first = await asyncio.wait_for(_read_head(queue), timeout)
    except BaseException:
        kill(process)
        pump.cancel()
        raise
    status, headers = _parse_head(head)
    return CgiResponse(
        status=status, headers=headers, body=_body(process, queue, first, pump, timeout), process=process
    )


async def _feed(process: asyncio.subprocess.Process, body: AsyncIterator[bytes], limit: int) -> None:
    assert process.stdin is not None
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge
            if chunk:
                process.stdin.write(chunk)
                await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the backend stopped reading (an error it will report on stdout)
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()


async def _pump(process: asyncio.subprocess.Process, queue: asyncio.Queue[bytes | None]) -> None:
    assert process.stdout is not None
    while chunk := await process.stdout.read(CHUNK):
        await queue.put(chunk)
    await queue.put(None)


async def _drain_stderr(process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    tail = b""
    while chunk := await process.stderr.read(CHUNK):
        tail = (tail + chunk)[-4096:]
    if tail.strip():
        log.warning("git http-backend: %s", tail.decode(errors="replace").strip())


async def _read_head(queue: asyncio.Queue[bytes | None]) -> tuple[bytes, bytes]:
    buffer = b""
    while True:
        for separator in (b"\r\n\r\n", b"\n\n"):
            index = buffer.find(separator)
            if index >= 0:
                return buffer[:index], buffer[index + len(separator) :]
        if len(buffer) > HEADER_LIMIT:
            raise BackendFailed("git http-backend sent oversized headers")
        chunk = await queue.get()
        if chunk is None:
            raise BackendFailed("git http-backend ended before sending headers")
        buffer += chunk


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    status = 200
    headers: list[tuple[str, str]] = []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name.lower() == "status":
            status = int(value.split()[0])
        else:
            headers.append((name, value))
    return status, headers


async def _body(
    process: asyncio.subprocess.Process,
    queue: asyncio.Queue[bytes | None],
    first: bytes,
    pump: asyncio.Task[None],
    timeout: float,
) -> AsyncIterator[bytes]:
    try:
        if first:
            yield first
        while (chunk := await asyncio.wait_for(queue.get(), timeout)) is not None:
            yield chunk
        await asyncio.wait_for(process.wait(), timeout)
    finally:
        if process.returncode is None:
            kill(process)
        pump.cancel()


def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
