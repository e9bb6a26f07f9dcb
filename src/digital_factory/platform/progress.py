"""Live progress of long platform jobs (onboarding, fleet upgrades), held in the server's memory.

The web page polls it and the CLI follows it through the API. Outcomes are persisted separately (the
onboarding and upgrade records, the audit log); this board only shows what is happening now, on this
server process.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from digital_factory.core.errors import NotFound
from digital_factory.platform.schemas import Job, JobStatus, Step, StepStatus

MAX_JOBS = 200


class JobBoard:
    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._secrets: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def create(self, kind: str, owner: str, title: str, steps: Iterable[tuple[str, str]]) -> str:
        job_id = secrets.token_urlsafe(12)
        job = Job(
            id=job_id,
            kind=kind,
            owner=owner,
            status=JobStatus.RUNNING,
            title=title,
            steps=[Step(name=name, label=label) for name, label in steps],
            created_at=datetime.now(UTC),
        )
        with self._lock:
            self._jobs[job_id] = job
            while len(self._jobs) > MAX_JOBS:
                old, _ = self._jobs.popitem(last=False)
                self._secrets.pop(old, None)
        return job_id

    def step(self, job_id: str, name: str, status: StepStatus, detail: str = "") -> None:
        with self._lock:
            job = self._jobs[job_id]
            steps = [
                s.model_copy(update={"status": status, "detail": detail}) if s.name == name else s for s in job.steps
            ]
            if not any(s.name == name for s in job.steps):
                steps.append(Step(name=name, label=name, status=status, detail=detail))
            self._jobs[job_id] = job.model_copy(update={"steps": steps})

    def finish(
        self,
        job_id: str,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        secret_fields: dict[str, str] | None = None,
    ) -> None:
        with self._lock:
            job = self._jobs[job_id]
            steps = [
                s.model_copy(update={"status": StepStatus.FAILED}) if error and s.status == StepStatus.RUNNING else s
                for s in job.steps
            ]
            self._jobs[job_id] = job.model_copy(
                update={
                    "status": JobStatus.FAILED if error else JobStatus.SUCCEEDED,
                    "error": error,
                    "result": result,
                    "steps": steps,
                    "finished_at": datetime.now(UTC),
                }
            )
            if secret_fields:
                self._secrets[job_id] = dict(secret_fields)

    def get(self, job_id: str, *, viewer: str, reveal: bool = False) -> Job:
        """A job as its owner sees it. Secrets in the result are handed out once (`reveal`), then gone."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != viewer:
                raise NotFound(f"no job {job_id!r} (jobs are kept in memory by the server that runs them)")
            if reveal and job.status != JobStatus.RUNNING and job_id in self._secrets:
                secret_fields = self._secrets.pop(job_id)
                return job.model_copy(update={"result": {**(job.result or {}), **secret_fields}})
            return job
