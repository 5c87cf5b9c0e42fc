"""The devnet's funded L1 accounts: well-known development keys (public: never use them elsewhere).

Each key is ``keccak256("optrollup-devnet-" + name)``. The roles: ``deployer`` deploys
the contracts, ``sequencer`` posts batches, ``proposer`` posts state roots with a bond,
``challenger`` disputes them, and the traders ``alice``, ``bob``, ``carol`` and ``maker``
hold test collateral.
"""

from __future__ import annotations

from typing import Final

from eth_utils import keccak

from node.wallet import address_of

ROLES: Final = ("deployer", "sequencer", "proposer", "challenger", "alice", "bob", "carol", "maker")
FUNDS_WEI: Final = 10_000 * 10**18  # 10,000 ETH each


def devnet_key(name: str) -> bytes:
    """The 32-byte development private key of ``name``."""
    return keccak(b"optrollup-devnet-" + name.encode())


def devnet_accounts() -> dict[str, bytes]:
    """Role name -> private key, in ``ROLES`` order."""
    return {name: devnet_key(name) for name in ROLES}


def genesis_alloc() -> dict[bytes, int]:
    """Address -> wei at genesis."""
    return {address_of(key): FUNDS_WEI for key in devnet_accounts().values()}
