"""The node's fast path for a liquidation: the whole rule in one call.

``liquidation.py`` states the rules and runs them as steps (what a fault proof bisects);
this module runs the same rules in one call, with in-memory snapshots and the margin
functions of ``margin.py`` called directly: a liquidation in steps takes ~2.3x the time
(its margin sums go through the sub-machine, each a few steps). It is allowed only because
it is proven equal to the steps: the property workloads and the trace tests run both ways
with equal roots and receipts on every block (``tests/node/stf/test_block_properties.py``,
``test_fast_bodies.py``, ``tests/prover/``). Change a rule in ``liquidation.py`` and here
together.
"""

from __future__ import annotations

from dataclasses import replace

from node.stf import accounts, auction as auctions, keys, margin
from node.stf.errors import FailureCode, TxFailure
from node.stf.liquidation import LiquidationResult, discount_ppm, step_terms
from node.stf.orders import remove_order
from node.stf.records import Auction, Globals, Mark
from node.stf.solvency import close_out
from node.stf.state import State
from node.stf.txtypes import Liquidate


def _cancel_all_orders(state: State, address: bytes) -> int:
    account = accounts.load(state, address)
    for order_id in account.open_orders:
        remove_order(state, order_id, state.get(keys.order(order_id)))
    return len(account.open_orders)


def apply_liquidate(state: State, now: int, sender: bytes, tx: Liquidate) -> LiquidationResult:
    """Run one liquidation step (see module docstring). Raises ``TxFailure`` on failure."""
    target = tx.account
    if len(target) != 20:
        raise TxFailure(FailureCode.BAD_RECIPIENT, "account must be 20 bytes")
    if target == sender:
        raise TxFailure(FailureCode.SELF_LIQUIDATION, "an account cannot liquidate itself")
    account = accounts.load(state, target)
    auction_key = keys.auction(target)
    auction: Auction | None = state.get(auction_key)
    before = margin.summarise(state, account)
    if not account.positions or not before.below_maintenance():
        if auctions.end_if_recovered(state, target, account):
            return LiquidationResult(0, 0, 0, 0, 0, 0, auction_ended=True)
        raise TxFailure(FailureCode.NOT_LIQUIDATABLE, "the account is not below maintenance margin")
    cancelled = 0
    if auction is None:
        auction = Auction(now)
        state.put(auction_key, auction)
        cancelled = _cancel_all_orders(state, target)
        account = accounts.load(state, target)  # its open orders are gone; cash and positions, so E and M, are not
    if tx.size_e6 == 0:
        return LiquidationResult(0, 0, discount_ppm(0), 0, cancelled, 0)

    position = account.position(tx.instrument_id)
    if position == 0:
        raise TxFailure(FailureCode.NOTHING_TO_LIQUIDATE, f"no position on instrument {tx.instrument_id}")
    mark: Mark = state.get(keys.mark(tx.instrument_id))
    size = min(tx.size_e6, abs(position))
    moved = size if position > 0 else -size  # the liquidator's position change
    target_moved = accounts.with_position_delta(account, tx.instrument_id, -moved)
    assert target_moved is not None  # a position shrinks: never more positions
    maintenance = before.maintenance_e6
    maintenance_after = margin.summarise(state, target_moved).maintenance_e6 if target_moved.positions else 0
    schedule = discount_ppm(now - auction.start_time)
    discount, penalty, price, cash_to_target = step_terms(before.equity_e6, maintenance, maintenance_after, schedule,
                                                          mark, position, size)

    liquidator_before = accounts.load(state, sender)
    liquidator_after = accounts.with_position_delta(liquidator_before, tx.instrument_id, moved)
    if liquidator_after is None:
        raise TxFailure(FailureCode.TOO_MANY_POSITIONS, "the liquidator holds the maximum number of positions")
    liquidator_after = accounts.with_balance_delta(liquidator_after, -cash_to_target)
    target_after = accounts.with_balance_delta(target_moved, cash_to_target - penalty)
    accounts.store(state, sender, liquidator_after)
    accounts.store(state, target, target_after)
    if not margin.meets_initial(state, liquidator_after) and not margin.reduces_risk(
        state, liquidator_before, liquidator_after
    ):
        raise TxFailure(FailureCode.INSUFFICIENT_MARGIN, "the liquidator would breach its initial margin")
    globals_: Globals = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, replace(globals_, insurance_fund_e6=globals_.insurance_fund_e6 + penalty))

    bad_debt = 0
    if not target_after.positions:
        bad_debt = close_out(state, target)
        ended = True
    else:
        ended = auctions.end_if_recovered(state, target, target_after)
    return LiquidationResult(size, price, schedule, penalty, cancelled, bad_debt, ended,
                             0 if position > 0 else 1, discount)
