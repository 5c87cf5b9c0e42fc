"""Replay protection with a sliding window: many orders in flight, in any order.

Each account keeps a window of 256 nonces, ``[nonce_floor, nonce_floor + 256)``, and a
bitmap of the ones used. A transaction's nonce (any integer below 2**64) is accepted once:

- inside the window and not yet used: accepted, its bit is set;
- above the window: the window slides up so that this nonce is its top
  (``nonce_floor = nonce - 255``), forgetting nonces that fall below it; accepted;
- below the window, or already used: rejected (``NONCE_OUT_OF_RANGE`` /
  ``NONCE_ALREADY_USED``).

A market maker can therefore sign and send up to 256 transactions at once, on several
connections, and they are accepted in whatever order they arrive; a failed or delayed
transaction never blocks the others (as a sequential nonce would). Counting up from 0
(or using millisecond timestamps) is the intended use. The window lives in the account
record, so replay protection costs no extra state key. A nonce is used when its
transaction is included, whether the transaction then succeeds or fails.
"""

from __future__ import annotations

from typing import Final

from node.stf import keys
from node.stf.errors import FailureCode, TxFailure
from node.stf.records import Account
from node.stf.state import State

NONCE_LIMIT: Final = 2**64
WINDOW: Final = 256
_FULL: Final = (1 << WINDOW) - 1


def use_nonce(state: State, address: bytes, nonce: int) -> None:
    """Mark ``nonce`` used for ``address``, or raise ``TxFailure`` (see module docstring)."""
    if not 0 <= nonce < NONCE_LIMIT:
        raise TxFailure(FailureCode.NONCE_OUT_OF_RANGE, f"nonce {nonce} is not below 2**64")
    key = keys.account(address)
    account: Account | None = state.get(key)
    if account is None:
        account = Account()
    floor, bitmap = account.nonce_floor, account.nonce_bitmap
    if nonce < floor:
        raise TxFailure(
            FailureCode.NONCE_OUT_OF_RANGE, f"nonce {nonce} is below the replay window starting at {floor}"
        )
    if nonce >= floor + WINDOW:
        new_floor = nonce - (WINDOW - 1)
        bitmap = (bitmap >> (new_floor - floor)) & _FULL if new_floor - floor < WINDOW else 0
        floor = new_floor
    bit = 1 << (nonce - floor)
    if bitmap & bit:
        raise TxFailure(FailureCode.NONCE_ALREADY_USED, f"nonce {nonce} already used")
    state.put(key, account.with_nonces(floor, bitmap | bit))


def is_nonce_used(state: State, address: bytes, nonce: int) -> bool:
    """True if a transaction with ``nonce`` would be rejected as a replay or as too old."""
    account: Account | None = state.get(keys.account(address))
    if account is None:
        return False
    if nonce < account.nonce_floor:
        return True
    offset = nonce - account.nonce_floor
    return offset < WINDOW and bool(account.nonce_bitmap & (1 << offset))
