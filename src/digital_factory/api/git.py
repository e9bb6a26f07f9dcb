"""Hosted git over HTTP: `/git/<key>.git/...` served by `git http-backend` behind token authentication.

Git clients send HTTP Basic; any user name is accepted with an API token (`dfat_...`) as the password
(a `Bearer` header works too). Reading needs `read`; pushing needs membership of the owning team (with
`delivery:write`) or the platform role. After a push the ref updates are recorded and `PushReceived`
is published, before the client is told the push succeeded.

This route is exempt from the generic request-body limit and applies its own (`max_push_bytes`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from dataclasses import replace

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts import service as accounts
from digital_factory.core.actor import Actor, Origin, system_actor
from digital_factory.core.errors import NotFound, PermissionDenied, Unauthenticated
from digital_factory.repos import service as repos
from digital_factory.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

GIT_PREFIX = "/git/"
BACKEND_TIMEOUT = 600.0
REALM = 'Basic realm="factory"'
_REPOSITORY_PATH = re.compile(r"^([a-z][a-z0-9-]{1,62}[a-z0-9])(?:\.git)?/?$")


def install(app: FastAPI) -> None:
    """Adds the git route to the main application (not the /api/v1 sub-application)."""
    locks: dict[str, asyncio.Lock] = {}

    @app.api_route("/git/{path:path}", methods=["GET", "HEAD", "POST"], include_in_schema=False)
    async def git_http(request: Request, path: str) -> Response:
        rt = runtime_of(request)
        parsed = repos.parse_git_request(path, request.method, request.query_params)
        if parsed is None:
            return _not_git(request, path)
        admitted = await _admit(rt, request, parsed)
        if isinstance(admitted, Response):
            return admitted
        actor = admitted
        env = repos.cgi_environment(
            project_root=rt.repo_host.root,
            request=parsed,
            method=request.method,
            query_string=request.url.query,
            headers=request.headers,
            remote_user=actor.name,
            remote_addr=request.client.host if request.client else None,
        )
        try:
            if parsed.rest == "git-receive-pack":
                lock = locks.setdefault(parsed.key, asyncio.Lock())
                async with lock:
                    return await _receive_pack(rt, request, parsed, env, actor)
            backend = await repos.run_backend(
                env, request.stream(), max_body_bytes=rt.max_push_bytes, timeout=BACKEND_TIMEOUT
            )
        except repos.BodyTooLarge:
            return _too_large(rt)
        except (repos.BackendFailed, TimeoutError) as exc:
            log.warning("git %s on %s failed: %s", parsed.service, parsed.key, exc)
            return _text(502, "the git backend failed; try again")
        return StreamingResponse(
            backend.body, status_code=backend.status, headers=_no_store(backend.headers), media_type=None
        )


async def _admit(rt: Runtime, request: Request, parsed: repos.GitRequest) -> Actor | Response:
    """The authenticated, authorised actor; or the refusal to send."""
    try:
        actor = await run_in_threadpool(_authenticate, rt, request)
        await run_in_threadpool(_authorize, rt, actor, parsed)
    except Unauthenticated as exc:
        return _text(401, exc.detail, {"WWW-Authenticate": REALM})
    except PermissionDenied as exc:
        return _text(403, exc.detail)
    except NotFound as exc:
        return _text(404, exc.detail)
    if not rt.repo_host.exists(parsed.key):
        return _text(404, f"repository {parsed.key!r} has no storage on this server")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > rt.max_push_bytes):
        return _too_large(rt)
    return actor


def _not_git(request: Request, path: str) -> Response:
    """`/git/<key>.git` opened in a web browser (it asks for HTML; a git client never does) goes to the
    repository browser's page; anything else that is not smart HTTP is a 404."""
    match = _REPOSITORY_PATH.match(path)
    wants_html = "text/html" in request.headers.get("accept", "")
    if not wants_html or request.method not in {"GET", "HEAD"}:
        return _text(404, "not a git smart-HTTP request (clone with git over http)")
    if match is None or not runtime_of(request).repo_host.path(match.group(1)).is_dir():
        # a browser asking for something that is no hosted repository: the web's error page, in the layout
        raise NotFound(f"There is no repository page at /git/{path}: this is the address git clients clone.")
    return RedirectResponse(f"/repositories/{match.group(1)}", status_code=303)


def _too_large(rt: Runtime) -> Response:
    return _text(413, f"the request exceeds the limit of {rt.max_push_bytes} bytes (FACTORY_MAX_PUSH_BYTES)")


async def _receive_pack(
    rt: Runtime, request: Request, parsed: repos.GitRequest, env: dict[str, str], actor: Actor
) -> Response:
    """A push: run receive-pack to completion, record what moved, then answer (acknowledge what is stored)."""
    git_dir = rt.repo_host.path(parsed.key)
    before = await run_in_threadpool(repos.list_refs, git_dir)
    backend = await repos.run_backend(env, request.stream(), max_body_bytes=rt.max_push_bytes, timeout=BACKEND_TIMEOUT)
    body = b"".join([chunk async for chunk in backend.body])
    after = await run_in_threadpool(repos.list_refs, git_dir)
    changes = repos.ref_changes(before, after)
    if changes:
        await run_in_threadpool(_record, rt, actor, parsed.key, changes)
    return Response(body, status_code=backend.status, headers=_no_store(backend.headers))


def _record(rt: Runtime, actor: Actor, key: str, changes: list[tuple[str, str, str]]) -> None:
    with rt.store.unit_of_work(actor) as uow:
        repos.record_push(uow, rt.repo_host, key, changes, pusher=actor.name)


def _authenticate(rt: Runtime, request: Request) -> Actor:
    token = _presented_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthenticated("authentication required: use an API token (dfat_...) as the password")
    with rt.store.unit_of_work(system_actor("auth"), write=False) as uow:
        resolved = accounts.resolve_token(uow, rt.digester, token, ip=request.client.host if request.client else None)
    if resolved.stale:
        with rt.store.unit_of_work(resolved.actor) as uow:
            accounts.touch_token(uow, resolved.credential_id)
    return replace(resolved.actor, origin=Origin.GIT)


def _presented_token(header: str) -> str | None:
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        return credential
    if scheme.lower() != "basic" or not credential:
        return None
    try:
        decoded = base64.b64decode(credential, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, _, password = decoded.partition(":")
    return password or None


def _authorize(rt: Runtime, actor: Actor, parsed: repos.GitRequest) -> None:
    try:
        with rt.store.unit_of_work(actor, write=False) as uow:
            if parsed.is_push:
                repos.authorize_push(uow, parsed.key)
            else:
                repos.authorize_read(uow, parsed.key)
    except PermissionDenied as exc:
        if parsed.is_push and parsed.rest == "info/refs":  # once per push attempt, not per request
            with rt.store.unit_of_work(actor) as uow:
                repos.record_refused_push(uow, parsed.key, exc.detail)
        raise


def _no_store(headers: list[tuple[str, str]]) -> dict[str, str]:
    out = {name: value for name, value in headers if name.lower() != "content-length"}
    out.setdefault("Cache-Control", "no-cache, max-age=0, must-revalidate")
    return out


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)
