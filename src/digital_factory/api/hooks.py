"""Webhook receivers, outside /api/v1 (the senders are GitHub, GitLab and CDEvents producers, not people):

    POST /hooks/github?hook=<public id>     X-Hub-Signature-256 over the raw body
    POST /hooks/gitlab?hook=<public id>     X-Gitlab-Token
    POST /hooks/cdevents?hook=<public id>   Authorization: Bearer <secret>, or X-Hub-Signature-256

The body is read raw (the server's body limit applies: 413) and handed to the integrations domain in one
write unit of work, committed before the answer: 202 with the outcome (`mapped`, `ignored`, `unmapped`),
200 `duplicate` for a delivery id seen before, 401 for a wrong or missing signature, 400 problem JSON for a
known event whose body is malformed, 404 for an unknown hook. Nothing is stored unless the answer is 2xx.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.api.problems import domain_error_response, problem
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import DomainError
from digital_factory.integrations import service as integrations
from digital_factory.integrations.schemas import HookKind, Receipt
from digital_factory.runtime import Runtime, runtime_of

router = APIRouter(include_in_schema=False)
KINDS = {kind.value for kind in HookKind}


@router.post("/hooks/{kind}")
async def receive(request: Request, kind: str, hook: str = "") -> Response:
    if kind not in KINDS:
        return problem(404, f"there is no receiver for {kind[:40]!r}", instance=request.url.path)
    if not hook:
        return problem(404, "name the hook: /hooks/<kind>?hook=<public id>", instance=request.url.path)
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        receipt = await run_in_threadpool(_receive, runtime_of(request), kind, hook, headers, body)
    except integrations.Malformed as exc:
        errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
        return problem(400, exc.detail, code=exc.code, title=exc.title, instance=request.url.path, errors=errors)
    except DomainError as exc:
        return domain_error_response(exc, request.url.path)
    code = 200 if receipt.duplicate else 202
    return JSONResponse(receipt.model_dump(mode="json"), status_code=code)


def _receive(rt: Runtime, kind: str, public_id: str, headers: dict[str, str], body: bytes) -> Receipt:
    with rt.store.unit_of_work(system_actor(f"{kind}-hook")) as uow:
        return integrations.receive(uow, rt.delivery.secret_box, kind, public_id, headers=headers, body=body)
