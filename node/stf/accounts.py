"""Account record helpers: balances, positions and the list of open orders.

Every read and write of an account inside the STF goes through ``load`` and ``store``:
``load`` returns the balance as cut by socialised loss (``haircut.py``), and ``store``
realises that cut and keeps the loss index's totals exact. The other helpers are pure
functions from an ``Account`` to a new ``Account``; the caller writes it back.
"""

from __future__ import annotations

from node.stf import haircut, keys
from node.stf.params import MAX_POSITIONS
from node.stf.records import Account, Globals
from node.stf.state import State

EMPTY_ACCOUNT = Account()


def load(state: State, address: bytes) -> Account:
    """The account at ``address`` as the STF sees it (an empty one if it never existed):
    a positive balance is cut by the socialised loss since it was written (``haircut.apply``).
    """
    account: Account | None = state.get(keys.account(address))
    if account is None:
        return EMPTY_ACCOUNT
    if account.balance_e6 > 0:
        loss_index = state.get(keys.GLOBALS).loss_index
        if account.loss_index != loss_index:
            return haircut.apply(account, loss_index)
    return account


def store(state: State, address: bytes, account: Account) -> None:
    """Write ``account`` (derived from ``load`` at the current loss index) at ``address``.

    Realises the cut the stored balance owed and updates the loss index's totals
    (``haircut.on_write``); the account records the current index.
    """
    key = keys.account(address)
    old: Account | None = state.get(key)
    globals_: Globals = state.get(keys.GLOBALS)
    index = globals_.loss_index
    if (old is not None and old.loss_index == index and old.balance_e6 == account.balance_e6
            and account.loss_index == index):
        state.put(key, account)  # the balance did not move: nothing to account for
        return
    updated = haircut.on_write(globals_, old, account.balance_e6)
    if updated is not None:
        state.put(keys.GLOBALS, updated)
    state.put(key, account if account.loss_index == index else account.at_loss_index(account.balance_e6, index))


def with_position_delta(account: Account, instrument_id: int, delta_e6: int) -> Account | None:
    """``account`` with ``delta_e6`` added to its position on ``instrument_id``.

    Returns ``None`` if that would open more than ``MAX_POSITIONS`` positions.
    Zero positions are removed; the list stays sorted by instrument id.
    """
    positions = positions_with(account.positions, instrument_id, delta_e6)
    return None if positions is None else account.with_positions(positions)


def positions_with(positions: tuple[tuple[int, int], ...], instrument_id: int,
                   delta_e6: int) -> tuple[tuple[int, int], ...] | None:
    """``positions`` with ``delta_e6`` added on ``instrument_id`` (``with_position_delta``)."""
    out = list(positions)
    for index, (inst, size) in enumerate(out):
        if inst == instrument_id:
            new_size = size + delta_e6
            if new_size == 0:
                del out[index]
            else:
                out[index] = (inst, new_size)
            return tuple(out)
        if inst > instrument_id:
            if len(out) >= MAX_POSITIONS:
                return None
            out.insert(index, (instrument_id, delta_e6))
            return tuple(out)
    if len(out) >= MAX_POSITIONS:
        return None
    out.append((instrument_id, delta_e6))
    return tuple(out)


def with_balance_delta(account: Account, delta_e6: int) -> Account:
    """``account`` with ``delta_e6`` added to its cash balance."""
    return account.with_balance(account.balance_e6 + delta_e6)
