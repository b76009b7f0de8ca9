"""The client's address behind trusted proxies, worked out once per request (pure ASGI, outermost).

A proxy appends the address it received the request from to X-Forwarded-For; whatever stands left of
that was written by someone earlier in the chain, possibly the client itself, and can be forged. So the
list is read from the right, as uvicorn's proxy-headers handling does: the request's peer must be a
trusted proxy for the header to count at all, each trusted proxy's entry is skipped, and the first address
that is not a trusted proxy is the client. Every later step (the per-address limit, the access log) reads
the result from `scope["client"]`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> list[Network]:
    """ "127.0.0.1, 10.0.0.0/8, ::1" -> networks; a bare address is a network of one."""
    return [ipaddress.ip_network(item.strip(), strict=False) for item in spec.split(",") if item.strip()]


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, header_value: str | None, networks: list[Network]) -> str:
    """The client behind `peer`, given the trusted proxies' networks and the header's value."""
    if header_value is None or not _trusted(peer, networks):
        return peer  # not sent through a trusted proxy: the header is the sender's own claim
    hops = [hop.strip() for hop in header_value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer  # every hop is a trusted proxy: the request began inside


class TrustedProxyMiddleware:
    def __init__(self, app, header: str, trusted_proxies: str) -> None:
        self.app = app
        self.header = header.lower().encode()
        self.networks = parse_networks(trusted_proxies)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            values = [value.decode("latin-1") for name, value in scope["headers"] if name == self.header]
            if values:  # several header lines read as one list, in order
                peer, port = scope["client"]
                scope = dict(scope, client=(client_address(peer, ",".join(values), self.networks), port))
        return await self.app(scope, receive, send)
