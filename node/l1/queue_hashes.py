"""The per-entry hashes the L1 queues store, built in Python exactly as the contracts do.

The portal and the forced-inclusion queue keep one hash per queue index in storage, so the
L1 verifier opens an entry (its fields and its ``deadline``, the L1 time it was queued plus
the queues' ``WINDOW``) from contract storage alone, given the fields:

- ``Portal.deposit_hash[i] = keccak256(abi_encode(i, recipient, amount, deadline))``
  (``uint256, address, uint256, uint256``; amount in collateral units e6);
- ``ForcedInclusion.forced_hash[i] = keccak256(abi_encode(i, keccak256(raw_tx), deadline))``
  (``uint256, bytes32, uint256``).
"""

from __future__ import annotations

from eth_abi import encode as abi_encode

from node.derivation.rules import L1Deposit, L1Forced
from node.stf.hashing import keccak256


def deposit_hash(deposit: L1Deposit) -> bytes:
    """``Portal.deposit_hash(deposit.index)`` for this deposit (32 bytes)."""
    return keccak256(abi_encode(["uint256", "address", "uint256", "uint256"],
                                [deposit.index, deposit.recipient, deposit.amount_e6, deposit.deadline]))


def forced_hash(forced: L1Forced) -> bytes:
    """``ForcedInclusion.forced_hash(forced.index)`` for this entry (32 bytes)."""
    return keccak256(abi_encode(["uint256", "bytes32", "uint256"],
                                [forced.index, keccak256(forced.raw_tx), forced.deadline]))
