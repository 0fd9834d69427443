"""The client address behind a reverse proxy: ``X-Forwarded-For`` is believed only from ``MSHT_TRUSTED_PROXIES``.

Rate limits count per client address, so a header anyone can send must not choose it. uvicorn's
own proxy handling (which trusts 127.0.0.1 by default) is turned off by ``msht-hub serve``; this
middleware replaces it: when the connection comes from a trusted proxy, the address is the
right-most entry of ``X-Forwarded-For`` that is not itself a trusted proxy (the left-most ones are
whatever the client wrote).
"""

import ipaddress
from collections.abc import Iterable
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HEADER: Final = b"x-forwarded-for"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks (``10.0.0.5``, ``10.0.0.0/8``, ``::1``); ValueError names the bad entry's position."""
    networks = []
    for position, value in enumerate(values, start=1):
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"entry {position} is not an IP address or network") from None
    return tuple(networks)


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_address(peer: str, forwarded: str | None, networks: tuple[Network, ...]) -> str:
    """The address a request is counted under.

    >>> nets = parse_networks(["10.0.0.0/8"])
    >>> client_address("10.0.0.5", "1.2.3.4, 198.51.100.7", nets)
    '198.51.100.7'
    >>> client_address("127.0.0.1", "1.2.3.4", nets)  # not a trusted proxy: its header is ignored
    '127.0.0.1'
    """
    if forwarded is None or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: count the proxy itself
    return peer


class TrustedProxies:
    """Pure ASGI middleware: sets ``scope["client"]`` from ``X-Forwarded-For`` sent by a trusted proxy."""

    def __init__(self, app: ASGIApp, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.networks and scope.get("client"):
            values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == _HEADER]
            peer = scope["client"][0]
            host = client_address(peer, ",".join(values) if values else None, self.networks)
            if host != peer:
                scope = dict(scope, client=(host, 0))
        await self.app(scope, receive, send)
