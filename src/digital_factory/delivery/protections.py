"""Which sandbox protections are active on this host: `/readyz` and `factory doctor` report them."""

from __future__ import annotations

import functools
import os
import subprocess

from digital_factory.delivery.sandbox import MISSING_MESSAGE, Isolation, SandboxConfig
from digital_factory.delivery.schemas import Protection


@functools.cache
def userns_disabled(bwrap: str) -> bool:
    """Does `bwrap --disable-userns` work here (bubblewrap >= 0.8 with user namespaces available)?"""
    probe = [bwrap, "--unshare-user", "--disable-userns", "--assert-userns-disabled", "--ro-bind", "/", "/", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=10, check=False).returncode == 0  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return False


def protections(config: SandboxConfig) -> list[Protection]:
    """Each protection: whether it is active for steps on this host, and what that means."""
    sandboxed = config.isolation is Isolation.BWRAP
    found = [_bubblewrap(config)]
    if sandboxed and config.bwrap is not None and userns_disabled(config.bwrap):
        found.append(Protection(name="user_namespaces_disabled", active=True, detail="bwrap --disable-userns"))
    else:
        found.append(
            Protection(name="user_namespaces_disabled", active=False, detail="steps could create user namespaces")
        )
    groups = config.cgroups
    for controller in ("memory", "pids", "cpu"):
        active = groups is not None and controller in groups.parents
        detail = (
            f"cgroup v{groups.version}, whole step" if groups is not None and active else "per-process rlimits only"
        )
        found.append(Protection(name=f"cgroup_{controller}", active=active, detail=detail))
    found.append(_egress(config, sandboxed))
    found.append(_uid(config, sandboxed))
    return found


def _bubblewrap(config: SandboxConfig) -> Protection:
    if config.isolation is Isolation.BWRAP:
        return Protection(name="bubblewrap", active=True, detail=str(config.bwrap))
    if config.isolation is Isolation.MISSING:
        return Protection(name="bubblewrap", active=False, detail=MISSING_MESSAGE)
    return Protection(name="bubblewrap", active=False, detail="FACTORY_SANDBOX=off: steps run unsandboxed on purpose")


def _egress(config: SandboxConfig, sandboxed: bool) -> Protection:
    if not sandboxed:
        return Protection(name="egress_isolation", active=False, detail="steps share the host's network")
    if config.slirp is None:
        return Protection(
            name="egress_isolation",
            active=True,
            detail="no step has network: slirp4netns is not installed, so granted egress fails",
        )
    return Protection(
        name="egress_isolation",
        active=True,
        detail="network only where granted, through slirp4netns without the host's loopback",
    )


def _uid(config: SandboxConfig, sandboxed: bool) -> Protection:
    if config.drops_uid:
        return Protection(name="unprivileged_uid", active=True, detail=f"host uid {config.step_uid}")
    uid = os.geteuid()
    if uid != 0:
        return Protection(name="unprivileged_uid", active=True, detail=f"the server's own uid {uid}")
    why = "the sandbox is off" if not sandboxed else "setpriv is missing"
    return Protection(name="unprivileged_uid", active=False, detail=f"steps run as root ({why})")
