"""Runs one attempt of one step: claim, check out, restore artifacts, run sandboxed, stream masked logs,
keep the lease, store artifacts, record the outcome. Every executor calls exactly this.
"""

from __future__ import annotations

import codecs
import dataclasses
import glob
import hashlib
import io
import logging
import os
import shutil
import socket
import tarfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from digital_factory.core.actor import system_actor
from digital_factory.delivery import egress_policy, models, orchestration
from digital_factory.delivery import sandbox as sbx
from digital_factory.delivery import secrets as secret_store
from digital_factory.delivery.config import DeliveryConfig
from digital_factory.delivery.masking import Masker, StreamMasker
from digital_factory.delivery.schemas import Status
from digital_factory.delivery.sources import Repository, checkout, local_path
from digital_factory.store.uow import Store, UnitOfWork

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.25
FLUSH_BYTES = 16 * 1024
ACTOR = system_actor("runner")


class StepFailed(Exception):
    """The step cannot run (missing secret, bad artifact, unreachable repository): it fails with this reason."""


@dataclass(frozen=True)
class StepJob:
    run_id: int
    step_id: int
    attempt: int
    service_id: int
    service_key: str
    source: str
    ref: str | None
    sha: str
    version: str
    stage_name: str
    stage_position: int
    environment: str | None
    name: str
    command: str
    timeout_seconds: int
    network: bool
    egress_granted: bool
    artifacts: list[str]
    variables: dict[str, str]
    secret_names: list[str]
    needs: list[str]
    artifacts_from_run_id: int | None


@dataclass(frozen=True)
class StepInputs:
    """What a step gets from the store, read with its claim: its secrets (and those it names that are not
    set) and the artifacts of its run (content, step name, stage position, run id)."""

    secrets: dict[str, str]
    missing: list[str]
    artifacts: list[tuple[bytes, str, int, int]]


def default_worker_id() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


class LogWriter:
    """Masked, size-capped, batched writes of a step attempt's output to the store."""

    def __init__(self, store: Store, step_id: int, attempt: int, masker: Masker, max_bytes: int) -> None:
        self.store, self.step_id, self.attempt, self.max_bytes = store, step_id, attempt, max_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._masker: StreamMasker = masker.stream()
        self.masker = masker
        self._buffer: list[str] = []
        self._buffered = 0
        self._written = 0
        self._seq = 0
        self._last_flush = time.monotonic()
        self._truncated = False

    def output(self, data: bytes) -> None:
        self.text(self._decoder.decode(data))

    def text(self, text: str) -> None:
        safe = self._masker.feed(text)
        if safe:
            self._buffer.append(safe)
            self._buffered += len(safe)
        if self._buffered >= FLUSH_BYTES:
            self.flush()

    def note(self, line: str) -> None:
        """A line from the factory itself (masked too: it may quote an error)."""
        self._buffer.append(self._masker.flush())
        self._buffer.append(self.masker.mask(f"[factory] {line}\n"))
        self._buffered += 1

    def tick(self) -> None:
        if self._buffer and time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def close(self, uow: UnitOfWork | None = None) -> None:
        """The last output, written in `uow` when given (with the step's outcome: one transaction less)."""
        self.text(self._decoder.decode(b"", final=True))
        self._buffer.append(self._masker.flush())
        self.flush(uow)

    def flush(self, uow: UnitOfWork | None = None) -> None:
        text = self._take()
        if text is None:
            return
        if uow is not None:
            self._write(uow, text)
            return
        with self.store.unit_of_work(ACTOR) as own:
            self._write(own, text)

    def _take(self) -> str | None:
        """The buffered text, cut at the log's size limit; None when there is nothing to write."""
        text = "".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self._last_flush = time.monotonic()
        if not text or self._truncated:
            return None
        room = self.max_bytes - self._written
        if len(text.encode()) > room:
            text = text.encode()[: max(room, 0)].decode(errors="ignore")
            text += f"\n[factory] the log reached its limit of {self.max_bytes} bytes; further output is dropped\n"
            self._truncated = True
        self._written += len(text.encode())
        return text

    def _write(self, uow: UnitOfWork, text: str) -> None:
        self._seq += 1
        if self._seq == 1:  # continue after lines the factory wrote to this attempt already
            self._seq = 1 + (
                uow.session.scalar(
                    select(models.StepLog.seq)
                    .where(models.StepLog.step_id == self.step_id, models.StepLog.attempt == self.attempt)
                    .order_by(models.StepLog.seq.desc())
                    .limit(1)
                )
                or 0
            )
        uow.session.add(
            models.StepLog(step_id=self.step_id, attempt=self.attempt, seq=self._seq, text=text, at=uow.clock.now())
        )


