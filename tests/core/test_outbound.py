"""The outbound guard: internal addresses refused in every spelling, allowed ones only when listed, the
connection pinned to the address checked."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from digital_factory.core import outbound


def fake_dns(answer: str) -> outbound.Resolver:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        family = socket.AF_INET6 if ":" in answer else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answer, port))]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x.git",
        "https://localhost/x.git",
        "https://[::1]/x.git",
        "https://0.0.0.0/x.git",
        "https://127.1/x.git",
        "https://2130706433/x.git",
        "https://0x7f.1/x.git",
        "https://[::ffff:127.0.0.1]/x.git",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/x.git",
        "https://172.16.0.1/x.git",
        "https://192.168.1.1/x.git",
        "https://100.100.100.200/x.git",
        "https://[fd00:ec2::254]/x.git",
        "https://[fe80::1]/x.git",
        "https://224.0.0.1/x.git",
        "https://[2002:7f00:1::]/x.git",
        "https://[64:ff9b::7f00:1]/x.git",
        "http://example.com/x.git",
        "file:///etc/passwd",
        "ext::sh -c id",
        "gopher://example.com/",
        "https://example.com:notaport/x.git",
    ],
)
def test_internal_and_odd_targets_are_refused_with_one_text(url: str) -> None:
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.check(url)
    assert str(refused.value) == outbound.REFUSAL


def test_a_name_resolving_inside_is_refused() -> None:
    with pytest.raises(outbound.OutboundRefused):
        outbound.check("https://git.example.com/x.git", resolve=fake_dns("10.0.0.5"))


def test_a_public_address_passes_and_is_pinned() -> None:
    target = outbound.check("https://git.example.com/t.git", resolve=fake_dns("93.184.215.14"))
    assert (target.host, target.port, target.address) == ("git.example.com", 443, "93.184.215.14")
    options = outbound.git_options(target)
    assert "http.curloptResolve=git.example.com:443:93.184.215.14" in options
    assert "http.followRedirects=false" in options


def test_the_allow_list_admits_named_networks_and_hosts_only() -> None:
    assert outbound.check("https://127.0.0.2:8443/x.git", ["127.0.0.2/32"]).address == "127.0.0.2"
    assert outbound.check("https://git.internal/x.git", ["git.internal"], resolve=fake_dns("10.0.0.7")).address
    with pytest.raises(outbound.OutboundRefused):
        outbound.check("https://127.0.0.1/x.git", ["127.0.0.2/32"])
    with pytest.raises(outbound.OutboundRefused):
        outbound.check("https://other.internal/x.git", ["git.internal"], resolve=fake_dns("10.0.0.7"))
