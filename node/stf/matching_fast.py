"""The node's fast path for placing an order: the whole rule in one call.

``matching.py`` states the rules and runs them as steps (what a fault proof bisects); this
module runs the same rules in one call, with in-memory snapshots instead of checkpoints and
the margin checks of ``margin.py`` called directly, because the node places ~10,000 orders
a second and the per-step overhead (cursors, sub-machine calls, re-reads) costs ~20% of
that. It is allowed only because it is proven equal to the steps: every batch of the
property workloads runs both ways, with equal roots and receipts on every block
(``tests/prover/test_trace.py``, ``test_derivation_steps.py``, ``test_steps_risk.py`` run the
trace against ``apply_block``; ``tests/node/stf/test_fast_bodies.py`` runs blocks both
ways). Change a rule in ``matching.py`` and here together.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.stf import accounts, auction, book, keys, margin
from node.stf.errors import FailureCode, TxFailure
from node.stf.haircut import collect_fees
from node.stf.matching import _reducible, fill_fee, premium_e6, validate_order
from node.stf.orders import may_hold, reduce_order, remove_order, rest_order
from node.stf.params import MAX_MATCH_REMOVALS, MAX_MATCH_STEPS
from node.stf.receipts import Fill, Receipt
from node.stf.records import Config, Globals, Mark, Order
from node.stf.state import State
from node.stf.txtypes import PlaceOrder, Side, TimeInForce

_RESTING_TIF = (TimeInForce.GTC, TimeInForce.POST_ONLY)


@dataclass(frozen=True, slots=True)
class TradeContext:
    """What every fill of one taker order needs; read once per order."""

    now: int
    config: Config
    instrument_id: int
    mark: Mark
    taker: bytes
    taker_side: int
    taker_may_hold: bool  # the taker may hold a position on the series (``orders.may_hold``)


def _execute_fill(
    state: State, ctx: TradeContext, maker_id: int, maker: Order, size_e6: int, closes: bool
) -> tuple[FailureCode, FailureCode, Fill | None]:
    """One fill: the maker's order shrinks (or leaves the book when ``closes``), premium,
    fees and positions move, then both margins are checked (rule 4).

    Returns (taker_code, maker_code, fill). On any failure the caller rolls back.
    """
    if closes:
        remove_order(state, maker_id, maker)
    else:
        reduce_order(state, maker_id, maker, size_e6)
    price = maker.price_e6
    premium = premium_e6(price, size_e6, ctx.taker_side)
    index = ctx.mark.index_e6
    cfg = ctx.config
    taker_fee = fill_fee(size_e6, price, index, cfg.taker_fee_ppm, cfg.fee_cap_ppm)
    maker_fee = fill_fee(size_e6, price, index, cfg.maker_fee_ppm, cfg.fee_cap_ppm)
    signed = size_e6 if ctx.taker_side == Side.BUY else -size_e6
    taker_before = accounts.load(state, ctx.taker)
    maker_before = accounts.load(state, maker.owner)
    taker_cash = -premium if signed > 0 else premium
    taker_after = accounts.with_position_delta(taker_before, ctx.instrument_id, signed)
    maker_after = accounts.with_position_delta(maker_before, ctx.instrument_id, -signed)
    if taker_after is None or not ctx.taker_may_hold:
        return FailureCode.TOO_MANY_POSITIONS, FailureCode.OK, None
    if maker_after is None:
        return FailureCode.OK, FailureCode.TOO_MANY_POSITIONS, None
    taker_after = accounts.with_balance_delta(taker_after, taker_cash - taker_fee)
    maker_after = accounts.with_balance_delta(maker_after, -taker_cash - maker_fee)
    accounts.store(state, ctx.taker, taker_after)
    accounts.store(state, maker.owner, maker_after)
    if not margin.meets_initial(state, maker_after):
        return FailureCode.OK, FailureCode.MAKER_INSUFFICIENT_MARGIN, None
    if not margin.meets_initial(state, taker_after) and not margin.reduces_risk(state, taker_before, taker_after):
        code = margin.initial_failure(state, taker_after)
        return code if code != FailureCode.OK else FailureCode.INSUFFICIENT_MARGIN, FailureCode.OK, None
    auction.end_if_recovered(state, ctx.taker, taker_after)
    auction.end_if_recovered(state, maker.owner, maker_after)
    globals_: Globals = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, collect_fees(globals_, taker_fee + maker_fee))
    fill = Fill(maker_id, maker.owner, ctx.taker, ctx.instrument_id, ctx.taker_side, price, size_e6, maker_fee, taker_fee)
    return FailureCode.OK, FailureCode.OK, fill


def _remove_failed_maker(state: State, ctx: TradeContext, maker_id: int, maker: Order) -> None:
    """Rule 3: remove a maker that failed its check at fill time and charge it the taker fee
    on the order's remaining size (at most its cash), into the fee pool."""
    remove_order(state, maker_id, maker)
    cfg = ctx.config
    fee = fill_fee(maker.remaining_e6, maker.price_e6, ctx.mark.index_e6, cfg.taker_fee_ppm, cfg.fee_cap_ppm)
    owner = accounts.load(state, maker.owner)
    charge = min(fee, max(owner.balance_e6, 0))
    if charge:
        accounts.store(state, maker.owner, accounts.with_balance_delta(owner, -charge))
        globals_: Globals = state.get(keys.GLOBALS)
        state.put(keys.GLOBALS, collect_fees(globals_, charge))


