"""Running one step's commands: clean environment, rlimits, own process group, bubblewrap where installed.

The threat model (docs/delivery.md): pipeline files are code written by whoever can push. A step must not
read the server's data folder, reach the network unless it asks for it, write outside its workspace, or
outlive its timeout, and killing it must kill everything it started.

- bubblewrap: new user, pid, network, ipc and uts namespaces (uid 65534 inside, all capabilities dropped,
  NoNewPrivs), `/usr` and the toolchain folders read-only, the attempt folder read-write, a private /tmp,
  `--die-with-parent` and `--new-session`. Killing bwrap ends the pid namespace, so every descendant dies.
- rlimits (address space, file size, open files, CPU seconds, no core files) through `prlimit` when it is
  installed (no `preexec_fn` in a threaded server), else through `resource` in the child.
- the whole process group gets SIGTERM, then SIGKILL after a grace period, on timeout or cancel; after a
  normal exit too, so no background child survives its step.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

ETC_FILES = (
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/localtime",
    "/etc/gitconfig",
)
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class Isolation(StrEnum):
    BWRAP = "bwrap"
    NONE = "none"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4096 * 1024 * 1024
    file_size_bytes: int = 1024 * 1024 * 1024
    open_files: int = 1024


@dataclass(frozen=True)
class SandboxConfig:
    isolation: Isolation
    bwrap: str | None = None
    prlimit: str | None = None
    read_only_paths: tuple[Path, ...] = ()
    writable_paths: tuple[Path, ...] = ()
    path_dirs: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    kill_grace_seconds: float = 3.0

    @classmethod
    def detect(
        cls,
        mode: str,
        *,
        read_only_paths: Sequence[Path] = (),
        writable_paths: Sequence[Path] = (),
        path_dirs: Sequence[str] = (),
        limits: Limits | None = None,
        kill_grace_seconds: float = 3.0,
    ) -> SandboxConfig:
        """`mode` is `bwrap` (required), `off`, or `auto` (bubblewrap where installed)."""
        bwrap = shutil.which("bwrap")
        if mode == "bwrap" and bwrap is None:
            raise RuntimeError(
                "the sandbox is set to bwrap but bubblewrap is not installed (apt-get install bubblewrap)"
            )
        isolation = Isolation.BWRAP if mode != "off" and bwrap else Isolation.NONE
        return cls(
            isolation=isolation,
            bwrap=bwrap,
            prlimit=shutil.which("prlimit"),
            read_only_paths=tuple(Path(p) for p in read_only_paths),
            writable_paths=tuple(Path(p) for p in writable_paths),
            path_dirs=tuple(path_dirs),
            limits=limits or Limits(),
            kill_grace_seconds=kill_grace_seconds,
        )


def step_path(config: SandboxConfig) -> str:
    return ":".join([*config.path_dirs, SYSTEM_PATH])


def command(
    config: SandboxConfig, *, script: str, attempt_dir: Path, workdir: Path, network: bool, cpu_seconds: int
) -> list[str]:
    """The argv that runs `script` with `sh -e` in `workdir`, isolated as configured."""
    inner = ["/bin/sh", "-e", "-c", script]
    if config.isolation is Isolation.BWRAP:
        assert config.bwrap is not None
        inner = [config.bwrap, *_bwrap_options(config, attempt_dir, workdir, network), "--", *inner]
    if config.prlimit:
        limits = config.limits
        inner = [
            config.prlimit,
            f"--as={limits.memory_bytes}",
            f"--fsize={limits.file_size_bytes}",
            f"--nofile={limits.open_files}",
            f"--cpu={cpu_seconds}",
            "--core=0",
            "--",
            *inner,
        ]
    return inner


def _bwrap_options(config: SandboxConfig, attempt_dir: Path, workdir: Path, network: bool) -> list[str]:
    options = ["--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    options += ["--die-with-parent", "--new-session"]
    if network:
        options.append("--share-net")
    options += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            options += ["--symlink", str(os.readlink(top)), str(top)]
        elif top.is_dir():
            options += ["--ro-bind", str(top), str(top)]
    for etc in ETC_FILES:
        options += ["--ro-bind-try", etc, etc]
    options += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # noqa: S108  (the sandbox's private /tmp)
    for path in config.read_only_paths:
        options += ["--ro-bind-try", str(path), str(path)]
    for path in config.writable_paths:
        options += ["--bind-try", str(path), str(path)]
    options += ["--bind", str(attempt_dir), str(attempt_dir), "--chdir", str(workdir)]
    return options


class Ending(StrEnum):
    EXITED = "exited"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Outcome:
    ending: Ending
    exit_code: int | None


def _limit_child(limits: Limits, cpu_seconds: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec: only syscalls here
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class _Watch:
    """Deadline and cancellation bookkeeping for one running process group."""

    pgid: int
    deadline: float
    grace: float
    cancelled: threading.Event
    ending: Ending | None = None
    kill_at: float | None = None

    def check(self, now: float) -> None:
        if self.ending is None:
            if now >= self.deadline:
                self.ending = Ending.TIMED_OUT
            elif self.cancelled.is_set():
                self.ending = Ending.CANCELLED
            if self.ending is not None:
                _signal_group(self.pgid, signal.SIGTERM)
                self.kill_at = now + self.grace
        elif self.kill_at is not None and now >= self.kill_at:
            _signal_group(self.pgid, signal.SIGKILL)
            self.kill_at = None


def run(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    timeout_seconds: float,
    cancelled: threading.Event,
    on_output: Callable[[bytes], None],
    on_tick: Callable[[], None] = lambda: None,
    config: SandboxConfig,
    cpu_seconds: int,
) -> Outcome:
    """Run `argv` in its own process group, streaming merged stdout/stderr to `on_output`."""
    preexec = None if config.prlimit else _limit_child(config.limits, cpu_seconds)
    process = subprocess.Popen(  # noqa: S603  (argv is built by `command`, never through a shell)
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=preexec,  # noqa: PLW1509  (only without prlimit; setrlimit calls only)
        close_fds=True,
    )
    watch = _Watch(process.pid, time.monotonic() + timeout_seconds, config.kill_grace_seconds, cancelled)
    try:
        _follow(process, watch, on_output, on_tick)
    finally:
        _signal_group(process.pid, signal.SIGKILL)  # nothing of the step outlives it
        if process.stdout is not None:
            process.stdout.close()
        code = process.wait()
    return Outcome(watch.ending or Ending.EXITED, code)


def _follow(
    process: subprocess.Popen[bytes], watch: _Watch, on_output: Callable[[bytes], None], on_tick: Callable[[], None]
) -> None:
    """Stream the output until the process exited and its output closed, enforcing the deadline meanwhile."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    exited_at: float | None = None
    try:
        while True:
            _pump(selector, process, on_output)
            now = time.monotonic()
            on_tick()
            if process.poll() is not None:
                if not selector.get_map():
                    break
                # the step ended but a background child still holds its output: end the group
                if exited_at is None:
                    exited_at = now
                    _signal_group(process.pid, signal.SIGKILL)
                elif now - exited_at > 2:
                    break
            watch.check(now)
    finally:
        selector.close()


def _pump(
    selector: selectors.BaseSelector, process: subprocess.Popen[bytes], on_output: Callable[[bytes], None]
) -> None:
    """Forward what arrives within a tenth of a second; once the output is closed, wait for the exit instead."""
    if not selector.get_map():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(0.05)
        return
    for key, _mask in selector.select(0.1):
        data = os.read(key.fd, 65536)
        if data:
            on_output(data)
        else:
            selector.unregister(key.fileobj)