class StepRunner:
    def __init__(self, store: Store, config: DeliveryConfig, worker_id: str | None = None) -> None:
        self.store = store
        self.config = config
        self.worker_id = worker_id or default_worker_id()
        self.shutting_down = threading.Event()
        self._repositories: dict[str, Repository] = {}

    def _repository(self, source: str) -> Repository:
        """Local repositories are resolved once per source; remote ones are fetched for every step."""
        cached = self._repositories.get(source)
        if cached is not None:
            return cached
        repository = Repository.open(source, self.config.mirrors_dir)
        if local_path(source) is not None:
            self._repositories[source] = repository
        return repository

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.lease_seconds)

    def execute(self, step_id: int, attempt: int, cancel: threading.Event | None = None) -> Status | None:
        """Run the attempt if it is still queued (else do nothing: a duplicate message); its outcome. The
        store is met twice: the claim with everything the step reads, and the outcome with its last output."""
        with self.store.unit_of_work(ACTOR) as uow:
            if not orchestration.claim(uow, step_id, attempt, self.worker_id, self.lease):
                return None
            job, masker, inputs = self._load(uow, step_id, attempt)
        cancel = cancel or threading.Event()
        writer = LogWriter(self.store, step_id, attempt, masker, self.config.log_max_bytes)
        beat = _Heartbeat(self, step_id, attempt, cancel)
        beat.start()
        attempt_dir = self.config.workspaces_dir / f"run-{job.run_id}" / f"step-{step_id}-{attempt}"
        run_over = False
        try:
            status, exit_code, error = self._run(job, inputs, attempt_dir, writer, cancel)
        except Exception as exc:  # the runner's own failure fails the step, never the worker
            log.warning("step %s attempt %s failed in the runner: %s", step_id, attempt, masker.mask(str(exc)))
            status, exit_code, error = Status.FAILED, None, masker.mask(f"{type(exc).__name__}: {exc}")[:2000]
            writer.note(f"the step could not run: {error}")
        except BaseException:
            writer.close()
            raise
        finally:
            beat.stop()
        try:
            if self.shutting_down.is_set() and status == Status.CANCELLED:
                writer.close()
                return None  # leave the lease to lapse: the reaper queues the step again after a restart
            with self.store.unit_of_work(ACTOR) as uow:
                writer.close(uow)
                orchestration.finish(uow, step_id, attempt, self.worker_id, status, exit_code=exit_code, error=error)
                run_over = orchestration.run_finished(uow, job.run_id)
            return status
        finally:
            if not self.config.keep_workspaces:  # after the outcome is recorded: the next step need not wait
                shutil.rmtree(attempt_dir, ignore_errors=True)
                if run_over:
                    shutil.rmtree(self._sources(job.run_id), ignore_errors=True)

    def _load(self, uow: UnitOfWork, step_id: int, attempt: int) -> tuple[StepJob, Masker, StepInputs]:
        """The step's job, a masker for every secret of its service (a step may print one it was not
        given, e.g. read from a file), and the secrets and artifacts it gets."""
        step = uow.session.get(models.StepRun, step_id)
        assert step is not None
        run = uow.session.get(models.PipelineRun, step.run_id)
        stage = uow.session.get(models.StageRun, step.stage_id)
        assert run is not None and stage is not None
        variables = {k: str(v) for k, v in stage.variables.items() if not k.startswith("__")}
        variables.update({k: str(v) for k, v in step.variables.items()})
        masker = Masker(secret_store.all_values(uow, self.config.secret_box, run.service_id))
        job = StepJob(
            run_id=run.id,
            step_id=step.id,
            attempt=attempt,
            service_id=run.service_id,
            service_key=run.service_key,
            source=run.source,
            ref=run.ref,
            sha=run.commit_sha,
            version=run.version,
            stage_name=stage.name,
            stage_position=stage.position,
            environment=stage.environment,
            name=step.name,
            command=step.command,
            timeout_seconds=step.timeout_seconds,
            network=step.network,
            egress_granted=egress_policy.egress_granted(uow, run.service_id),
            artifacts=list(step.artifacts),
            variables=variables,
            secret_names=list(step.secrets),
            needs=list(step.needs),
            artifacts_from_run_id=run.artifacts_from_run_id,
        )
        return job, masker, self._inputs(uow, job)

    def _inputs(self, uow: UnitOfWork, job: StepJob) -> StepInputs:
        values, missing = secret_store.values_for_step(
            uow, self.config.secret_box, job.service_id, job.secret_names, job.environment
        )
        artifacts = uow.session.execute(
            select(models.Artifact.content, models.StepRun.name, models.StageRun.position, models.Artifact.run_id)
            .join(models.StepRun, models.StepRun.id == models.Artifact.step_id)
            .join(models.StageRun, models.StageRun.id == models.StepRun.stage_id)
            .where(models.Artifact.run_id.in_([job.run_id, job.artifacts_from_run_id or job.run_id]))
            .order_by(models.StepRun.position)
        ).all()
        return StepInputs(values, missing, [(row[0], row[1], row[2], row[3]) for row in artifacts])

    def _run(
        self, job: StepJob, inputs: StepInputs, attempt_dir: Path, writer: LogWriter, cancel: threading.Event
    ) -> tuple[Status, int | None, str | None]:
        started = time.monotonic()
        if self.config.sandbox.isolation is sbx.Isolation.MISSING:
            writer.note(sbx.MISSING_MESSAGE)
            return Status.FAILED, None, sbx.MISSING_MESSAGE
        try:
            workdir, config, env = self._prepare(job, inputs, attempt_dir, writer)
        except StepFailed as exc:
            writer.note(str(exc))
            return Status.FAILED, None, str(exc)
        network = self._network(job, config, writer)
        step = sbx.Step(job.command, attempt_dir, workdir, network=network, name=f"step-{job.step_id}-{job.attempt}")
        outcome = sbx.run(
            config,
            step,
            env=env,
            timeout_seconds=job.timeout_seconds,
            cancelled=cancel,
            on_output=writer.output,
            on_tick=writer.tick,
            cpu_seconds=job.timeout_seconds + 5,
        )
        return self._conclude(job, outcome, workdir, writer, time.monotonic() - started)

    def _network(self, job: StepJob, config: sbx.SandboxConfig, writer: LogWriter) -> bool:
        """Says in the log how the step runs; whether it gets (granted, loopback-free) egress."""
        who = f"host uid {config.step_uid}" if config.drops_uid else "the server's uid"
        limits = "whole-step cgroup limits" if config.cgroups is not None else "per-process limits only"
        writer.note(f"running in {config.isolation} isolation as {who}, {limits}")
        if not job.network:
            writer.note("network off")
            return False
        if config.isolation is sbx.Isolation.NONE:
            writer.note("network: the sandbox is off on this host, so the step shares the host's network")
            return True
        if not job.egress_granted:
            writer.note(
                f"network off: the pipeline asks for it, but {job.service_key}'s delivery policy does not grant "
                "egress (its owners or the platform team can grant it)"
            )
            return False
        writer.note("network on (granted by the delivery policy; the factory host's loopback is unreachable)")
        return True

    def _conclude(
        self, job: StepJob, outcome: sbx.Outcome, workdir: Path, writer: LogWriter, took: float
    ) -> tuple[Status, int | None, str | None]:
        if outcome.ending == sbx.Ending.TIMED_OUT:
            error = f"timed out after {job.timeout_seconds} s; the step and its child processes were killed"
            writer.note(error)
            return Status.TIMED_OUT, outcome.exit_code, error
        if outcome.ending == sbx.Ending.CANCELLED:
            writer.note("cancelled; the step and its child processes were killed")
            return Status.CANCELLED, outcome.exit_code, "cancelled"
        if outcome.out_of_memory:
            limit = self.config.sandbox.limits.memory_bytes // (1024 * 1024)
            error = f"a process was killed: the step exceeded its memory limit of {limit} MiB"
            writer.note(error)
            return Status.FAILED, outcome.exit_code, error
        if outcome.exit_code != 0:
            error = f"exited with code {outcome.exit_code}"
            writer.note(f"{error} after {took:.1f} s")
            return Status.FAILED, outcome.exit_code, error
        try:
            self._keep_artifacts(job, workdir, writer)
        except StepFailed as exc:
            writer.note(str(exc))
            return Status.FAILED, 0, str(exc)
        writer.note(f"passed in {took:.1f} s")
        return Status.PASSED, 0, None

    def _prepare(
        self, job: StepJob, inputs: StepInputs, attempt_dir: Path, writer: LogWriter
    ) -> tuple[Path, sbx.SandboxConfig, dict[str, str]]:
        if inputs.missing:
            scope = (
                f" (or for {job.environment})"
                if job.environment
                else " (a secret scoped to an environment reaches only that environment's deploy stage)"
            )
            raise StepFailed(f"secret(s) {', '.join(inputs.missing)} not set for {job.service_key}{scope}")
        shutil.rmtree(attempt_dir, ignore_errors=True)
        workdir = attempt_dir / "ws"
        for folder in (attempt_dir, attempt_dir / "home", attempt_dir / "tmp"):
            folder.mkdir(parents=True, mode=0o700)
        repository = self._repository(job.source)
        self._checkout(repository, job, workdir)
        writer.note(f"checked out {job.sha[:12]} ({job.version}) of {job.service_key}")
        self._restore_artifacts(job, inputs.artifacts, workdir, writer)
        config = dataclasses.replace(
            self.config.sandbox, read_only_paths=(*self.config.sandbox.read_only_paths, Path(repository.git_dir))
        )
        env = {
            "PATH": sbx.step_path(config),
            "HOME": str(attempt_dir / "home"),
            "TMPDIR": str(attempt_dir / "tmp"),
            "LANG": "C.UTF-8",
            "CI": "true",
            **job.variables,
            "FACTORY_RUN_ID": str(job.run_id),
            "FACTORY_SERVICE": job.service_key,
            "FACTORY_COMMIT": job.sha,
            "FACTORY_REF": job.ref or "",
            "FACTORY_VERSION": job.version,
            "FACTORY_STAGE": job.stage_name,
            "FACTORY_STEP": job.name,
            "FACTORY_STEP_ATTEMPT": str(job.attempt),
            "FACTORY_ENVIRONMENT": job.environment or "",
            "FACTORY_WORKSPACE": str(workdir),
            **inputs.secrets,
        }
        return workdir, config, env

    def _checkout(self, repository: Repository, job: StepJob, workdir: Path) -> None:
        """The commit's tree, checked out once per run (two git processes) and copied for each of its steps
        (the copy is a fraction of that). The shared tree lies outside every step's sandbox."""
        pristine = self._sources(job.run_id) / job.sha
        if not pristine.is_dir():
            staging = pristine.with_name(f"{job.sha}.{job.step_id}-{job.attempt}")
            shutil.rmtree(staging, ignore_errors=True)
            checkout(repository, job.sha, staging)
            shutil.rmtree(staging / ".git" / "logs", ignore_errors=True)  # reflogs serve no step: fewer to copy
            try:
                staging.rename(pristine)
            except OSError:  # a parallel step of the run got there first: use its tree
                shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(pristine, workdir, symlinks=True)

    def _sources(self, run_id: int) -> Path:
        return self.config.workspaces_dir / f"run-{run_id}" / "sources"

    def _restore_artifacts(
        self, job: StepJob, artifacts: list[tuple[bytes, str, int, int]], workdir: Path, writer: LogWriter
    ) -> None:
        for content, step_name, position, run_id in artifacts:
            earlier = position < job.stage_position or (position == job.stage_position and step_name in job.needs)
            if run_id != job.run_id or earlier:
                with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
                    archive.extractall(workdir, filter="data")
                writer.note(f"restored the artifacts of {step_name!r}")

    def _keep_artifacts(self, job: StepJob, workdir: Path, writer: LogWriter) -> None:
        if not job.artifacts:
            return
        buffer = io.BytesIO()
        count = 0
        root = workdir.resolve()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for pattern in job.artifacts:
                matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
                if not matches:
                    raise StepFailed(f"artifact path {pattern!r} matched nothing in the workspace")
                for match in matches:
                    count += _add_tree(archive, root, root / match)
        content = buffer.getvalue()
        if len(content) > self.config.artifact_max_bytes:
            raise StepFailed(f"artifacts are {len(content)} bytes, over the limit of {self.config.artifact_max_bytes}")
        with self.store.unit_of_work(ACTOR) as uow:
            existing = uow.session.scalar(select(models.Artifact).where(models.Artifact.step_id == job.step_id))
            if existing is not None:
                uow.session.delete(existing)
                uow.session.flush()
            uow.session.add(
                models.Artifact(
                    run_id=job.run_id,
                    step_id=job.step_id,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    files=count,
                    content=content,
                    created_at=uow.clock.now(),
                )
            )
        writer.note(f"kept {count} artifact file(s), {len(content)} bytes compressed")