def _rest(state: State, order_id: int, order: Order) -> FailureCode:
    """Rule 6: rest ``order`` if its owner may hold the series and stays backed; else undo, return why."""
    if not may_hold(accounts.load(state, order.owner), order.instrument_id):
        return FailureCode.TOO_MANY_POSITIONS
    snapshot = state.snapshot()
    rest_order(state, order_id, order)
    code = margin.initial_failure(state, accounts.load(state, order.owner))
    if code != FailureCode.OK:
        state.rollback(snapshot)
    return code


def place_order(state: State, now: int, config: Config, sender: bytes, tx_hash: bytes, tx: PlaceOrder) -> Receipt:
    """Validate, match and (maybe) rest one limit order. Raises ``TxFailure`` to fail the tx."""
    inst, mark, account = validate_order(state, now, sender, tx)
    globals_: Globals = state.get(keys.GLOBALS)
    order_id = globals_.next_order_id
    state.put(keys.GLOBALS, globals_.with_next_order_id(order_id + 1))

    ctx = TradeContext(now, config, tx.instrument_id, mark, sender, tx.side, may_hold(account, tx.instrument_id))
    opposite = 1 - tx.side
    inst_key = keys.instrument(tx.instrument_id)
    remaining = tx.size_e6
    fills: list[Fill] = []
    cancelled: list[tuple[int, FailureCode]] = []
    stop_code = FailureCode.OK
    removals = 0
    while remaining and len(fills) < MAX_MATCH_STEPS and removals < MAX_MATCH_REMOVALS:
        best = state.get(inst_key).best(opposite)
        if best == 0 or not book.crosses(tx.side, tx.price_e6, best):
            break
        level = state.get(keys.level(tx.instrument_id, opposite, best))
        maker_id = level.head_order_id
        maker: Order = state.get(keys.order(maker_id))
        if maker.expiry and maker.expiry < now:
            remove_order(state, maker_id, maker)
            cancelled.append((maker_id, FailureCode.MAKER_CANCELLED_EXPIRED))
            removals += 1
            continue
        if maker.owner == sender:
            remove_order(state, maker_id, maker)
            cancelled.append((maker_id, FailureCode.SELF_TRADE))
            removals += 1
            continue
        size = min(remaining, maker.remaining_e6)
        capped = False
        if maker.reduce_only:
            reducible = _reducible(state, maker)
            if reducible == 0:
                remove_order(state, maker_id, maker)
                cancelled.append((maker_id, FailureCode.REDUCE_ONLY_WOULD_INCREASE))
                removals += 1
                continue
            if reducible < size:
                size, capped = reducible, True
        snapshot = state.snapshot()
        closes = capped or size == maker.remaining_e6
        taker_code, maker_code, fill = _execute_fill(state, ctx, maker_id, maker, size, closes)
        if maker_code != FailureCode.OK:
            state.rollback(snapshot)
            _remove_failed_maker(state, ctx, maker_id, maker)
            cancelled.append((maker_id, maker_code))
            removals += 1
            continue
        if taker_code != FailureCode.OK:
            state.rollback(snapshot)
            stop_code = taker_code
            break
        assert fill is not None
        fills.append(fill)
        remaining -= size
        if capped:
            cancelled.append((maker_id, FailureCode.REDUCE_ONLY_WOULD_INCREASE))

    filled = tx.size_e6 - remaining
    rested = 0
    remainder_code = FailureCode.OK
    if remaining:
        if tx.time_in_force == TimeInForce.FOK:
            raise TxFailure(FailureCode.FOK_NOT_FILLABLE, f"only {filled} of {tx.size_e6} fillable")
        if stop_code != FailureCode.OK and not fills:
            raise TxFailure(stop_code, "the first fill would breach the sender's margin")
        best = state.get(inst_key).best(opposite)
        still_crossing = best != 0 and book.crosses(tx.side, tx.price_e6, best)
        if stop_code != FailureCode.OK:
            remainder_code = stop_code
        elif tx.time_in_force == TimeInForce.IOC:
            remainder_code = FailureCode.NO_LIQUIDITY
        elif still_crossing:
            full = len(fills) == MAX_MATCH_STEPS
            remainder_code = FailureCode.MATCH_LIMIT_REACHED if full else FailureCode.REMOVAL_LIMIT_REACHED
        else:
            order = Order(
                sender, tx.instrument_id, tx.side, tx.price_e6, remaining,
                tx.reduce_only, tx.client_order_id, tx.expiry, 0, 0,
            )
            remainder_code = _rest(state, order_id, order)
            if remainder_code == FailureCode.OK:
                rested = remaining
            elif not fills:
                raise TxFailure(remainder_code, "the account could not back this order resting")
    return Receipt(
        tx_hash,
        FailureCode.OK,
        order_id=order_id,
        filled_e6=filled,
        rested_e6=rested,
        remainder_code=remainder_code,
        fills=tuple(fills),
        cancelled=tuple(cancelled),
    )
