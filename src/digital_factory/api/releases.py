"""Flags, their changes (rollouts among them), approvals, segments, the release timeline, client keys, previews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi import status as http

from digital_factory.api.context import Reading, Writing, runtime
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
    RolloutRequest,
    Segment,
    SegmentSpec,
)

router = APIRouter(tags=["releases"])

FLAG = "/services/{service}/flags/{flag}"


# --- flags ---------------------------------------------------------------------------------------


@router.get("/services/{service}/flags")
def list_flags(uow: Reading, service: str, include_archived: bool = False) -> list[Flag]:
    return releases.list_flags(uow, service, include_archived=include_archived)


@router.post("/services/{service}/flags", status_code=http.HTTP_201_CREATED)
def create_flag(uow: Writing, service: str, data: FlagCreate) -> Flag:
    return releases.create_flag(uow, service, data)


@router.get(FLAG)
def get_flag(uow: Reading, service: str, flag: str) -> Flag:
    return releases.get_flag(uow, service, flag)


@router.patch(FLAG)
def update_flag(uow: Writing, service: str, flag: str, data: FlagUpdate) -> Flag:
    return releases.update_flag(uow, service, flag, data)


@router.post(FLAG + "/archive")
def archive_flag(uow: Writing, service: str, flag: str) -> Flag:
    return releases.archive_flag(uow, service, flag)


@router.post(FLAG + "/environments/{environment}/changes", status_code=http.HTTP_201_CREATED)
def request_change(
    response: Response,
    uow: Writing,
    service: str,
    flag: str,
    environment: str,
    data: FlagChange,
) -> Change:
    """Change the flag in one environment. `status` says what happened: `applied`, `scheduled`, or
    `pending` (the environment's policy needs another person's approval; answered 202)."""
    return _answered(response, releases.request_change(uow, service, flag, environment, data))


@router.post(FLAG + "/environments/{environment}/rollout", status_code=http.HTTP_201_CREATED)
def roll_out(
    response: Response, uow: Writing, service: str, flag: str, environment: str, data: RolloutRequest
) -> Change:
    """Roll a variant (default: the flag's default variant) out to `percent` % of targeting keys, everyone
    else getting the off variant, and turn the flag on. A change like any other: `applied`, or `pending`
    where the environment's policy needs another person's approval (answered 202)."""
    return _answered(response, releases.roll_out(uow, service, flag, environment, data))


def _answered(response: Response, change: Change) -> Change:
    """202 when the change waits for approval: accepted, nothing changed yet."""
    if change.status is ChangeStatus.PENDING:
        response.status_code = http.HTTP_202_ACCEPTED
    return change


@router.post(FLAG + "/environments/{environment}/kill")
def kill_flag(uow: Writing, service: str, flag: str, environment: str, data: Kill | None = None) -> Change:
    """The kill switch: off now, serving the off variant."""
    return releases.kill_flag(uow, service, flag, environment, data or Kill())


@router.post(FLAG + "/preview")
def preview(uow: Reading, service: str, flag: str, data: PreviewRequest) -> list[PreviewResult]:
    """Which variant does this context get (in every environment, or with a draft configuration)?"""
    return releases.preview(uow, service, flag, data.context, environment=data.environment, draft=data.draft)


@router.get(FLAG + "/evaluations")
def evaluation_counts(
    uow: Reading,
    service: str,
    flag: str,
    environment: str,
    hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24 * 7,
) -> EvaluationCounts:
    """Evaluations per variant and hour (flushed from the servers' memory every minute)."""
    return releases.evaluation_counts(uow, service, flag, environment, hours=hours)


# --- changes and releases --------------------------------------------------------------------------


@router.get("/flag-changes")
def list_changes(
    uow: Reading,
    page: Paging,
    status: ChangeStatus | None = None,
    service: str | None = None,
    environment: str | None = None,
    flag: str | None = None,
) -> Page[Change]:
    filters = ChangeFilter(status=status, service=service, environment=environment, flag=flag)
    return releases.list_changes(uow, filters, page)


@router.get("/flag-changes/{key}")
def get_change(uow: Reading, key: str) -> Change:
    return releases.get_change(uow, key)


@router.post("/flag-changes/{key}/approve")
def approve_change(uow: Writing, key: str, data: Decision | None = None) -> Change:
    return releases.approve_change(uow, key, data)


@router.post("/flag-changes/{key}/reject")
def reject_change(uow: Writing, key: str, data: Decision | None = None) -> Change:
    return releases.reject_change(uow, key, data)


@router.post("/flag-changes/{key}/cancel")
def cancel_change(uow: Writing, key: str) -> Change:
    return releases.cancel_change(uow, key)


@router.get("/releases")
def list_releases(
    uow: Reading,
    page: Paging,
    service: str | None = None,
    environment: str | None = None,
    flag: str | None = None,
    feature: str | None = None,
) -> Page[Release]:
    """The release timeline, newest first: every change that altered what customers get."""
    filters = ReleaseFilter(service=service, environment=environment, flag=flag, feature=feature)
    return releases.list_releases(uow, filters, page)


# --- segments -------------------------------------------------------------------------------------------


@router.get("/services/{service}/environments/{environment}/segments")
def list_segments(uow: Reading, service: str, environment: str) -> list[Segment]:
    return releases.list_segments(uow, service, environment)


@router.put("/services/{service}/environments/{environment}/segments/{segment}")
def put_segment(
    response: Response,
    uow: Writing,
    service: str,
    environment: str,
    segment: str,
    data: SegmentSpec,
) -> Change:
    """Create or replace a segment; governed like a flag change (202 when it waits for approval)."""
    if data.key != segment:
        data = data.model_copy(update={"key": segment})
    return _answered(response, releases.put_segment(uow, service, environment, data))


@router.delete("/services/{service}/environments/{environment}/segments/{segment}", status_code=204)
def delete_segment(uow: Writing, service: str, environment: str, segment: str) -> Response:
    releases.delete_segment(uow, service, environment, segment)
    return Response(status_code=204)


# --- client keys ---------------------------------------------------------------------------------------


@router.get("/services/{service}/client-keys")
def list_client_keys(uow: Reading, service: str, environment: str | None = None) -> list[ClientKey]:
    return releases.list_client_keys(uow, service, environment)


@router.post("/services/{service}/client-keys", status_code=http.HTTP_201_CREATED)
def create_client_key(request: Request, uow: Writing, service: str, data: ClientKeyCreate) -> CreatedClientKey:
    """A client key for OFREP (`Authorization: Bearer dffk_…`) in one environment; shown once."""
    return releases.create_client_key(uow, runtime(request).digester, service, data.environment, data.name)


@router.post("/client-keys/{public_id}/revoke")
def revoke_client_key(uow: Writing, public_id: str) -> ClientKey:
    return releases.revoke_client_key(uow, public_id)
