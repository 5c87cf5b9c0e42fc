"""``ChainlinkSource``: an L1 price feed with Chainlink's ``AggregatorV3Interface``, over JSON-RPC.

Each ``fetch`` calls ``latestRoundData()`` -> ``(roundId, answer, startedAt, updatedAt,
answeredInRound)`` and converts ``answer`` (``decimals()`` places, read once) to
collateral units e6, rounded down. The answer is refused (``SourceError``) when it is not
positive, when ``updatedAt`` is 0 (a round not complete) or when ``answeredInRound <
roundId`` (a carried-over answer). ``updated_at`` is the feed's ``updatedAt`` (the
staleness guard compares it with ``--max-age``: set it above the feed's heartbeat);
``observed_at`` is the time of the read (the answer holds until the next round).

The underlying is the one named in the spec, else the base of ``description()``
(``"ETH / USD"`` -> ``ETH``). Our feed contract is ``contracts/oracle/price_feed.vy``.
"""

from __future__ import annotations

import time
from typing import Callable, Final

from node.oracle.sources import Observation, SourceError

AGGREGATOR_V3_ABI: Final = (
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
    {"type": "function", "name": "description", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "string"}]},
    {"type": "function", "name": "latestRoundData", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "roundId", "type": "uint80"}, {"name": "answer", "type": "int256"},
                 {"name": "startedAt", "type": "uint256"}, {"name": "updatedAt", "type": "uint256"},
                 {"name": "answeredInRound", "type": "uint80"}]},
)
E6_DECIMALS: Final = 6


def to_e6(answer: int, decimals: int) -> int:
    """``answer`` with ``decimals`` places as collateral units e6, rounded down."""
    if decimals >= E6_DECIMALS:
        return answer // 10 ** (decimals - E6_DECIMALS)
    return answer * 10 ** (E6_DECIMALS - decimals)


class ChainlinkSource:
    """Reads one feed at ``address`` on the L1 at ``url`` (module docstring)."""

    def __init__(self, url: str, address: str, *, underlying: str | None = None, timeout_s: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        from web3 import Web3

        if not Web3.is_address(address):
            raise ValueError(f"chainlink source: {address!r} is not an address")
        self.url = url
        self.address = Web3.to_checksum_address(address)
        self.name = f"chainlink:{self.address}"
        self.clock = clock
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout_s}))
        self.feed = self.w3.eth.contract(address=self.address, abi=list(AGGREGATOR_V3_ABI))
        self.underlying = underlying
        self.decimals: int | None = None

    def _describe(self) -> None:
        self.decimals = int(self.feed.functions.decimals().call())
        if self.underlying is None:
            description = str(self.feed.functions.description().call())
            base = description.split("/")[0].strip().upper()
            if not base:
                raise SourceError(f"{self.name}: description {description!r} names no underlying")
            self.underlying = base

    def fetch(self) -> dict[str, Observation]:
        try:
            if self.decimals is None:
                self._describe()
            round_id, answer, _started, updated_at, answered_in = self.feed.functions.latestRoundData().call()
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - web3 raises many types (connection, ABI, revert)
            raise SourceError(f"{self.name}: cannot read the feed: {type(exc).__name__}: {exc}") from None
        if answer <= 0:
            raise SourceError(f"{self.name}: answer {answer} is not a price")
        if updated_at == 0 or answered_in < round_id:
            raise SourceError(f"{self.name}: round {round_id} is not complete")
        index = to_e6(int(answer), self.decimals)
        if index <= 0:
            raise SourceError(f"{self.name}: answer {answer} is below one collateral unit e6")
        return {self.underlying: Observation(self.name, self.underlying, index, int(updated_at), int(self.clock()))}
