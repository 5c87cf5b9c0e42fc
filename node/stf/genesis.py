"""Genesis: the parameters every root depends on, and the initial state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from node.stf import keys
from node.stf.eip712 import Domain
from node.stf.records import Config, Globals, Underlying
from node.stf.state import State

MAX_ORACLES: Final = 16  # contracts/fault/lib/records.vy MAX_ORACLES: Config.oracles the L1 verifier decodes
MAX_NAME_BYTES: Final = 32  # contracts/fault/lib/records.vy MAX_NAME: an Underlying's name
ADDRESS_BYTES: Final = 20
MAX_UNDERLYING_ID: Final = 2**32 - 1  # keys.underlying: 4 bytes


@dataclass(frozen=True)
class Genesis:
    """Chain parameters. Fee rates in parts per million (see ``records.Config``).

    ``chain_id`` (chosen per deployment) and ``verifying_contract`` (the 20-byte address of
    the deployment's L1 portal) are the EIP-712 domain of every signature (``domain``).
    ``underlyings``: ``(underlying_id, name)`` pairs, e.g. ``(1, b"ETH")``.
    ``genesis_time``: unix seconds; block 1 must not be earlier.

    A genesis whose records the L1 verifier cannot decode would make every step that reads
    them unprovable, so ``ValueError`` at construction unless: ``admin``,
    ``verifying_contract`` and each oracle are 20 bytes, there are 1 to ``MAX_ORACLES``
    distinct oracles, underlying ids are distinct and in ``[0, MAX_UNDERLYING_ID]``, names are 1
    to ``MAX_NAME_BYTES`` bytes, and the fee rates and rate are non-negative integers.
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

    def __post_init__(self) -> None:
        for label, address in (("verifying_contract", self.verifying_contract), ("admin", self.admin),
                               *(("oracle", oracle) for oracle in self.oracles)):
            if not isinstance(address, bytes) or len(address) != ADDRESS_BYTES:
                raise ValueError(f"genesis: {label} must be a {ADDRESS_BYTES}-byte address")
        if not 1 <= len(self.oracles) <= MAX_ORACLES:
            raise ValueError(f"genesis: {len(self.oracles)} oracles; between 1 and {MAX_ORACLES} are allowed")
        if len(set(self.oracles)) != len(self.oracles):
            raise ValueError("genesis: an oracle is listed twice")
        ids = [underlying_id for underlying_id, _ in self.underlyings]
        if len(set(ids)) != len(ids):
            raise ValueError("genesis: an underlying id is listed twice")
        for underlying_id, name in self.underlyings:
            if not isinstance(underlying_id, int) or not 0 <= underlying_id <= MAX_UNDERLYING_ID:
                raise ValueError(f"genesis: underlying id {underlying_id!r} is not in [0, {MAX_UNDERLYING_ID}]")
            if not isinstance(name, bytes) or not 1 <= len(name) <= MAX_NAME_BYTES:
                raise ValueError(f"genesis: underlying {underlying_id}'s name must be 1 to {MAX_NAME_BYTES} bytes")
        for label in ("taker_fee_ppm", "maker_fee_ppm", "fee_cap_ppm", "rate_e6", "genesis_time"):
            value = getattr(self, label)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"genesis: {label} must be a non-negative integer, not {value!r}")

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
