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

from digital_factory.delivery import cgroups, egress

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
NOBODY = 65534


class Isolation(StrEnum):
    BWRAP = "bwrap"
    NONE = "none"  # FACTORY_SANDBOX=off, on purpose
    MISSING = "missing"  # wanted, but bubblewrap is not installed: steps are refused


MISSING_MESSAGE = (
    "this host has no bubblewrap, so pipeline steps are refused rather than run unsandboxed: "
    "install it (apt-get install bubblewrap) or set FACTORY_SANDBOX=off to run steps without a sandbox on purpose"
)


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4096 * 1024 * 1024  # the whole step (cgroup); also each process's address space
    file_size_bytes: int = 1024 * 1024 * 1024
    open_files: int = 1024
    pids: int = 512  # processes and threads of the whole step (cgroup)
    cpus: float = 0.0  # CPU quota of the whole step in cores (cgroup); 0: none
    process_memory_bytes: int | None = None  # address space per process; default: `memory_bytes`

    @property
    def address_space_bytes(self) -> int:
        return self.process_memory_bytes or self.memory_bytes


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
    step_uid: int | None = None  # the host uid steps run as when the server runs as root
    step_gid: int | None = None
    setpriv: str | None = None
    cgroups: cgroups.Hierarchy | None = None
    slirp: str | None = None

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
        step_uid: int = NOBODY,
        step_gid: int = NOBODY,
        use_cgroups: bool = True,
    ) -> SandboxConfig:
        """`mode` is `bwrap` (required), `off`, or `auto` (bubblewrap where installed, else steps are refused)."""
        bwrap = shutil.which("bwrap")
        if mode == "bwrap" and bwrap is None:
            raise RuntimeError(
                "the sandbox is set to bwrap but bubblewrap is not installed (apt-get install bubblewrap)"
            )
        isolation = Isolation.NONE if mode == "off" else Isolation.BWRAP if bwrap else Isolation.MISSING
        root = os.geteuid() == 0
        setpriv = shutil.which("setpriv") if root else None
        return cls(
            isolation=isolation,
            bwrap=bwrap,
            prlimit=shutil.which("prlimit"),
            read_only_paths=tuple(Path(p) for p in read_only_paths),
            writable_paths=tuple(Path(p) for p in writable_paths),
            path_dirs=tuple(path_dirs),
            limits=limits or Limits(),
            kill_grace_seconds=kill_grace_seconds,
            step_uid=step_uid if setpriv and isolation is Isolation.BWRAP else None,
            step_gid=step_gid if setpriv and isolation is Isolation.BWRAP else None,
            setpriv=setpriv,
            cgroups=cgroups.detect() if use_cgroups and root else None,
            slirp=egress.slirp_path() if isolation is Isolation.BWRAP else None,
        )

    @property
    def drops_uid(self) -> bool:
        return self.step_uid is not None and self.setpriv is not None


def step_path(config: SandboxConfig) -> str:
    return ":".join([*config.path_dirs, SYSTEM_PATH])


@dataclass(frozen=True)
class Channels:
    """bubblewrap's `--info-fd` (it reports the sandbox's pid) and `--block-fd` (it waits before the step)."""

    info_fd: int
    block_fd: int


def command(
    config: SandboxConfig,
    *,
    script: str,
    attempt_dir: Path,
    workdir: Path,
    cpu_seconds: int,
    channels: Channels | None = None,
) -> list[str]:
    """The argv that runs `script` with `sh -e` in `workdir`, isolated as configured (never the host network)."""
    inner = ["/bin/sh", "-e", "-c", script]
    if config.isolation is Isolation.BWRAP:
        assert config.bwrap is not None
        waits = _channel_options(channels)
        if config.drops_uid:
            assert config.setpriv is not None and config.step_uid is not None
            gid = config.step_gid if config.step_gid is not None else config.step_uid
            drop = [config.setpriv, f"--reuid={config.step_uid}", f"--regid={gid}", "--clear-groups"]
            drop += ["--no-new-privs", "--inh-caps=-all", "--"]
            sandbox = [config.bwrap, *_inner_options(config, attempt_dir, workdir, config.step_uid, gid), *waits]
            inner = [config.bwrap, *_outer_options(config, attempt_dir), "--", *drop, *sandbox, "--", *inner]
        else:
            inner = [config.bwrap, *_bwrap_options(config, attempt_dir, workdir), *waits, "--", *inner]
    if config.prlimit:
        limits = config.limits
        inner = [
            config.prlimit,
            f"--as={limits.address_space_bytes}",
            f"--fsize={limits.file_size_bytes}",
            f"--nofile={limits.open_files}",
            f"--cpu={cpu_seconds}",
            "--core=0",
            "--",
            *inner,
        ]
    return inner


