"""Liquidation: anyone may take over the positions of an account below maintenance margin.

A ``Liquidate`` transaction names the account, one series and a size. Amounts are
collateral units e6, sizes contracts e6. With E and M the account's equity and maintenance
before the step (``margin.summarise``), the rules, in order:

1. The liquidator may not liquidate itself (``SELF_LIQUIDATION``). The account must hold a
   position and be below maintenance (E < M), else ``NOT_LIQUIDATABLE``; if it has an
   auction and has recovered (``auction.py``), the auction ends instead (success, nothing
   moves).
2. The first liquidation of an account starts its **auction** (``records.Auction``, block
   time) and cancels all of its open orders (at most ``MAX_OPEN_ORDERS``). A size of 0 does
   only that.
3. The step moves ``size = min(size_e6, |position|)`` of the account's position on the series
   to the liquidator. It must release margin: with M' the account's maintenance after the
   position leaves it, a step with ``M' > 0`` and ``M' >= M`` (taking a hedge leg) is refused
   with ``NO_MARGIN_RELEASED``.
4. **Budget.** What the step may cost the account beyond the mark is
   ``budget = floor(max(E, 0) x (M - M') / M)`` (0 when E <= 0). Then
   ``(E - budget) / M' >= E / M``: the margin ratio never falls, and an account with positive
   equity never ends a step in deficit (``budget <= E``).
5. **Discount** per contract, paid to the liquidator from the account, first from the
   budget: the Dutch-auction schedule ``min(0.5% + 0.1% x (elapsed // 10 s), 5%) x index``
   (``discount_ppm``; elapsed since the auction started), capped at the option's mark and at
   ``floor(budget x 1e6 / size)``. A long is bought at ``mark - discount``, the liquidator
   paying ``ceil(size x price / 1e6)``; a short is taken over with ``floor(size x (mark +
   discount) / 1e6)`` paid by the account. Both round in the account's favour, so moving a
   position costs it at most ``ceil(size x discount / 1e6)`` of equity. Waiting makes the deal
   better for liquidators, so the first one willing takes it at the fairest price (as on Derive).
6. **Penalty** into the insurance fund, from what is left of the budget:
   ``min(ceil(0.25% x index x size), floor(mark x size), budget - ceil(size x discount / 1e6))``.
7. The liquidator must meet its own initial margin afterwards, or the step must strictly
   reduce its risk (``INSUFFICIENT_MARGIN`` otherwise).
8. **Partial** liquidation: the liquidator chooses the size; once the account has recovered
   (cash >= 0, equity >= maintenance) its auction ends and further liquidation fails, so no
   more is taken than needed, one step at a time.
9. **Bad debt**: while positions remain, an account under liquidation may carry negative
   cash; when its last position is gone, a negative balance is covered by the insurance fund,
   then the fee pool, then socialised (``solvency.py``), and the auction ends. By rule 4 that
   happens only to an account whose equity was already negative.

Work per transaction is bounded by ``MAX_OPEN_ORDERS`` cancellations and four margin sums
(the account before and after the step, the liquidator's initial margin and risk).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from node.stf import accounts, auction as auctions, keys, margin
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
    """What one liquidation step did (collateral units e6, contracts e6).

    ``discount_ppm`` is the auction schedule's rate; ``discount_e6`` the discount per contract
    actually given (after the caps of rules 5 and 4).
    """

    size_e6: int
    price_e6: int
    discount_ppm: int
    penalty_e6: int
    orders_cancelled: int
    bad_debt_e6: int
    auction_ended: bool = False
    liquidator_side: int = 0  # Side.BUY when the liquidator takes a long, SELL a short
    discount_e6: int = 0


def discount_ppm(elapsed_seconds: int) -> int:
    """The auction's discount (ppm of the index) after ``elapsed_seconds``."""
    steps = elapsed_seconds // DISCOUNT_STEP_SECONDS
    return min(START_DISCOUNT_PPM + steps * DISCOUNT_STEP_PPM, MAX_DISCOUNT_PPM)


def step_budget(equity_e6: int, maintenance_e6: int, maintenance_after_e6: int) -> int:
    """Rule 4: ``floor(max(E, 0) x (M - M') / M)``, or 0 when E <= 0 (then M > 0 is not needed)."""
    if equity_e6 <= 0:
        return 0
    return mul_div_down(equity_e6, maintenance_e6 - maintenance_after_e6, maintenance_e6)


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
    if maintenance_after > 0 and maintenance_after >= maintenance:
        raise TxFailure(
            FailureCode.NO_MARGIN_RELEASED,
            f"maintenance {maintenance} would become {maintenance_after}: the step releases no margin",
        )
    budget = step_budget(before.equity_e6, maintenance, maintenance_after)
    schedule = discount_ppm(now - auction.start_time)
    discount = min(mul_div_down(mark.index_e6, schedule, PPM_DENOMINATOR), mark.mark_e6,
                   mul_div_down(budget, E6, size))
    discount_cost = mul_div_up(size, discount, E6)
    penalty = min(mul_div_up(size * mark.index_e6, PENALTY_PPM, E6 * PPM_DENOMINATOR),
                  mul_div_down(size, mark.mark_e6, E6), budget - discount_cost)
    if position > 0:  # the liquidator buys the long below the mark
        price = mark.mark_e6 - discount
        cash_to_target = mul_div_up(size, price, E6)
    else:  # the liquidator takes the short and is paid above the mark
        price = mark.mark_e6 + discount
        cash_to_target = -mul_div_down(size, price, E6)

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
