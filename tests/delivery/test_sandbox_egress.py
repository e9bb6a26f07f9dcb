"""Egress: granted by the service's delivery policy, never to the factory host's own loopback services."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.delivery import egress, sandbox
from digital_factory.delivery.sandbox import SandboxConfig
from tests.delivery.gitrepo import make_repo, wait_for
from tests.factories import make_user
from tests.systemparts import bwrap_path, require_all

SLIRP = egress.slirp_path()
needs_egress = pytest.mark.skipif(
    (bwrap_path() is None or SLIRP is None) and not require_all(),
    reason="granted egress needs bubblewrap and slirp4netns (apt-get install bubblewrap slirp4netns)",
)

PROBE = """\
import socket, sys
for host, port in [(h, int(p)) for h, p in (a.split(":") for a in sys.argv[1:])]:
    try:
        socket.create_connection((host, port), 2).close()
        print("reached", host, port)
    except OSError as exc:
        print("refused", host, port, type(exc).__name__)
"""


@contextlib.contextmanager
def _listener(address: str) -> Iterator[int]:
    """A TCP server standing in for one of the factory's own services."""
    server = socket.create_server((address, 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                server.accept()[0].close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def _host_address() -> str | None:
    """This host's address on its outbound interface (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@needs_egress
def test_a_step_with_granted_egress_cannot_reach_the_hosts_loopback_services(tmp_path: Path) -> None:
    config = SandboxConfig.detect(
        "bwrap", read_only_paths=[Path(sys.prefix), Path(sys.base_prefix)], path_dirs=[str(Path(sys.prefix) / "bin")]
    )
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "probe.py").write_text(PROBE)
    outside = _host_address()
    with _listener("127.0.0.1") as server_port, _listener("0.0.0.0") as public_port:  # noqa: S104
        with socket.create_connection(("127.0.0.1", server_port), 2):
            pass  # the stand-in for the server answers on the host
        targets = [f"127.0.0.1:{server_port}", "127.0.0.1:5432", "127.0.0.1:6379", f"10.0.2.2:{server_port}"]
        if outside:
            targets.append(f"{outside}:{public_port}")
        output: list[bytes] = []
        outcome = sandbox.run(
            config,
            sandbox.Step(f"python probe.py {' '.join(targets)}", tmp_path, tmp_path / "ws", network=True),
            env={"PATH": sandbox.step_path(config)},
            timeout_seconds=60,
            cancelled=threading.Event(),
            on_output=output.append,
            cpu_seconds=60,
        )
    text = b"".join(output).decode()
    assert outcome.exit_code == 0, text
    for target in targets[:4]:
        host, port = target.split(":")
        assert f"refused {host} {port}" in text, text
    if outside:  # the network itself works: the step reaches an address that is not loopback
        assert f"reached {outside} {public_port}" in text, text


NETWORK_PIPELINE = """\
version: 1
stages:
  - name: fetch
    steps:
      - name: download
        network: true
        run: awk 'NR > 2 {print "iface", $1}' /proc/net/dev
"""


def _step_log(client: TestClient, headers: dict[str, str], run_id: int) -> str:
    run = client.get(f"/api/v1/runs/{run_id}", headers=headers).json()
    step = run["stages"][0]["steps"][0]
    log = client.get(f"/api/v1/runs/{run_id}/steps/{step['id']}/log", headers=headers).json()
    return "".join(chunk["text"] for chunk in log["chunks"])


@needs_egress
def test_network_true_alone_gets_no_network_until_the_delivery_policy_grants_it(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    platform = make_user(runtime, "pia", Role.PLATFORM)
    outsider = make_user(runtime, "otto", Role.TEAM)  # a team role in no team owns nothing
    repo = make_repo(tmp_path, {".factory/pipeline.yml": NETWORK_PIPELINE}, "Pipeline")
    created = client.post(
        "/api/v1/services",
        headers=platform.headers,
        json={"key": "fetcher", "name": "Fetcher", "repository_url": str(repo.bare)},
    )
    assert created.status_code == 201, created.text
    assert client.get("/api/v1/services/fetcher/egress-policy", headers=outsider.headers).json() == {
        "service": "fetcher",
        "egress": False,
    }

    first = client.post("/api/v1/services/fetcher/runs", headers=platform.headers, json={}).json()
    assert wait_for(runtime, first["id"], lambda r: r.status.finished).status == "passed"
    log = _step_log(client, platform.headers, first["id"])
    assert "does not grant egress" in log
    assert [line for line in log.splitlines() if line.startswith("iface")] == ["iface lo:"]

    refused = client.put("/api/v1/services/fetcher/egress-policy", headers=outsider.headers, json={"egress": True})
    assert refused.status_code == 403, refused.text
    bad = client.put("/api/v1/services/fetcher/egress-policy", headers=platform.headers, json={"egress": "maybe"})
    assert bad.status_code == 422
    granted = client.put("/api/v1/services/fetcher/egress-policy", headers=platform.headers, json={"egress": True})
    assert granted.status_code == 200 and granted.json() == {"service": "fetcher", "egress": True}

    second = client.post("/api/v1/services/fetcher/runs", headers=platform.headers, json={}).json()
    assert wait_for(runtime, second["id"], lambda r: r.status.finished).status == "passed"
    log = _step_log(client, platform.headers, second["id"])
    assert "network on (granted by the delivery policy" in log
    assert sorted(line for line in log.splitlines() if line.startswith("iface")) == ["iface lo:", "iface tap0:"]
