"""Granted egress for a sandboxed step: the internet, never the factory host's own loopback services.

A step never shares the host's network namespace. When its service's delivery policy grants egress, the
step's own (empty) namespace gets a user-mode network from `slirp4netns --disable-host-loopback`: outbound
TCP/UDP is made by slirp on the host's behalf, and connections to 127.0.0.0/8 on the host (the factory's API,
PostgreSQL, Redis, anything else bound to loopback) are refused. The step's own 127.0.0.1 is its own.

slirp4netns runs as root only when the server does, with `--enable-sandbox --enable-seccomp` (its own
mount namespace, capabilities dropped, a syscall filter). What it does not do: filter the host's
non-loopback addresses or the private ranges of the host's network; services bound to those need a
firewall (docs/delivery.md, "Sandbox").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

CAP_EFFECTIVE = re.compile(r"^CapEff:\s*([0-9a-f]+)$", re.MULTILINE)


class EgressError(Exception):
    """The step's network could not be set up."""


def slirp_path() -> str | None:
    return shutil.which("slirp4netns")


def wait_for_namespaces(info_fd: int, timeout: float = 10.0) -> None:
    """bubblewrap writes its `--info-fd` JSON once the sandbox's namespaces exist."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = os.read(info_fd, 4096)
        if not chunk:
            break
        data += chunk
        with contextlib.suppress(ValueError):
            json.loads(data)
            return
    raise EgressError("the sandbox did not start")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def sandboxed_process(root_pid: int) -> int:
    """The host pid of the first process below `root_pid` in a network namespace other than ours (the pid
    bubblewrap reports is in its own pid namespace when it runs inside another sandbox)."""
    ours = os.readlink("/proc/self/ns/net")
    queue = [root_pid]
    while queue:
        pid = queue.pop(0)
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/ns/net") != ours:
                return pid
        queue.extend(_children(pid))
    raise EgressError("the sandbox's process was not found")


def wait_until_set_up(pid: int, timeout: float = 10.0) -> None:
    """bubblewrap drops the last capability right before it waits on `--block-fd`: until then it may still
    be configuring the namespace's loopback, which must not race with slirp's configuration."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as handle:
                status = handle.read()
        except OSError as exc:
            raise EgressError("the sandbox ended before its network was set up") from exc
        found = CAP_EFFECTIVE.search(status)
        if found and int(found.group(1), 16) == 0:
            return
        time.sleep(0.005)
    raise EgressError("the sandbox took too long to set up")


@dataclass
class Slirp:
    process: subprocess.Popen[bytes]
    exit_fd: int

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.exit_fd)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def attach(pid: int, slirp: str) -> Slirp:
    """Give the network namespace of `pid` a slirp network without host loopback; returns once it is up."""
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe()  # slirp exits when this closes: with us, even if we are killed
    argv = [
        slirp,
        "--configure",
        "--mtu=65520",
        "--disable-host-loopback",
        "--enable-sandbox",
        "--enable-seccomp",
        f"--ready-fd={ready_w}",
        f"--exit-fd={exit_r}",
        "--userns-path=/proc/self/ns/user",  # stay in our own user namespace (we hold the rights there)
        "--netns-type=path",
        f"/proc/{pid}/ns/net",
        "tap0",
    ]
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(  # noqa: S603  (fixed argv)
                argv, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors, pass_fds=(ready_w, exit_r)
            )
        finally:
            os.close(ready_w)
            os.close(exit_r)
        handle = Slirp(process, exit_w)
        with os.fdopen(ready_r, "rb") as ready:  # one byte once the network is up; EOF if slirp died
            started = ready.read(1)
        if started != b"1":
            handle.stop()
            errors.seek(0)
            text = errors.read().decode(errors="replace").strip()
            raise EgressError(f"slirp4netns failed: {text[-300:] or 'no network'}")
    return handle
