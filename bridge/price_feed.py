"""Deploy and move ``contracts/oracle/price_feed.vy`` (a Chainlink ``AggregatorV3Interface`` feed).

``deploy_feed`` deploys one feed (``decimals`` places, ``description`` such as ``"ETH / USD"``,
``updater`` allowed to post); ``FeedPoster`` posts answers to it from a ``Transactor``
(its key must be the feed's owner or updater). The devnet deploys one feed per underlying
(``optrollup l1``) and ``optrollup prices --feed`` moves them with the simulated index.
"""

from __future__ import annotations

from typing import Final

from eth_abi import encode
from web3 import Web3

from bridge.l1 import Sent, Transactor
from bridge.vyper_build import compile_contract

FEED_SOURCE: Final = "oracle/price_feed.vy"
USD_DECIMALS: Final = 8  # Chainlink's USD pairs answer with 8 decimals


def feed_build():
    return compile_contract(FEED_SOURCE)


def deploy_feed(transactor: Transactor, description: str, *, decimals: int = USD_DECIMALS,
                updater: str | None = None) -> str:
    """Deploy a feed; returns its checksummed address. ``updater`` defaults to the deployer."""
    build = feed_build()
    args = encode(["uint8", "string", "address"], [decimals, description, updater or transactor.address])
    return transactor.deploy(build.initcode, args)


class FeedPoster:
    """Posts answers to the feed at ``address`` (``e6_to_answer`` converts an index e6)."""

    def __init__(self, transactor: Transactor, address: str) -> None:
        self.transactor = transactor
        self.contract = transactor.w3.eth.contract(address=Web3.to_checksum_address(address),
                                                   abi=list(feed_build().abi))
        self.decimals = int(self.contract.functions.decimals().call())

    def answer_of(self, index_e6: int) -> int:
        """The feed's answer for an index in collateral units e6 (exact for ``decimals >= 6``)."""
        if self.decimals >= 6:
            return index_e6 * 10 ** (self.decimals - 6)
        return index_e6 // 10 ** (6 - self.decimals)

    def post(self, index_e6: int) -> Sent:
        """Post ``index_e6`` as a new round and wait for it."""
        return self.transactor.transact(self.contract, "post", self.answer_of(index_e6))
