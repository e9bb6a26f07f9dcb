"""Per-step control groups, so a step's limits hold for all its processes together.

Each step gets its own group in every usable controller: `memory` (RAM and swap of the whole step), `pids`
(a fork bomb stops at the limit) and `cpu` (a quota in cores). cgroup v2 is used where this process's own
group has the controllers delegated; otherwise the v1 `memory`, `pids` and `cpu` hierarchies where they are
mounted and writable (as root on hosts that still mount v1). Where neither is usable, the rlimits remain
(per process only) and `factory doctor` says so.

A step joins its groups before anything else runs: the argv is prefixed with a tiny shell that writes its
own pid into each group's `cgroup.procs` and then `exec`s the step, so no child can start outside them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PREFIX = "factory"
CPU_PERIOD_US = 100_000
# runs as root before the uid drop: join every group named before `--`, then become the step
JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


@dataclass(frozen=True)
class StepLimits:
    memory_bytes: int
    pids: int
    cpus: float  # 0: no CPU quota


@dataclass(frozen=True)
class Hierarchy:
    """Where this host lets us create step groups: `v2` one folder for all, else one per v1 controller."""

    version: int
    parents: dict[str, Path]  # controller -> the folder step groups are created in

    @property
    def controllers(self) -> tuple[str, ...]:
        return tuple(sorted(self.parents))


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) -> this process's group path, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            for name in names.split(",") if names else [""]:
                paths[name] = path
    return paths


def _probe(parent: Path, files: tuple[str, ...]) -> bool:
    """Can we create a group under `parent` that has `files`?"""
    probe = parent / f"{GROUP_PREFIX}-probe-{secrets.token_hex(4)}"
    try:
        probe.mkdir(parents=True)
    except OSError:
        return False
    try:
        return all((probe / name).exists() for name in files)
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


V1_FILES = {"memory": ("memory.limit_in_bytes",), "pids": ("pids.max",), "cpu": ("cpu.cfs_quota_us",)}
V2_FILES = {"memory": "memory.max", "pids": "pids.max", "cpu": "cpu.max"}


def detect(root: Path = CGROUP_ROOT) -> Hierarchy | None:
    """The usable hierarchy on this host (memory at least), or None."""
    own = _own_paths()
    unified = root if (root / "cgroup.controllers").exists() else root / "unified"
    if "" in own and (unified / "cgroup.controllers").exists():
        parent = unified / own[""].lstrip("/") / GROUP_PREFIX
        wanted = tuple(V2_FILES[name] for name in ("memory", "pids"))
        if _probe(parent, wanted):
            found = {name: parent for name, file in V2_FILES.items() if _probe(parent, (file,))}
            sweep(Hierarchy(2, found))
            return Hierarchy(2, found)
    found = {}
    for name, files in V1_FILES.items():
        mount = root / name
        if name in own and (mount / "cgroup.procs").exists():
            parent = mount / own[name].lstrip("/") / GROUP_PREFIX
            if _probe(parent, files):
                found[name] = parent
    hierarchy = Hierarchy(1, found) if "memory" in found else None
    if hierarchy is not None:
        sweep(hierarchy)
    return hierarchy


STALE_SECONDS = 300


def sweep(hierarchy: Hierarchy, older_than: float = STALE_SECONDS) -> None:
    """Remove empty step groups left by a server or worker that was killed (older than `older_than`, so a
    group another process just created and is about to join is left alone)."""
    now = time.time()
    for parent in set(hierarchy.parents.values()):
        with contextlib.suppress(OSError):
            for group in parent.iterdir():
                with contextlib.suppress(OSError):
                    stale = group.is_dir() and now - group.stat().st_mtime > older_than
                    if stale and not (group / "cgroup.procs").read_text().strip():
                        group.rmdir()


class StepGroup:
    """The groups of one step attempt: create with limits, join through `wrap`, kill and remove after."""

    def __init__(self, hierarchy: Hierarchy, name: str, limits: StepLimits) -> None:
        self.hierarchy = hierarchy
        leaf = f"{name}-{secrets.token_hex(3)}"
        self.folders = {c: parent / leaf for c, parent in hierarchy.parents.items()}
        for folder in set(self.folders.values()):
            folder.mkdir(parents=True)
        try:
            self._limit(limits)
        except OSError:
            self.remove()
            raise

    def _limit(self, limits: StepLimits) -> None:
        if self.hierarchy.version == 2:
            folder = self.folders["memory"]
            (folder / "memory.max").write_text(str(limits.memory_bytes))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
            if "pids" in self.folders:
                (folder / "pids.max").write_text(str(limits.pids))
            if "cpu" in self.folders and limits.cpus > 0:
                (folder / "cpu.max").write_text(f"{int(limits.cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
            return
        memory = self.folders["memory"]
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
        with contextlib.suppress(OSError):  # no swap accounting: RAM is still limited
            (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))
        if "pids" in self.folders:
            (self.folders["pids"] / "pids.max").write_text(str(limits.pids))
        if "cpu" in self.folders and limits.cpus > 0:
            (self.folders["cpu"] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (self.folders["cpu"] / "cpu.cfs_quota_us").write_text(str(int(limits.cpus * CPU_PERIOD_US)))

    def wrap(self, argv: list[str]) -> list[str]:
        procs = [str(folder / "cgroup.procs") for folder in dict.fromkeys(self.folders.values())]
        return ["/bin/sh", "-c", JOIN_SCRIPT, "cgroup-join", *procs, "--", *argv]

    def out_of_memory(self) -> bool:
        """Did the kernel kill a process of this step for exceeding its memory limit?"""
        folder = self.folders["memory"]
        with contextlib.suppress(OSError, ValueError):
            if self.hierarchy.version == 2:
                events = dict(line.split() for line in (folder / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", "0")) > 0
            control = dict(line.split() for line in (folder / "memory.oom_control").read_text().splitlines())
            if "oom_kill" in control:
                return int(control["oom_kill"]) > 0
            return int((folder / "memory.failcnt").read_text()) > 0
        return False

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders.values():
            with contextlib.suppress(OSError):
                found |= {int(line) for line in (folder / "cgroup.procs").read_text().split()}
        return found

    def kill(self, wait_seconds: float = 5.0) -> None:
        """SIGKILL every process still in the step's groups (a final sweep after the process group)."""
        deadline = time.monotonic() + wait_seconds
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill()
        for folder in set(self.folders.values()):
            for _ in range(50):  # the kernel frees a group shortly after its last process is reaped
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
