"""Flags, their changes and approvals, segments, the release timeline, client keys and previews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi import status as http

from digital_factory.api.context import CurrentActor, runtime
from digital_factory.api.paging import Paging
from digital_factory.core.pagination import Page
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import (
    Change,
    ChangeFilter,
    ChangeStatus,
    ClientKey,
    ClientKeyCreate,
    CreatedClientKey,
    Decision,
    EvaluationCounts,
    Flag,
    FlagChange,
    FlagCreate,
    FlagUpdate,
    Kill,
    PreviewRequest,
    PreviewResult,
    Release,
    ReleaseFilter,
    Segment,
    SegmentSpec,
)

router = APIRouter(tags=["releases"])

FLAG = "/services/{service}/flags/{flag}"


# --- flags ---------------------------------------------------------------------------------------


@router.get("/services/{service}/flags")
def list_flags(request: Request, actor: CurrentActor, service: str, include_archived: bool = False) -> list[Flag]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.list_flags(uow, service, include_archived=include_archived)


@router.post("/services/{service}/flags", status_code=http.HTTP_201_CREATED)
def create_flag(request: Request, actor: CurrentActor, service: str, data: FlagCreate) -> Flag:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.create_flag(uow, service, data)


@router.get(FLAG)
def get_flag(request: Request, actor: CurrentActor, service: str, flag: str) -> Flag:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.get_flag(uow, service, flag)


@router.patch(FLAG)
def update_flag(request: Request, actor: CurrentActor, service: str, flag: str, data: FlagUpdate) -> Flag:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.update_flag(uow, service, flag, data)


@router.post(FLAG + "/archive")
def archive_flag(request: Request, actor: CurrentActor, service: str, flag: str) -> Flag:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.archive_flag(uow, service, flag)


@router.post(FLAG + "/environments/{environment}/changes", status_code=http.HTTP_201_CREATED)
def request_change(
    request: Request,
    response: Response,
    actor: CurrentActor,
    service: str,
    flag: str,
    environment: str,
    data: FlagChange,
) -> Change:
    """Change the flag in one environment. `status` says what happened: `applied`, `scheduled`, or
    `pending` (the environment's policy needs another person's approval; answered 202)."""
    with runtime(request).store.unit_of_work(actor) as uow:
        change = releases.request_change(uow, service, flag, environment, data)
    if change.status is ChangeStatus.PENDING:
        response.status_code = http.HTTP_202_ACCEPTED
    return change


@router.post(FLAG + "/environments/{environment}/kill")
def kill_flag(
    request: Request, actor: CurrentActor, service: str, flag: str, environment: str, data: Kill | None = None
) -> Change:
    """The kill switch: off now, serving the off variant."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.kill_flag(uow, service, flag, environment, data or Kill())


@router.post(FLAG + "/preview")
def preview(
    request: Request, actor: CurrentActor, service: str, flag: str, data: PreviewRequest
) -> list[PreviewResult]:
    """Which variant does this context get (in every environment, or with a draft configuration)?"""
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.preview(uow, service, flag, data.context, environment=data.environment, draft=data.draft)


@router.get(FLAG + "/evaluations")
def evaluation_counts(
    request: Request,
    actor: CurrentActor,
    service: str,
    flag: str,
    environment: str,
    hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24 * 7,
) -> EvaluationCounts:
    """Evaluations per variant and hour (flushed from the servers' memory every minute)."""
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.evaluation_counts(uow, service, flag, environment, hours=hours)


# --- changes and releases --------------------------------------------------------------------------


@router.get("/flag-changes")
def list_changes(
    request: Request,
    actor: CurrentActor,
    page: Paging,
    status: ChangeStatus | None = None,
    service: str | None = None,
    environment: str | None = None,
    flag: str | None = None,
) -> Page[Change]:
    filters = ChangeFilter(status=status, service=service, environment=environment, flag=flag)
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.list_changes(uow, filters, page)


@router.get("/flag-changes/{key}")
def get_change(request: Request, actor: CurrentActor, key: str) -> Change:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.get_change(uow, key)


@router.post("/flag-changes/{key}/approve")
def approve_change(request: Request, actor: CurrentActor, key: str, data: Decision | None = None) -> Change:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.approve_change(uow, key, data)


@router.post("/flag-changes/{key}/reject")
def reject_change(request: Request, actor: CurrentActor, key: str, data: Decision | None = None) -> Change:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.reject_change(uow, key, data)


@router.post("/flag-changes/{key}/cancel")
def cancel_change(request: Request, actor: CurrentActor, key: str) -> Change:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.cancel_change(uow, key)


@router.get("/releases")
def list_releases(
    request: Request,
    actor: CurrentActor,
    page: Paging,
    service: str | None = None,
    environment: str | None = None,
    flag: str | None = None,
    feature: str | None = None,
) -> Page[Release]:
    """The release timeline, newest first: every change that altered what customers get."""
    filters = ReleaseFilter(service=service, environment=environment, flag=flag, feature=feature)
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.list_releases(uow, filters, page)


# --- segments -------------------------------------------------------------------------------------------


@router.get("/services/{service}/environments/{environment}/segments")
def list_segments(request: Request, actor: CurrentActor, service: str, environment: str) -> list[Segment]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.list_segments(uow, service, environment)


@router.put("/services/{service}/environments/{environment}/segments/{segment}")
def put_segment(
    request: Request,
    response: Response,
    actor: CurrentActor,
    service: str,
    environment: str,
    segment: str,
    data: SegmentSpec,
) -> Change:
    """Create or replace a segment; governed like a flag change (202 when it waits for approval)."""
    if data.key != segment:
        data = data.model_copy(update={"key": segment})
    with runtime(request).store.unit_of_work(actor) as uow:
        change = releases.put_segment(uow, service, environment, data)
    if change.status is ChangeStatus.PENDING:
        response.status_code = http.HTTP_202_ACCEPTED
    return change


@router.delete("/services/{service}/environments/{environment}/segments/{segment}", status_code=204)
def delete_segment(request: Request, actor: CurrentActor, service: str, environment: str, segment: str) -> Response:
    with runtime(request).store.unit_of_work(actor) as uow:
        releases.delete_segment(uow, service, environment, segment)
    return Response(status_code=204)


# --- client keys ---------------------------------------------------------------------------------------


@router.get("/services/{service}/client-keys")
def list_client_keys(
    request: Request, actor: CurrentActor, service: str, environment: str | None = None
) -> list[ClientKey]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return releases.list_client_keys(uow, service, environment)


@router.post("/services/{service}/client-keys", status_code=http.HTTP_201_CREATED)
def create_client_key(request: Request, actor: CurrentActor, service: str, data: ClientKeyCreate) -> CreatedClientKey:
    """A client key for OFREP (`Authorization: Bearer dffk_…`) in one environment; shown once."""
    rt = runtime(request)
    with rt.store.unit_of_work(actor) as uow:
        return releases.create_client_key(uow, rt.digester, service, data.environment, data.name)


@router.post("/client-keys/{public_id}/revoke")
def revoke_client_key(request: Request, actor: CurrentActor, public_id: str) -> ClientKey:
    with runtime(request).store.unit_of_work(actor) as uow:
        return releases.revoke_client_key(uow, public_id)
