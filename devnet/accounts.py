"""The devnet's funded L1 accounts: well-known development keys (public: never use them elsewhere).

The roles ``deployer`` (deploys the contracts), ``sequencer`` (posts batches), ``proposer``
(posts state roots with a bond) and ``challenger`` (disputes them) have the keys
``keccak256("optrollup-devnet-" + name)``. The traders ``alice``, ``bob``, ``carol`` and
``maker`` use their L2 development keys (``node.sequencer.dev.dev_key``; the demo traders of
``optrollup devnet --traders``, ``DEMO_TRADERS``, have role keys like the operators but no
genesis funds: the deployer funds them): the same address
deposits on L1, trades on L2 and claims withdrawals on L1.
"""

from __future__ import annotations

from typing import Final

from eth_utils import keccak

from node.sequencer.dev import dev_key
from node.wallet import address_of

OPERATORS: Final = ("deployer", "sequencer", "proposer", "challenger")
TRADERS: Final = ("alice", "bob", "carol", "maker")
ROLES: Final = OPERATORS + TRADERS
DEMO_TRADERS: Final = ("demo1", "demo2")  # `optrollup devnet --traders`: funded by the deployer, not at genesis
FUNDS_WEI: Final = 10_000 * 10**18  # 10,000 ETH each


def devnet_key(name: str) -> bytes:
    """The 32-byte development private key of ``name``."""
    if name in TRADERS:
        return dev_key(name)
    return keccak(b"optrollup-devnet-" + name.encode())


def devnet_accounts() -> dict[str, bytes]:
    """Role name -> private key, in ``ROLES`` order."""
    return {name: devnet_key(name) for name in ROLES}


def genesis_alloc() -> dict[bytes, int]:
    """Address -> wei at genesis."""
    return {address_of(key): FUNDS_WEI for key in devnet_accounts().values()}