def _channel_options(channels: Channels | None) -> list[str]:
    if channels is None:
        return []
    return ["--info-fd", str(channels.info_fd), "--block-fd", str(channels.block_fd)]


NAMESPACES = ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]


def _system_options() -> list[str]:
    options = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            options += ["--symlink", str(os.readlink(top)), str(top)]
        elif top.is_dir():
            options += ["--ro-bind", str(top), str(top)]
    for etc in ETC_FILES:
        options += ["--ro-bind-try", etc, etc]
    return options


def _step_binds(config: SandboxConfig, attempt_dir: Path) -> list[str]:
    """What the step may see besides the system: the configured paths (if they exist) and its attempt folder."""
    options: list[str] = []
    for path in config.read_only_paths:
        options += ["--ro-bind-try", str(path), str(path)]
    for path in config.writable_paths:
        options += ["--bind-try", str(path), str(path)]
    return [*options, "--bind", str(attempt_dir), str(attempt_dir)]


def _bwrap_options(config: SandboxConfig, attempt_dir: Path, workdir: Path) -> list[str]:
    """One bubblewrap as the server's own (unprivileged) uid: namespaces and the file system at once."""
    options = [*NAMESPACES, "--uid", str(NOBODY), "--gid", str(NOBODY), "--die-with-parent", "--new-session"]
    options += _system_options()
    options += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # noqa: S108  (the sandbox's private /tmp)
    options += _step_binds(config, attempt_dir)
    options += ["--chdir", str(workdir)]
    return options


def _outer_options(config: SandboxConfig, attempt_dir: Path) -> list[str]:
    """As root: a mount namespace holding only what the step may see, with traversable parent folders (the
    step's uid could not reach e.g. a workspace inside the 0700 data folder). Nothing runs here but setpriv."""
    # the host's /proc (unmodified) lets the inner bubblewrap mount its own; the step never sees this one
    # its own pid namespace: when the server dies, bubblewrap's pid 1 dies with it and the kernel kills every
    # process of the step (a parent-death signal could not: it may not signal another uid)
    options = ["--die-with-parent", "--unshare-pid", "--bind", "/proc", "/proc", "--dev", "/dev"]
    options += ["--tmpfs", "/tmp"]  # noqa: S108
    mounts = [*config.read_only_paths, *config.writable_paths, attempt_dir]
    # bubblewrap creates missing parents with mode 0700 as root: create them readable first
    for parent in _parents_to_create([*mounts, *(Path(etc) for etc in ETC_FILES)]):
        options += ["--perms", "0755", "--dir", str(parent)]
    options += _system_options()
    options += _step_binds(config, attempt_dir)
    return options


def _inner_options(config: SandboxConfig, attempt_dir: Path, workdir: Path, uid: int, gid: int) -> list[str]:
    """As the step's uid: new namespaces (no new user namespaces inside), the outer view read-only."""
    options = [*NAMESPACES, "--uid", str(uid), "--gid", str(gid), "--die-with-parent", "--new-session"]
    options += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # noqa: S108
    # the private /tmp hides what the outer view bound below /tmp (a checkout, its virtualenv): bind it again
    options += _step_binds(config, attempt_dir)
    options += ["--chdir", str(workdir)]
    return options


def _parents_to_create(mounts: Sequence[Path]) -> list[Path]:
    """Folders above the mount points that the outer namespace creates itself (mode 0755), shallowest first."""
    taken = [Path("/usr"), Path("/proc"), Path("/dev"), *mounts]
    parents: set[Path] = set()
    for mount in mounts:
        for parent in mount.parents:
            if parent in {Path("/"), Path("/tmp")}:  # noqa: S108
                continue
            if not any(parent == t or t in parent.parents for t in taken):
                parents.add(parent)
    return sorted(parents, key=lambda p: len(p.parts))


class Ending(StrEnum):
    EXITED = "exited"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Outcome:
    ending: Ending
    exit_code: int | None
    out_of_memory: bool = False  # the kernel killed a process of the step at the step's memory limit


def _limit_child(limits: Limits, cpu_seconds: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec: only syscalls here
        resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_bytes, limits.address_space_bytes))
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


@dataclass(frozen=True)
class Step:
    """What to run and where: `script` with `sh -e` in `workdir` (inside `attempt_dir`)."""

    script: str
    attempt_dir: Path
    workdir: Path
    network: bool = False  # granted egress (slirp, no host loopback); only with bubblewrap
    name: str = "step"  # names its control group


