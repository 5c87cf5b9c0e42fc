"""The liquidation auction record of an account: when it ends.

An auction (``records.Auction`` under ``keys.auction``) starts at an account's first
liquidation (``liquidation.py``) and sets the discount schedule's clock. It ends when the
account has **recovered**: cash at or above zero and equity at or above maintenance (or no
position left). Recovery is checked at every touch of the account: a fill as maker or
taker, a deposit, a withdrawal, a settlement, a liquidation attempt. So an account that
recovered and falls again starts a fresh auction at the smallest discount, never at the
discount its earlier fall had reached.

Cost per touch: one state read when the account has no auction; one margin sum when it has.
A rule split into steps decides it in two parts around that sum (``margin_steps``):
``recovery_needs_sum`` first, then ``end_if_summary_recovered`` with the sum's results.
"""

from __future__ import annotations

from node.stf import keys, margin
from node.stf.records import Account
from node.stf.state import State


def recovered(state: State, account: Account) -> bool:
    """Cash >= 0 and, if it holds positions, equity >= maintenance (see module docstring)."""
    if account.balance_e6 < 0:
        return False
    return not account.positions or not margin.summarise(state, account).below_maintenance()


def end_if_recovered(state: State, address: bytes, account: Account) -> bool:
    """End ``address``'s auction if it has one and ``account`` (its current record, as read
    through ``accounts.load``) has recovered. Returns True if an auction ended.
    """
    key = keys.auction(address)
    if state.get(key) is None or not recovered(state, account):
        return False
    state.delete(key)
    return True


def recovery_needs_sum(state: State, address: bytes, account: Account) -> bool:
    """``end_if_recovered`` up to its margin sum: ends the auction here when no sum is
    needed (no position and cash >= 0) and returns False; returns True when only a
    ``Query.SUMMARY`` of the account can decide (then ``end_if_summary_recovered``)."""
    key = keys.auction(address)
    if account.balance_e6 < 0 or state.get(key) is None:
        return False
    if not account.positions:
        state.delete(key)
        return False
    return True


def end_if_summary_recovered(state: State, address: bytes, summary: tuple[int, ...]) -> bool:
    """End ``address``'s auction unless ``summary`` (``(cash, value, maintenance, initial,
    complete)`` of its account, ``margin_steps.Query.SUMMARY``) is below maintenance.
    Returns True if the auction ended."""
    cash_e6, value_e6, maintenance_e6, _, complete = summary
    if complete and cash_e6 + value_e6 < maintenance_e6:
        return False
    state.delete(keys.auction(address))
    return True
