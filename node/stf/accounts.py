"""Account record helpers: balances, positions and the list of open orders.

Pure functions from an ``Account`` to a new ``Account``; the caller writes it back.
"""

from __future__ import annotations

from node.stf import keys
from node.stf.params import MAX_POSITIONS
from node.stf.records import Account
from node.stf.state import State

EMPTY_ACCOUNT = Account()


def load(state: State, address: bytes) -> Account:
    """The account at ``address`` (an empty one if it never existed)."""
    account = state.get(keys.account(address))
    return EMPTY_ACCOUNT if account is None else account


def store(state: State, address: bytes, account: Account) -> None:
    state.put(keys.account(address), account)


def with_position_delta(account: Account, instrument_id: int, delta_e6: int) -> Account | None:
    """``account`` with ``delta_e6`` added to its position on ``instrument_id``.

    Returns ``None`` if that would open more than ``MAX_POSITIONS`` positions.
    Zero positions are removed; the list stays sorted by instrument id.
    """
    positions = list(account.positions)
    for index, (inst, size) in enumerate(positions):
        if inst == instrument_id:
            new_size = size + delta_e6
            if new_size == 0:
                del positions[index]
            else:
                positions[index] = (inst, new_size)
            return account.with_positions(tuple(positions))
        if inst > instrument_id:
            if len(positions) >= MAX_POSITIONS:
                return None
            positions.insert(index, (instrument_id, delta_e6))
            return account.with_positions(tuple(positions))
    if len(positions) >= MAX_POSITIONS:
        return None
    positions.append((instrument_id, delta_e6))
    return account.with_positions(tuple(positions))


def with_open_order(account: Account, order_id: int) -> Account:
    """``account`` with ``order_id`` (the newest, hence largest id) added to its open orders."""
    return account.with_open_orders(account.open_orders + (order_id,))


def without_open_order(account: Account, order_id: int) -> Account:
    return account.with_open_orders(tuple(o for o in account.open_orders if o != order_id))


def with_balance_delta(account: Account, delta_e6: int) -> Account:
    """``account`` with ``delta_e6`` added to its cash balance."""
    return account.with_balance(account.balance_e6 + delta_e6)