def _add_tree(archive: tarfile.TarFile, root: Path, path: Path) -> int:
    """Regular files and folders under `path`; symlinks are refused (they could point anywhere)."""
    if path.is_symlink():
        raise StepFailed(f"artifact {path.relative_to(root)} is a symbolic link; artifacts hold files only")
    resolved = path.resolve()
    if os.path.commonpath([root, resolved]) != str(root):
        raise StepFailed(f"artifact {path} lies outside the workspace")
    if path.is_file():
        archive.add(path, arcname=str(path.relative_to(root)), recursive=False)
        return 1
    count = 0
    for child in sorted(path.iterdir()):
        count += _add_tree(archive, root, child)
    return count


class _Heartbeat:
    """Renews the step's lease every second; sets `cancel` when the step was cancelled or taken away."""

    def __init__(self, runner: StepRunner, step_id: int, attempt: int, cancel: threading.Event) -> None:
        self.runner, self.step_id, self.attempt, self.cancel = runner, step_id, attempt, cancel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{step_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.wait(self.runner.config.heartbeat_seconds):
            if self.runner.shutting_down.is_set():
                self.cancel.set()
                continue
            try:
                with self.runner.store.unit_of_work(ACTOR) as uow:
                    ours, cancelled = orchestration.heartbeat(
                        uow, self.step_id, self.attempt, self.runner.worker_id, self.runner.lease
                    )
            except Exception:  # a store hiccup: try again next beat; the lease has slack
                log.warning("lease renewal of step %s failed", self.step_id, exc_info=True)
                continue
            if not ours or cancelled:
                self.cancel.set()


def reap(store: Store, config: DeliveryConfig) -> int:
    """One pass of the reaper (a periodic job in the server and in every worker)."""
    with store.unit_of_work(system_actor("reaper")) as uow:
        return orchestration.reap(
            uow, max_attempts=config.max_attempts, redispatch_after=timedelta(seconds=config.redispatch_after_seconds)
        )
