"""Liquidation: anyone may take over the positions of an account below maintenance margin.

A ``Liquidate`` transaction names the account, one series and a size. Rules, in order:

1. The liquidator may not liquidate itself (``SELF_LIQUIDATION``). The account must be
   below maintenance margin (``margin.py``: equity < maintenance), else
   ``NOT_LIQUIDATABLE`` (and a finished auction record is cleared).
2. The first liquidation of an account starts its **auction** (``records.Auction``, block
   time) and cancels all of its open orders (at most ``MAX_OPEN_ORDERS``). A size of 0 does
   only that.
3. Up to ``size_e6`` contracts of the account's position on the series move to the
   liquidator at the mark, improved in the liquidator's favour by a **Dutch-auction
   discount** that grows with time since the auction started:
   ``discount = min(0.5% + 0.1% x (elapsed // 10 s), 5%) x index`` per contract; a long
   is bought at ``max(mark - discount, 0)`` (rounded down), a short is taken over with a
   payment of ``mark + discount`` (rounded up) from the account to the liquidator. Waiting
   makes the deal better for liquidators, so the first one willing takes it at the fairest
   price (as on Derive).
4. The account pays a **penalty** of 0.25% of the index per contract (rounded up) into the
   insurance fund.
5. The liquidator must meet its own initial margin afterwards, or the step must strictly
   reduce its risk (``INSUFFICIENT_MARGIN`` otherwise).
6. **Partial** liquidation: the liquidator chooses the size; once the account is back at or
   above maintenance (with non-negative cash), its auction ends and further liquidation
   fails, so no more is taken than needed, one step at a time. A ``Liquidate`` on an
   account that recovered by itself (the index moved back, a deposit) just ends its
   auction, so a later fall starts a fresh one at the smallest discount.
7. **Bad debt**: while positions remain, an account under liquidation may carry negative
   cash; when its last position is gone, a negative balance is covered by the insurance
   fund, then the fee pool, then recorded as socialised loss (``solvency.py``), and the
   auction ends.

Work per transaction is bounded by ``MAX_OPEN_ORDERS`` cancellations and two margin sums.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from node.stf import accounts, keys, margin
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, mul_div_down, mul_div_up
from node.stf.orders import remove_order
from node.stf.records import Auction, Globals, Mark
from node.stf.solvency import close_out
from node.stf.state import State
from node.stf.txtypes import Liquidate

START_DISCOUNT_PPM: Final = 5_000  # 0.5% of the index per contract
DISCOUNT_STEP_PPM: Final = 1_000  # +0.1% ...
DISCOUNT_STEP_SECONDS: Final = 10  # ... every 10 seconds
MAX_DISCOUNT_PPM: Final = 50_000  # capped at 5%
PENALTY_PPM: Final = 2_500  # 0.25% of the index per contract, to the insurance fund


@dataclass(frozen=True, slots=True)
class LiquidationResult:
    """What one liquidation step did (collateral units e6, contracts e6)."""

    size_e6: int
    price_e6: int
    discount_ppm: int
    penalty_e6: int
    orders_cancelled: int
    bad_debt_e6: int
    auction_ended: bool = False
    liquidator_side: int = 0  # Side.BUY when the liquidator takes a long, SELL a short


def discount_ppm(elapsed_seconds: int) -> int:
    """The auction's discount (ppm of the index) after ``elapsed_seconds``."""
    steps = elapsed_seconds // DISCOUNT_STEP_SECONDS
    return min(START_DISCOUNT_PPM + steps * DISCOUNT_STEP_PPM, MAX_DISCOUNT_PPM)


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
    if not account.positions or not margin.summarise(state, account).below_maintenance():
        if auction is None:
            raise TxFailure(FailureCode.NOT_LIQUIDATABLE, "the account is not below maintenance margin")
        state.delete(auction_key)  # it recovered: the auction is over
        return LiquidationResult(0, 0, 0, 0, 0, 0, auction_ended=True)
    cancelled = 0
    if auction is None:
        auction = Auction(now)
        state.put(auction_key, auction)
        cancelled = _cancel_all_orders(state, target)
        account = accounts.load(state, target)
    if tx.size_e6 == 0:
        return LiquidationResult(0, 0, discount_ppm(0), 0, cancelled, 0)

    position = account.position(tx.instrument_id)
    if position == 0:
        raise TxFailure(FailureCode.NOTHING_TO_LIQUIDATE, f"no position on instrument {tx.instrument_id}")
    mark: Mark = state.get(keys.mark(tx.instrument_id))
    size = min(tx.size_e6, abs(position))
    discount = discount_ppm(now - auction.start_time)
    discount_per_contract = mul_div_down(mark.index_e6, discount, PPM_DENOMINATOR)
    penalty = mul_div_up(size * mark.index_e6, PENALTY_PPM, E6 * PPM_DENOMINATOR)
    if position > 0:  # the liquidator buys the long below the mark
        price = max(mark.mark_e6 - discount_per_contract, 0)
        cash_to_target = mul_div_down(size, price, E6)
        moved = size
    else:  # the liquidator takes the short and is paid above the mark
        price = mark.mark_e6 + discount_per_contract
        cash_to_target = -mul_div_up(size, price, E6)
        moved = -size

    liquidator_before = accounts.load(state, sender)
    liquidator_after = accounts.with_position_delta(liquidator_before, tx.instrument_id, moved)
    if liquidator_after is None:
        raise TxFailure(FailureCode.TOO_MANY_POSITIONS, "the liquidator holds the maximum number of positions")
    liquidator_after = accounts.with_balance_delta(liquidator_after, -cash_to_target)
    target_after = accounts.with_position_delta(account, tx.instrument_id, -moved)
    assert target_after is not None  # a position shrinks: never more positions
    target_after = accounts.with_balance_delta(target_after, cash_to_target - penalty)
    accounts.store(state, sender, liquidator_after)
    accounts.store(state, target, target_after)
    if not margin.meets_initial(state, liquidator_after) and not margin.reduces_risk(
        state, liquidator_before, liquidator_after
    ):
        raise TxFailure(FailureCode.INSUFFICIENT_MARGIN, "the liquidator would breach its initial margin")
    globals_: Globals = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, replace(globals_, insurance_fund_e6=globals_.insurance_fund_e6 + penalty))

    bad_debt = 0
    ended = False
    if not target_after.positions:
        bad_debt = close_out(state, target)
        ended = True
    elif target_after.balance_e6 >= 0 and not margin.summarise(state, target_after).below_maintenance():
        state.delete(auction_key)
        ended = True
    return LiquidationResult(size, price, discount, penalty, cancelled, bad_debt, ended, 0 if position > 0 else 1)
