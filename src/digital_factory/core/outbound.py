"""The one guard for connections the server makes on a user's behalf (template sources today; webhooks and
integrations later): resolve the host, refuse internal addresses unless allowed, and pin the connection to
the address that was checked, so a second DNS answer cannot point it elsewhere (DNS rebinding).

Refused: loopback, private (RFC 1918, unique-local fc00::/7), link-local (169.254/16 with the cloud metadata
services, fe80::/10), carrier-grade NAT, multicast, unspecified, reserved and documentation ranges — anything
`ipaddress` does not call global — including IPv4 written inside IPv6 (::ffff:127.0.0.1, 6to4, NAT64).
`allow` (FACTORY_OUTBOUND_ALLOW) lists hosts or CIDR networks that may be reached all the same.

Every refusal, whatever the reason, carries the same text (`REFUSAL`): a caller must not learn from the
answer whether a port is open or a name resolves (no port scanner)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

REFUSAL = "cannot fetch it: the address is not allowed, cannot be reached, or does not serve what was expected"
SCHEMES = frozenset({"https"})
DEFAULT_PORTS = {"https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# named explicitly although none of them is global, so a future `ipaddress` change cannot let them through
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]


class OutboundRefused(Exception):
    """The target may not be reached. `reason` is for the server log only; show people `REFUSAL`."""

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSAL)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address` (and only it) for `host`:`port`."""

    url: str
    host: str
    port: int
    address: str


def _system_resolve(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
    return socket.getaddrinfo(host, port, **kwargs)


def check(url: str, allow: Sequence[str] = (), *, resolve: Resolver | None = None) -> Target:
    """The checked target of `url`, or OutboundRefused. Every address the name resolves to must pass."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        raise OutboundRefused("the port is not a number") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in SCHEMES or not host or not port:
        raise OutboundRefused(f"scheme {parts.scheme!r} or host {host!r} not allowed")
    try:
        infos = (resolve or _system_resolve)(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"{host} does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise OutboundRefused(f"{host} resolves to nothing")
    for address in addresses:
        if is_internal(address) and not _allowed(host, address, allow):
            raise OutboundRefused(f"{host} resolves to the internal address {address}")
    return Target(url=url, host=host, port=port, address=str(addresses[0]))


def is_internal(address: Address) -> bool:
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return is_internal(embedded)
    return address in METADATA or address.is_multicast or not address.is_global


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _allowed(host: str, address: Address, allow: Sequence[str]) -> bool:
    for raw in allow:
        entry = raw.strip().lower()
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            if entry == host:
                return True
    return False


def git_options(target: Target) -> list[str]:
    """`git -c …` options that make git connect only to the checked address (curl's resolve cache, the
    name still used for TLS verification), follow no redirect, and speak only https."""
    address = f"[{target.address}]" if ":" in target.address else target.address
    return [
        "-c",
        f"http.curloptResolve={target.host}:{target.port}:{address}",
        "-c",
        "http.followRedirects=false",
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.https.allow=always",
    ]
