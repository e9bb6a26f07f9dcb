"""Running a step's commands: timeouts kill the whole process tree, the sandbox confines, rlimits bind."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from digital_factory.delivery import sandbox
from digital_factory.delivery.sandbox import Ending, Isolation, SandboxConfig
from tests.systemparts import bwrap_path, require_all

# with FACTORY_TEST_REQUIRE_ALL (CI) a missing bubblewrap fails these tests instead of skipping them
needs_bwrap = pytest.mark.skipif(bwrap_path() is None and not require_all(), reason="bubblewrap is not installed")


def _config(mode: str) -> SandboxConfig:
    return SandboxConfig.detect(
        mode,
        read_only_paths=[Path(sys.prefix), Path(sys.base_prefix)],
        path_dirs=[str(Path(sys.prefix) / "bin")],
        kill_grace_seconds=0.5,
    )


def _run(
    config: SandboxConfig, tmp_path: Path, script: str, *, timeout: float = 10, network: bool = False
) -> tuple[sandbox.Outcome, str]:
    workdir = tmp_path / "ws"
    workdir.mkdir(exist_ok=True)
    output: list[bytes] = []
    outcome = sandbox.run(
        config,
        sandbox.Step(script, tmp_path, workdir, network=network),
        env={"PATH": sandbox.step_path(config), "HOME": str(tmp_path)},
        timeout_seconds=timeout,
        cancelled=threading.Event(),
        on_output=output.append,
        cpu_seconds=60,
    )
    return outcome, b"".join(output).decode()


def _alive(marker: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{proc.name}: {cmdline}")
    return found


def _until_gone(marker: str, timeout: float = 5.0) -> None:
    """The kernel reaps killed processes asynchronously: wait (briefly) until none carries `marker`."""
    deadline = time.monotonic() + timeout
    while alive := _alive(marker):
        assert time.monotonic() < deadline, f"a child outlived its step: {alive}"
        time.sleep(0.02)


@pytest.mark.parametrize("mode", ["bwrap", "off"])
def test_a_hanging_step_is_killed_at_its_timeout_with_its_children(mode: str, tmp_path: Path) -> None:
    if mode == "bwrap" and bwrap_path() is None and not require_all():
        pytest.skip("bubblewrap is not installed")
    seconds = f"{300 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 1000}"  # a unique command line to look for
    script = f"""
        sleep {seconds} &
        (sleep {seconds} &)
        sh -c 'sleep {seconds}' &
        echo started
        sleep {seconds}
    """
    started = time.monotonic()
    outcome, output = _run(_config(mode), tmp_path, script, timeout=1.5)
    assert outcome.ending == Ending.TIMED_OUT
    assert "started" in output
    assert time.monotonic() - started < 10
    _until_gone(f"sleep {seconds}")


@needs_bwrap
def test_background_children_do_not_survive_a_step_that_exits(tmp_path: Path) -> None:
    seconds = f"{300 + uuid.uuid4().int % 1000}.5"
    outcome, _ = _run(_config("bwrap"), tmp_path, f"(sleep {seconds} &); echo done")
    assert outcome == sandbox.Outcome(Ending.EXITED, 0)
    _until_gone(f"sleep {seconds}")


@needs_bwrap
def test_the_sandbox_confines_reads_writes_network_and_identity(tmp_path: Path) -> None:
    config = _config("bwrap")
    assert config.isolation == Isolation.BWRAP
    secret_home = tmp_path.parent / f"server-data-{uuid.uuid4().hex[:6]}"
    secret_home.mkdir()
    (secret_home / "factory.db").write_text("private")
    script = f"""
        id -u
        grep NoNewPrivs /proc/self/status
        cat {secret_home}/factory.db && echo READ-LEAK || echo no-read
        touch /usr/evil 2>/dev/null && echo WRITE-LEAK || echo no-write
        python -c "import socket; socket.create_connection(('127.0.0.1', 22), 1)" 2>/dev/null \\
          && echo NET-LEAK || echo no-network
        echo kept > inside.txt
        python -c "print('python', 3)"
    """
    outcome, output = _run(config, tmp_path, script)
    assert outcome.exit_code == 0, output
    lines = output.split()
    assert "65534" in lines
    if os.geteuid() == 0:  # the host uid too, not root mapped to 65534
        assert (tmp_path / "ws" / "inside.txt").stat().st_uid == 65534
    assert "NoNewPrivs:" in output and "1" in lines
    assert {"no-read", "no-write", "no-network"} <= set(lines), output
    assert "LEAK" not in output
    assert (tmp_path / "ws" / "inside.txt").read_text() == "kept\n"
    assert "python 3" in output


@needs_bwrap
def test_granted_network_is_its_own_namespace_not_the_hosts(tmp_path: Path) -> None:
    interfaces = "awk 'NR > 2 {print $1}' /proc/net/dev | sort"
    granted, with_network = _run(_config("bwrap"), tmp_path, interfaces, network=True)
    isolated, without = _run(_config("bwrap"), tmp_path, interfaces)
    assert granted.exit_code == isolated.exit_code == 0, with_network + without
    assert with_network.split() == ["lo:", "tap0:"]  # slirp's interface, never the host's
    assert without.split() == ["lo:"]


def test_rlimits_bind_memory(tmp_path: Path) -> None:
    config = SandboxConfig.detect(
        "off",
        read_only_paths=[Path(sys.prefix)],
        path_dirs=[str(Path(sys.prefix) / "bin")],
        limits=sandbox.Limits(memory_bytes=200 * 1024 * 1024),
        use_cgroups=False,
    )
    _, output = _run(config, tmp_path, "python -c 'x = bytearray(400 * 1024 * 1024)' || echo refused")
    assert "MemoryError" in output and "refused" in output


def test_cancel_kills_the_step(tmp_path: Path) -> None:
    config = _config("auto")
    workdir = tmp_path / "ws"
    workdir.mkdir()
    cancelled = threading.Event()
    threading.Timer(0.5, cancelled.set).start()
    outcome = sandbox.run(
        config,
        sandbox.Step("sleep 60", tmp_path, workdir),
        env={"PATH": sandbox.step_path(config)},
        timeout_seconds=30,
        cancelled=cancelled,
        on_output=lambda _: None,
        cpu_seconds=60,
    )
    assert outcome.ending == Ending.CANCELLED


@needs_bwrap
def test_read_only_paths_below_tmp_stay_visible_to_the_step(tmp_path: Path) -> None:
    """A checkout and its virtualenv may live below /tmp (CI clones there): the step's private /tmp must not
    hide them."""
    tools = tmp_path.parent / f"checkout-{uuid.uuid4().hex[:6]}"  # beside the step's folder, not inside it
    (tools / "bin").mkdir(parents=True)
    tool = tools / "bin" / "say-hello"
    tool.write_text("#!/bin/sh\necho hello from below tmp\n")
    tool.chmod(0o755)
    tools.chmod(0o755)
    config = SandboxConfig.detect("bwrap", read_only_paths=[tools], path_dirs=[str(tools / "bin")])
    outcome, output = _run(config, tmp_path, "say-hello")
    assert outcome.exit_code == 0, output
    assert "hello from below tmp" in output
