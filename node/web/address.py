"""The web gateway's listening address: ``DEFAULT_WEB_ADDRESS`` and ``split_address`` (no imports, so
``optrollup``'s argument parser can use them without loading the gateway)."""

from __future__ import annotations

from typing import Final

DEFAULT_WEB_ADDRESS: Final = "127.0.0.1:8080"


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` -> (host, port); ``ValueError`` with a message otherwise."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"web: an address is HOST:PORT, not {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)
