"""Importing epics and features from a CSV or JSON file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from digital_factory.core.errors import ValidationFailed
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import ImportFormat
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import write
from digital_factory.web.pages import FormViewer, PageViewer
from digital_factory.web.portfolio.forms import tab_page, text

router = APIRouter(include_in_schema=False)


# --- import --------------------------------------------------------------------------------------------


@router.get("/portfolio/import", response_class=HTMLResponse)
def import_page(request: Request, viewer: PageViewer) -> Response:
    return tab_page(request, viewer, "import", report=None)


@router.post("/portfolio/import", response_class=HTMLResponse)
async def import_file(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    upload = form.get("file")
    error = None
    report = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        if isinstance(upload, UploadFile):
            await upload.close()
        error = "Choose a CSV or JSON file."
    else:
        try:
            raw = await upload.read()
        finally:
            await upload.close()
        fmt = ImportFormat.JSON if upload.filename.lower().endswith(".json") else ImportFormat.CSV
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError:
            error = "The file is not UTF-8 text."
        else:
            dry_run, skip = text(form, "dry_run") == "on", text(form, "skip_invalid") == "on"

            def work(uow: UnitOfWork) -> Any:
                return portfolio.import_items(uow, content, fmt, dry_run=dry_run, skip_invalid=skip)

            try:
                report = await run_in_threadpool(write, request, viewer, work)
            except ValidationFailed as exc:  # the file itself is unreadable
                error = exc.detail
    return tab_page(
        request,
        viewer,
        "import",
        status_code=422 if error or (report is not None and report.errors and not report.skip_invalid) else 200,
        report=report,
        error=error,
    )
