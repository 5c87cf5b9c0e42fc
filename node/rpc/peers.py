"""Who a gRPC client is for the per-peer rate limit: its IP address, never its port.

``peer_key(context.peer())``: ``ipv4:203.0.113.7:51234`` -> ``ipv4:203.0.113.7``; an IPv6
peer (``ipv6:[2001:db8::1]:51234``, brackets possibly percent-encoded) -> its /64 network
``ipv6:2001:db8::/64`` (one subscriber gets a whole /64, so keying single IPv6 addresses
would hand out 2**64 buckets), an IPv4-mapped IPv6 address -> the IPv4 address. Anything
else (a Unix socket, an unknown scheme) is keyed by the whole peer string.

Keying by address means every connection a client opens shares one bucket, and clients
behind one NAT or proxy share it too: raise ``--rate`` / ``--burst`` for such a front end.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import unquote

IPV6_PREFIX: Final = 64  # bits of an IPv6 address that name one client (a subscriber's /64)


def peer_key(peer: str) -> str:
    """The rate-limit key of a gRPC peer string (see module docstring)."""
    scheme, sep, rest = peer.partition(":")
    if not sep or scheme not in ("ipv4", "ipv6"):
        return peer
    host = unquote(rest).rpartition(":")[0].strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return peer
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ipv4:{ip.ipv4_mapped}"
        return f"ipv6:{ipaddress.ip_network((ip.packed, IPV6_PREFIX), strict=False)}"
    return f"ipv4:{ip}"
