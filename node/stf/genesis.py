"""Genesis: the parameters every root depends on, and the initial state."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.stf import keys
from node.stf.eip712 import Domain
from node.stf.records import Config, Globals, Underlying
from node.stf.state import State


@dataclass(frozen=True)
class Genesis:
    """Chain parameters. Fee rates in parts per million (see ``records.Config``).

    ``chain_id`` (chosen per deployment) and ``verifying_contract`` (the 20-byte address of
    the deployment's L1 portal) are the EIP-712 domain of every signature (``domain``).
    ``underlyings``: ``(underlying_id, name)`` pairs, e.g. ``(1, b"ETH")``.
    ``genesis_time``: unix seconds; block 1 must not be earlier.
    """

    chain_id: int
    verifying_contract: bytes
    admin: bytes
    oracles: tuple[bytes, ...]
    underlyings: tuple[tuple[int, bytes], ...] = ((1, b"ETH"), (2, b"BTC"))
    taker_fee_ppm: int = 300
    maker_fee_ppm: int = 100
    fee_cap_ppm: int = 125_000
    rate_e6: int = 0
    genesis_time: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def domain(self) -> Domain:
        """The EIP-712 domain of this chain's transactions."""
        return Domain(self.chain_id, self.verifying_contract)

    def config(self) -> Config:
        return Config(
            self.chain_id,
            self.verifying_contract,
            self.admin,
            self.oracles,
            self.taker_fee_ppm,
            self.maker_fee_ppm,
            self.fee_cap_ppm,
            self.rate_e6,
        )


def initialise(state: State, genesis: Genesis) -> bytes:
    """Write the genesis records into an empty state and return the genesis state root.

    ``ValueError`` if the genesis has no valid EIP-712 domain (``eip712.Domain``).
    """
    genesis.domain  # noqa: B018 - validates the chain id and the verifying contract
    state.put(keys.CONFIG, genesis.config())
    state.put(keys.GLOBALS, Globals(last_block_number=0, last_block_time=genesis.genesis_time))
    for underlying_id, name in genesis.underlyings:
        state.put(keys.underlying(underlying_id), Underlying(name))
    return state.commit_block()
