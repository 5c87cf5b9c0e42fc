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

Work per transaction is bounded by ``MAX_OPEN_ORDERS`` cancellations and five margin sums
(the account before and after the step, the liquidator's initial margin and its backing
before and after for the risk test, only when it misses initial margin), plus one for the
auction's recovery. It runs as steps
(``LiquidatePhase``), each sum through the margin sub-machine (``margin_steps``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Final, NamedTuple

from node.stf import accounts, auction as auctions, keys
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, mul_div_down, mul_div_up
from node.stf.margin_steps import Query, call_margin
from node.stf.orders import remove_order
from node.stf.params import MAX_POSITIONS
from node.stf.receipts import Fill, Receipt
from node.stf.records import Auction, Globals, Mark
from node.stf.solvency import close_out
from node.stf.state import State
from node.stf.steps import (
    BODY_PHASE, Phase, StepIO, begin_body, body_step, checkpoint_push, end_tx, restore_then, tx_of,
)
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


class Terms(NamedTuple):
    """The terms of one step (rules 3-6; collateral units e6 per contract or in total)."""

    discount_e6: int
    penalty_e6: int
    price_e6: int
    cash_to_target_e6: int  # signed: paid to the account (a long sold) or by it (a short)


def step_terms(equity_e6: int, maintenance_e6: int, maintenance_after_e6: int, schedule_ppm: int,
               mark: Mark, position_e6: int, size_e6: int) -> Terms:
    """Rules 3-6 for moving ``size_e6`` of ``position_e6`` at ``mark``: raises
    ``NO_MARGIN_RELEASED`` unless the step releases margin, else the discount (capped by the
    schedule, the mark and the budget), the penalty, the price and the cash moved."""
    if maintenance_after_e6 > 0 and maintenance_after_e6 >= maintenance_e6:
        raise TxFailure(
            FailureCode.NO_MARGIN_RELEASED,
            f"maintenance {maintenance_e6} would become {maintenance_after_e6}: the step releases no margin",
        )
    budget = step_budget(equity_e6, maintenance_e6, maintenance_after_e6)
    discount = min(mul_div_down(mark.index_e6, schedule_ppm, PPM_DENOMINATOR), mark.mark_e6,
                   mul_div_down(budget, E6, size_e6))
    discount_cost = mul_div_up(size_e6, discount, E6)
    penalty = min(mul_div_up(size_e6 * mark.index_e6, PENALTY_PPM, E6 * PPM_DENOMINATOR),
                  mul_div_down(size_e6, mark.mark_e6, E6), budget - discount_cost)
    if position_e6 > 0:  # the liquidator buys the long below the mark
        price = mark.mark_e6 - discount
        return Terms(discount, penalty, price, mul_div_up(size_e6, price, E6))
    price = mark.mark_e6 + discount  # the liquidator takes the short and is paid above the mark
    return Terms(discount, penalty, price, -mul_div_down(size_e6, price, E6))


def liquidation_receipt(sender: bytes, tx_hash: bytes, tx: Liquidate, done: LiquidationResult) -> Receipt:
    """The receipt of a liquidation step: the transfer as a trade (the liquidated account
    the maker, with no order: id 0, its penalty as the maker fee; the liquidator the taker,
    at the auction price)."""
    transfer = (Fill(0, tx.account, sender, tx.instrument_id, done.liquidator_side, done.price_e6,
                     done.size_e6, done.penalty_e6, 0),) if done.size_e6 else ()
    return Receipt(
        tx_hash, FailureCode.OK, filled_e6=done.size_e6, fills=transfer,
        detail=(
            f"liquidated {done.size_e6} at {done.price_e6} (discount {done.discount_e6} per contract, "
            f"schedule {done.discount_ppm} ppm), "
            f"penalty {done.penalty_e6}, {done.orders_cancelled} orders cancelled, "
            f"auction {'ended' if done.auction_ended else 'open'}, bad debt {done.bad_debt_e6}"
        ),
    )


class LiquidatePhase(IntEnum):
    """The steps of a ``Liquidate`` (module docstring's rules, in order)."""

    LIQUIDATE = 50
    LIQ_ASSESS = 51
    LIQ_CANCEL = 52
    LIQ_MOVE = 53
    LIQ_TERMS = 54
    LIQ_APPLY = 55
    LIQ_CHECK = 56
    LIQ_RISK = 57
    LIQ_RECOVERY = 58
    LIQ_BEFORE = 59


def _done(state: State, cursor: Cursor, io: StepIO, done: LiquidationResult) -> Cursor:
    return end_tx(state, cursor, io, liquidation_receipt(cursor.sender, cursor.tx_hash, tx_of(cursor).body, done))


@body_step(LiquidatePhase.LIQUIDATE)
def liquidate_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, first step: take the checkpoint; ``BAD_RECIPIENT`` (account not 20
    bytes), ``SELF_LIQUIDATION``; then the account's margin (``Query.SUMMARY``: E and M)
    into ``LIQ_ASSESS``. Keys: none."""
    cursor = begin_body(state, cursor)
    target = tx_of(cursor).body.account
    if len(target) != 20:
        raise TxFailure(FailureCode.BAD_RECIPIENT, "account must be 20 bytes")
    if target == cursor.sender:
        raise TxFailure(FailureCode.SELF_LIQUIDATION, "an account cannot liquidate itself")
    return call_margin(cursor, target, Query.SUMMARY, LiquidatePhase.LIQ_ASSESS, ())


@body_step(LiquidatePhase.LIQ_ASSESS)
def liquidate_assess_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rules 1-2 with the summary ``(cash, value, M, initial, complete)`` in
    the registers: an account not liquidatable ends its recovered auction (success) or
    fails with ``NOT_LIQUIDATABLE``; the first liquidation starts the auction. Continues at
    ``LIQ_CANCEL`` (the account has open orders and no auction yet) or ``LIQ_MOVE`` with
    registers ``(E, M, auction start, orders cancelled)``. Keys: the account, the globals,
    the auction."""
    cash, value, maintenance, _, complete = cursor.regs
    target = tx_of(cursor).body.account
    account = accounts.load(state, target)
    auction_key = keys.auction(target)
    auction: Auction | None = state.get(auction_key)
    equity = cash + value
    if not account.positions or not (complete and equity < maintenance):
        # recovered (rule 8): cash >= 0, and the summary just read is not below maintenance
        if auction is not None and account.balance_e6 >= 0:
            state.delete(auction_key)
            return _done(state, cursor, io, LiquidationResult(0, 0, 0, 0, 0, 0, auction_ended=True))
        raise TxFailure(FailureCode.NOT_LIQUIDATABLE, "the account is not below maintenance margin")
    if auction is None:
        auction = Auction(cursor.time)
        state.put(auction_key, auction)
        if account.open_orders:
            return cursor._replace(phase=LiquidatePhase.LIQ_CANCEL, regs=(equity, maintenance, auction.start_time, 0))
    return cursor._replace(phase=LiquidatePhase.LIQ_MOVE, regs=(equity, maintenance, auction.start_time, 0))


@body_step(LiquidatePhase.LIQ_CANCEL)
def liquidate_cancel_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rule 2: cancel the account's first open order (``orders.remove_order``;
    the account's cash and positions, so E and M, do not change); ``LIQ_MOVE`` once none is
    left. Registers as ``LIQ_MOVE``'s. At most ``MAX_OPEN_ORDERS`` steps."""
    equity, maintenance, start_time, cancelled = cursor.regs
    target = tx_of(cursor).body.account
    order_id = accounts.load(state, target).open_orders[0]
    remove_order(state, order_id, state.get(keys.order(order_id)))
    phase = LiquidatePhase.LIQ_CANCEL if accounts.load(state, target).open_orders else LiquidatePhase.LIQ_MOVE
    return cursor._replace(phase=phase, regs=(equity, maintenance, start_time, cancelled + 1))


@body_step(LiquidatePhase.LIQ_MOVE)
def liquidate_move_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rule 3: a size of 0 ends here (the auction started, nothing moves);
    ``NOTHING_TO_LIQUIDATE`` without a position on the series. Otherwise M' is the
    maintenance of the account with the position moved: this step takes a checkpoint,
    writes that account and sums it (``Query.SUMMARY``); the sum returns through
    ``RESTORE`` (the write undone) to ``LIQ_TERMS`` with registers ``(E, M, start,
    cancelled, *summary after)``. When the account keeps no position, M' = 0 and this step
    goes on with ``LIQ_TERMS``'s work itself. Keys: the account and the globals (and
    ``LIQ_TERMS``'s)."""
    equity, maintenance, start_time, cancelled = cursor.regs
    tx: Liquidate = tx_of(cursor).body
    if tx.size_e6 == 0:
        return _done(state, cursor, io, LiquidationResult(0, 0, discount_ppm(0), 0, cancelled, 0))
    account = accounts.load(state, tx.account)
    position = account.position(tx.instrument_id)
    if position == 0:
        raise TxFailure(FailureCode.NOTHING_TO_LIQUIDATE, f"no position on instrument {tx.instrument_id}")
    size = min(tx.size_e6, abs(position))
    if size == abs(position) and len(account.positions) == 1:
        # no position left: M' = 0 without a sum, so the terms follow in this step (nothing written yet)
        return liquidate_terms_step(state, cursor._replace(regs=cursor.regs + (0, 0, 0, 0, 1)), io)
    moved = accounts.with_position_delta(account, tx.instrument_id, -size if position > 0 else size)
    assert moved is not None  # a position shrinks: never more positions
    depth = len(cursor.saved)
    cursor = checkpoint_push(state, cursor)
    accounts.store(state, tx.account, moved)
    return call_margin(cursor, tx.account, Query.SUMMARY, Phase.RESTORE,
                       (depth, LiquidatePhase.LIQ_TERMS) + cursor.regs)


@body_step(LiquidatePhase.LIQ_TERMS)
def liquidate_terms_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rules 3-6 (``step_terms``), registers ``(E, M, start, cancelled,
    *summary after)``: ``NO_MARGIN_RELEASED``, the discount, the penalty, the price;
    ``TOO_MANY_POSITIONS`` if the liquidator cannot take the position. Then a checkpoint,
    the transfer (``_transfer``) and the liquidator's initial margin (``Query.INITIAL``)
    into ``LIQ_CHECK`` with registers ``(cancelled, size, moved, price, schedule, penalty,
    discount, cash to the account, code)``. Keys: the mark, both accounts, the globals."""
    equity, maintenance, start_time, cancelled = cursor.regs[:4]
    maintenance_after = cursor.regs[6]
    tx: Liquidate = tx_of(cursor).body
    position = accounts.load(state, tx.account).position(tx.instrument_id)
    size = min(tx.size_e6, abs(position))
    moved = size if position > 0 else -size  # the liquidator's position change
    mark: Mark = state.get(keys.mark(tx.instrument_id))
    schedule = discount_ppm(cursor.time - start_time)
    terms = step_terms(equity, maintenance, maintenance_after, schedule, mark, position, size)
    liquidator = accounts.load(state, cursor.sender)
    if len(liquidator.positions) >= MAX_POSITIONS and not liquidator.position(tx.instrument_id):
        raise TxFailure(FailureCode.TOO_MANY_POSITIONS, "the liquidator holds the maximum number of positions")
    transfer = (cancelled, size, moved, terms.price_e6, schedule, terms.penalty_e6, terms.discount_e6,
                terms.cash_to_target_e6)
    cursor = checkpoint_push(state, cursor)  # nothing written yet in this step
    _transfer(state, cursor, transfer)
    return call_margin(cursor, cursor.sender, Query.INITIAL, LiquidatePhase.LIQ_CHECK, transfer)


def _transfer(state: State, cursor: Cursor, transfer: tuple[int, ...]) -> None:
    """Move the position and the cash (registers of ``LIQ_TERMS``): the liquidator, then
    the account (both stored)."""
    moved, penalty, cash_to_target = transfer[2], transfer[5], transfer[7]
    tx: Liquidate = tx_of(cursor).body
    liquidator = accounts.with_position_delta(accounts.load(state, cursor.sender), tx.instrument_id, moved)
    target = accounts.with_position_delta(accounts.load(state, tx.account), tx.instrument_id, -moved)
    assert liquidator is not None and target is not None  # checked by LIQ_TERMS; a position shrinks
    accounts.store(state, cursor.sender, accounts.with_balance_delta(liquidator, -cash_to_target))
    accounts.store(state, tx.account, accounts.with_balance_delta(target, cash_to_target - penalty))


@body_step(LiquidatePhase.LIQ_APPLY)
def liquidate_apply_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rule 7 when the liquidator misses initial margin: with the transfer's
    8 registers and the liquidator's backing before it (``LIQ_BEFORE``), make the transfer
    again (it was undone to sum that backing), then the liquidator's backing after
    (``Query.BACKING``) into ``LIQ_RISK`` with registers ``(cancelled, size, moved, price,
    schedule, penalty, discount, maintenance before, excess before, *backing after)``.
    Keys: both accounts, the globals."""
    regs = cursor.regs
    _transfer(state, cursor, regs[:8])
    _, _, equity_before, maintenance_before, initial_before, _ = regs[8:14]
    keep = regs[:7] + (maintenance_before, equity_before - initial_before)
    return call_margin(cursor, cursor.sender, Query.BACKING, LiquidatePhase.LIQ_RISK, keep)


@body_step(LiquidatePhase.LIQ_CHECK)
def liquidate_check_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rule 7 with the liquidator's initial-margin code in register 8: a
    liquidator meeting initial margin finishes (the transfer's checkpoint is dropped,
    ``_finish``); one with negative cash fails with ``INSUFFICIENT_MARGIN``; otherwise
    whether the step strictly reduces its risk (``margin.reduces_risk``) needs its backing
    before the transfer: the transfer is undone (``RESTORE``) and ``LIQ_BEFORE`` follows.
    Keys: the liquidator and the globals (or ``_finish``'s)."""
    regs = cursor.regs
    if regs[8] == FailureCode.OK:
        return _finish(state, cursor._replace(saved=cursor.saved[:-1]), io, regs[:7])
    if accounts.load(state, cursor.sender).balance_e6 < 0:
        raise TxFailure(FailureCode.INSUFFICIENT_MARGIN, "the liquidator would breach its initial margin")
    return restore_then(cursor, len(cursor.saved) - 1, LiquidatePhase.LIQ_BEFORE, regs[:8])


@body_step(LiquidatePhase.LIQ_BEFORE)
def liquidate_before_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rule 7: the liquidator's backing before the transfer
    (``Query.BACKING``), into ``LIQ_APPLY``. Keys: none."""
    return call_margin(cursor, cursor.sender, Query.BACKING, LiquidatePhase.LIQ_APPLY, cursor.regs)


@body_step(LiquidatePhase.LIQ_RISK)
def liquidate_risk_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``, rule 7 with the liquidator's backing after the step in registers 9
    to 14: it must be complete, with free cash >= 0, a lower maintenance and no smaller
    excess than before (``margin.reduces_risk``), else ``INSUFFICIENT_MARGIN``."""
    maintenance_before, excess_before = cursor.regs[7], cursor.regs[8]
    _, free_cash, equity, maintenance, initial, complete = cursor.regs[9:15]
    if not (complete and free_cash >= 0 and maintenance < maintenance_before and equity - initial >= excess_before):
        raise TxFailure(FailureCode.INSUFFICIENT_MARGIN, "the liquidator would breach its initial margin")
    return _finish(state, cursor, io, cursor.regs[:7])


def _finish(state: State, cursor: Cursor, io: StepIO, regs: tuple[int, ...]) -> Cursor:
    """Rules 6 and 9: the penalty into the insurance fund; an account left without
    positions is closed out (``solvency.close_out``), otherwise its auction ends if it has
    recovered (a ``Query.SUMMARY`` sum and ``LIQ_RECOVERY`` when only that can decide).
    Keys: the globals, the account, the auction."""
    cancelled, size, moved, price, schedule, penalty, discount = regs
    target = tx_of(cursor).body.account
    globals_: Globals = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, replace(globals_, insurance_fund_e6=globals_.insurance_fund_e6 + penalty))
    account = accounts.load(state, target)
    if not account.positions:
        bad_debt = close_out(state, target)
        return _done(state, cursor, io, LiquidationResult(size, price, schedule, penalty, cancelled, bad_debt, True,
                                                          0 if moved > 0 else 1, discount))
    if auctions.recovery_needs_sum(state, target, account):  # (positions remain: False = no auction ended)
        return call_margin(cursor, target, Query.SUMMARY, LiquidatePhase.LIQ_RECOVERY, regs)
    return _done(state, cursor, io, LiquidationResult(size, price, schedule, penalty, cancelled, 0, False,
                                                      0 if moved > 0 else 1, discount))


@body_step(LiquidatePhase.LIQ_RECOVERY)
def liquidate_recovery_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Liquidate``: end the auction unless the account's summary (registers 7 to 11) is
    below maintenance; the receipt. Keys: the auction."""
    cancelled, size, moved, price, schedule, penalty, discount = cursor.regs[:7]
    ended = auctions.end_if_summary_recovered(state, tx_of(cursor).body.account, cursor.regs[7:])
    return _done(state, cursor, io, LiquidationResult(size, price, schedule, penalty, cancelled, 0, ended,
                                                      0 if moved > 0 else 1, discount))


BODY_PHASE[Liquidate] = LiquidatePhase.LIQUIDATE
