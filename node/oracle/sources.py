"""What a price source returns, the source interface and the ``--source`` spec parser.

A source answers ``fetch()`` with one ``Observation`` per underlying it knows (by name,
upper case: ``"ETH"``), or raises ``SourceError`` (unreachable, malformed, refused). Two
kinds exist (``parse_source``):

- ``http:URL`` (or the ``http(s)://`` URL alone): ``http_source.HttpJsonSource``, index and
  volatility surface as JSON;
- ``chainlink:ADDRESS@L1_URL`` (or ``chainlink:NAME=ADDRESS@L1_URL``): ``chainlink.ChainlinkSource``,
  an L1 feed with the ``AggregatorV3Interface``; the underlying is ``NAME`` or the base of
  the feed's ``description()`` (``"ETH / USD"`` -> ``ETH``); index only.

Times are unix seconds. ``updated_at`` is when the source's value last changed (the
staleness guard compares it with ``--max-age``); ``observed_at`` is the time the value is
known to hold at, signed as the update's ``observation_time`` (for an HTTP source both are
the document's ``time``; a Chainlink answer holds until the feed posts a new round, so it is
observed when read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from node.stf.txtypes import VolPoint


class SourceError(Exception):
    """A source cannot be read or answered something invalid; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One source's view of one underlying: ``index_price_e6`` (collateral units e6 per unit),
    the surface if the source has one, and its times (module docstring)."""

    source: str
    underlying: str
    index_price_e6: int
    updated_at: int
    observed_at: int
    surface: tuple[VolPoint, ...] | None = None


class Source(Protocol):
    """A price source (module docstring). ``name`` identifies it in logs and status."""

    name: str

    def fetch(self) -> dict[str, Observation]:
        """The latest observation per underlying name; raises ``SourceError``."""
        ...


def parse_source(spec: str, *, timeout_s: float = 5.0) -> Source:
    """The source named by a ``--source`` spec (module docstring); ``ValueError`` if malformed."""
    if spec.startswith(("http://", "https://")):
        spec = "http:" + spec
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(f"source {spec!r}: expected http:URL or chainlink:[NAME=]ADDRESS@L1_URL")
    if kind == "http":
        from node.oracle.http_source import HttpJsonSource

        if not rest.startswith(("http://", "https://")):
            raise ValueError(f"source {spec!r}: the URL must start with http:// or https://")
        return HttpJsonSource(rest, timeout_s=timeout_s)
    if kind == "chainlink":
        from node.oracle.chainlink import ChainlinkSource

        feed, at, url = rest.partition("@")
        if not at or not url.startswith(("http://", "https://")):
            raise ValueError(f"source {spec!r}: expected chainlink:[NAME=]ADDRESS@http://L1")
        name, eq, address = feed.rpartition("=")
        if not eq:
            name, address = "", feed
        return ChainlinkSource(url, address, underlying=name.upper() or None, timeout_s=timeout_s)
    raise ValueError(f"source {spec!r}: unknown kind {kind!r} (http or chainlink)")