def run(
    config: SandboxConfig,
    step: Step,
    *,
    env: dict[str, str],
    timeout_seconds: float,
    cancelled: threading.Event,
    on_output: Callable[[bytes], None],
    on_tick: Callable[[], None] = lambda: None,
    cpu_seconds: int,
) -> Outcome:
    """Run the step in its own process group (and control groups), streaming merged stdout/stderr."""
    if config.isolation is Isolation.MISSING:
        raise RuntimeError(MISSING_MESSAGE)
    network = step.network and config.isolation is Isolation.BWRAP
    if network and config.slirp is None:
        raise egress.EgressError("egress was granted but slirp4netns is not installed (apt-get install slirp4netns)")
    if config.drops_uid:
        hand_over(step.attempt_dir, config)
    group = _step_group(config, step.name)
    pipes = (os.pipe(), os.pipe()) if network else None
    try:
        channels = Channels(info_fd=pipes[0][1], block_fd=pipes[1][0]) if pipes else None
        argv = command(
            config,
            script=step.script,
            attempt_dir=step.attempt_dir,
            workdir=step.workdir,
            cpu_seconds=cpu_seconds,
            channels=channels,
        )
        process = _spawn(
            group.wrap(argv) if group else argv,
            env=env,
            cwd=step.workdir,
            config=config,
            cpu_seconds=cpu_seconds,
            channels=channels,
        )
        watch = _Watch(process.pid, time.monotonic() + timeout_seconds, config.kill_grace_seconds, cancelled)
        code = _supervise(process, watch, group=group, pipes=pipes, config=config, sinks=(on_output, on_tick))
        return Outcome(watch.ending or Ending.EXITED, code, group.out_of_memory() if group else False)
    finally:
        _close_ours(pipes)
        if group is not None:
            group.remove()


Pipes = tuple[tuple[int, int], tuple[int, int]]


def hand_over(attempt_dir: Path, config: SandboxConfig) -> None:
    """The attempt folder (workspace, home, tmp) belongs to the step's uid; symlinks are not followed."""
    assert config.step_uid is not None
    uid = config.step_uid
    gid = uid if config.step_gid is None else config.step_gid
    os.lchown(attempt_dir, uid, gid)
    for folder, dirs, files in os.walk(attempt_dir):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), uid, gid)


def _step_group(config: SandboxConfig, name: str) -> cgroups.StepGroup | None:
    if config.cgroups is None:
        return None
    limits = config.limits
    return cgroups.StepGroup(config.cgroups, name, cgroups.StepLimits(limits.memory_bytes, limits.pids, limits.cpus))


def _close_ours(pipes: Pipes | None) -> None:
    if pipes is not None:
        for fd in (pipes[0][0], pipes[1][1]):
            with contextlib.suppress(OSError):
                os.close(fd)


def _supervise(
    process: subprocess.Popen[bytes],
    watch: _Watch,
    *,
    group: cgroups.StepGroup | None,
    pipes: Pipes | None,
    config: SandboxConfig,
    sinks: tuple[Callable[[bytes], None], Callable[[], None]],
) -> int:
    """Connect the network if granted, follow the step to its end, leave nothing of it running; its exit code."""
    slirp: egress.Slirp | None = None
    try:
        if pipes is not None:
            slirp = _connect(pipes, config, process.pid)
        _follow(process, watch, *sinks)
    finally:
        _signal_group(process.pid, signal.SIGKILL)  # nothing of the step outlives it
        if group is not None:
            group.kill()
        if process.stdout is not None:
            process.stdout.close()
        code = process.wait()
        if slirp is not None:
            slirp.stop()
    return code


def _spawn(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    config: SandboxConfig,
    cpu_seconds: int,
    channels: Channels | None,
) -> subprocess.Popen[bytes]:
    preexec = None if config.prlimit else _limit_child(config.limits, cpu_seconds)
    try:
        return subprocess.Popen(  # noqa: S603  (argv is built by `command`, never through a shell)
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=preexec,  # noqa: PLW1509  (only without prlimit; setrlimit calls only)
            close_fds=True,
            pass_fds=(channels.info_fd, channels.block_fd) if channels else (),
        )
    finally:
        if channels is not None:  # the child's ends
            os.close(channels.info_fd)
            os.close(channels.block_fd)


def _connect(pipes: Pipes, config: SandboxConfig, root_pid: int) -> egress.Slirp:
    """Give the sandbox its egress network, then let the step start."""
    assert config.slirp is not None
    egress.wait_for_namespaces(pipes[0][0])
    pid = egress.sandboxed_process(root_pid)
    egress.wait_until_set_up(pid)
    slirp = egress.attach(pid, config.slirp)
    os.write(pipes[1][1], b"1")
    return slirp


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
