"""Whole-step limits (cgroups), no user namespaces inside a step, and the step's host uid."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from digital_factory.delivery import cgroups, sandbox
from digital_factory.delivery.sandbox import Ending, Limits, SandboxConfig
from tests.systemparts import bwrap_path, require_all


def cgroups_reason() -> str | None:
    """Why whole-step cgroup limits cannot be tested here (None: they can)."""
    if os.geteuid() != 0:
        return "creating step cgroups needs a server running as root"
    hierarchy = cgroups.detect()
    if hierarchy is None:
        return "this host has no writable memory cgroup (v2 delegated, or the v1 memory controller)"
    if "pids" not in hierarchy.parents:
        return "this host has no writable pids cgroup"
    return None


NO_CGROUPS = cgroups_reason()
needs_cgroups = pytest.mark.skipif(
    NO_CGROUPS is not None and not require_all(), reason=f"no usable cgroups: {NO_CGROUPS}"
)
needs_bwrap = pytest.mark.skipif(bwrap_path() is None and not require_all(), reason="bubblewrap is not installed")
MIB = 1024 * 1024


def _config(limits: Limits, mode: str = "bwrap") -> SandboxConfig:
    return SandboxConfig.detect(
        mode,
        read_only_paths=[Path(sys.prefix), Path(sys.base_prefix)],
        path_dirs=[str(Path(sys.prefix) / "bin")],
        limits=limits,
        kill_grace_seconds=0.5,
    )


def _run(config: SandboxConfig, tmp_path: Path, script: str, timeout: float = 30) -> tuple[sandbox.Outcome, str]:
    workdir = tmp_path / "ws"
    workdir.mkdir(exist_ok=True)
    output: list[bytes] = []
    outcome = sandbox.run(
        config,
        sandbox.Step(script, tmp_path, workdir, name="test"),
        env={"PATH": sandbox.step_path(config)},
        timeout_seconds=timeout,
        cancelled=threading.Event(),
        on_output=output.append,
        cpu_seconds=60,
    )
    return outcome, b"".join(output).decode()


# each child holds 40 MiB (touched) long enough for all three to hold it at once
ALLOCATE = "python -c 'import time; x = b\"\\x01\" * (40 << 20); time.sleep(3)'"


@needs_cgroups
@needs_bwrap
def test_three_processes_cannot_exceed_the_steps_memory_together(tmp_path: Path) -> None:
    # each process may map 1 GiB: only the whole-step limit (64 MiB) can stop them
    limits = Limits(memory_bytes=64 * MIB, process_memory_bytes=1024 * MIB)
    script = f"{ALLOCATE} & a=$!; {ALLOCATE} & b=$!; {ALLOCATE} & c=$!; wait $a && wait $b && wait $c && echo ALL-HELD"
    outcome, output = _run(_config(limits), tmp_path, script)
    assert outcome.ending == Ending.EXITED
    assert outcome.exit_code != 0 and "ALL-HELD" not in output, output
    assert outcome.out_of_memory
    # the same script fits a limit that holds all three
    roomy = Limits(memory_bytes=512 * MIB, process_memory_bytes=1024 * MIB)
    outcome, output = _run(_config(roomy), tmp_path, script)
    assert outcome.exit_code == 0 and "ALL-HELD" in output, output
    assert not outcome.out_of_memory


@needs_cgroups
@needs_bwrap
def test_the_pids_limit_stops_a_fork_bomb(tmp_path: Path) -> None:
    script = """
        n=0
        while [ $n -lt 200 ]; do sleep 30 & n=$((n + 1)); echo "started $n"; done
        echo ALL-STARTED
    """
    outcome, output = _run(_config(Limits(pids=40)), tmp_path, script, timeout=20)
    assert outcome.ending == Ending.EXITED and outcome.exit_code != 0, output
    assert "ALL-STARTED" not in output
    started = [int(line.split()[1]) for line in output.splitlines() if line.startswith("started ")]
    assert max(started) < 40


@needs_bwrap
def test_a_step_cannot_make_a_user_namespace(tmp_path: Path) -> None:
    outcome, output = _run(_config(Limits()), tmp_path, "unshare -Ur true && echo USERNS || echo refused")
    assert outcome.exit_code == 0
    assert output.split()[-1] == "refused", output


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop applies when the server runs as root")
def test_steps_run_as_an_unprivileged_host_uid_when_the_server_is_root(tmp_path: Path) -> None:
    config = _config(Limits())
    assert config.drops_uid and config.step_uid == 65534
    outcome, output = _run(config, tmp_path, "touch made; sleep 1 & cat /proc/$!/status; wait")
    assert outcome.exit_code == 0, output
    assert (tmp_path / "ws" / "made").stat().st_uid == 65534
    uid_line = next(line for line in output.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1:] == ["65534"] * 4


@needs_cgroups
@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the full set needs a server running as root")
def test_factory_doctor_reports_every_protection_active_here(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from digital_factory.cli.root import app as cli

    result = CliRunner().invoke(cli, ["doctor"], env={"FACTORY_HOME": str(tmp_path), "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.output.splitlines()
        if line.count("│") >= 3
    }
    for name in (
        "bubblewrap",
        "user_namespaces_disabled",
        "cgroup_memory",
        "cgroup_pids",
        "egress_isolation",
        "unprivileged_uid",
    ):
        assert rows.get(name) == "active", result.output


@needs_cgroups
def test_empty_step_groups_left_by_a_killed_worker_are_swept(tmp_path: Path) -> None:
    hierarchy = cgroups.detect()
    assert hierarchy is not None
    group = cgroups.StepGroup(hierarchy, "left-behind", cgroups.StepLimits(64 * MIB, 16, 0))
    folders = set(group.folders.values())
    cgroups.sweep(hierarchy)
    assert all(folder.exists() for folder in folders)  # young: maybe about to be joined
    cgroups.sweep(hierarchy, older_than=-1)
    assert not any(folder.exists() for folder in folders)
