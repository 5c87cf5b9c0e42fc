"""Unordered nonces: replay protection that lets a market maker keep many orders in flight.

A nonce is any integer in [0, 2**64). Each can be used once per account, in any order:
bit ``nonce & 255`` of the account's word ``nonce >> 8`` is set when a transaction with it
is included (whether it then succeeds or fails). A market maker can therefore sign and send
many transactions at once, on several connections, without one failed or delayed
transaction blocking the others (as a sequential nonce would). Using nonces densely
(0, 1, 2, ...) keeps the state small: one 256-bit word per 256 transactions.
"""

from __future__ import annotations

from node.stf import keys
from node.stf.errors import FailureCode, TxFailure
from node.stf.records import NonceWord
from node.stf.state import State

NONCE_LIMIT = 2**64


def use_nonce(state: State, address: bytes, nonce: int) -> None:
    """Mark ``nonce`` used for ``address``; fail with NONCE_ALREADY_USED if it was."""
    if not 0 <= nonce < NONCE_LIMIT:
        raise TxFailure(FailureCode.NONCE_OUT_OF_RANGE, str(nonce))
    key = keys.nonce_word(address, nonce >> 8)
    word = state.get(key)
    bitmap = 0 if word is None else word.bitmap
    bit = 1 << (nonce & 255)
    if bitmap & bit:
        raise TxFailure(FailureCode.NONCE_ALREADY_USED, f"nonce {nonce} already used")
    state.put(key, NonceWord(bitmap | bit))


def is_nonce_used(state: State, address: bytes, nonce: int) -> bool:
    word = state.get(keys.nonce_word(address, nonce >> 8))
    return word is not None and bool(word.bitmap & (1 << (nonce & 255)))
