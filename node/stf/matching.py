"""Placing an order: validation, price-time matching, fills, and resting the remainder.

Rules, in the order they are applied:

1. The order must name a listed, unexpired instrument with a mark; its price must be on
   the tick and in range; its size at least the minimum and a multiple of it; its own expiry
   (if any) not passed. Reduce-only orders must shrink the sender's position without
   flipping it. A client order id must be unique among the sender's open orders. An order
   that may rest (GTC, post-only) needs a free open-order slot. A post-only order that would
   cross is rejected.
2. Matching takes the best opposite level first and, within a level, the oldest order
   first; the trade price is the maker's price. At most ``MAX_MATCH_STEPS`` fills and, on a
   budget of their own, ``MAX_MATCH_REMOVALS`` removals (rule 3): makers that cannot trade
   never use up a taker's fills, and a taker order touches at most 64 resting orders.
3. Resting orders removed on the way, each recorded in the receipt: expired ones; the
   sender's own ones (self-trade prevention: *cancel the resting order*, then keep matching);
   ones whose owner would fail initial margin or exceed ``MAX_POSITIONS``; reduce-only ones
   that no longer reduce. A maker removed for failing its check at fill time (resting
   orders are backed, ``margin.py``, so only after the oracle moved or its account was
   settled since) pays the taker fee on the order's remaining size, at most its cash, into
   the fee pool.
4. A fill moves the premium from buyer to seller, ``price x size`` rounded in the maker's
   favour (up when the maker sells, down when it buys), and charges each side a fee into
   the fee pool: ``min(fee_ppm x index, fee_cap_ppm x price) x size``, rounded down. Both
   accounts must then meet initial margin with their resting orders (or, for the taker,
   the fill must strictly reduce risk, see ``margin.reduces_risk``). A fill ends either
   account's liquidation auction if the account has recovered (``auction.py``).
5. If the taker fails its margin or position limit, matching stops: with no fill yet the
   transaction fails with that code; otherwise the fills stand and the remainder is cancelled.
6. The remainder: FOK fails the whole transaction (``FOK_NOT_FILLABLE``); IOC is cancelled;
   GTC and post-only are cancelled if the book still crosses (``MATCH_LIMIT_REACHED`` after
   ``MAX_MATCH_STEPS`` fills, ``REMOVAL_LIMIT_REACHED`` after ``MAX_MATCH_REMOVALS``
   removals) or matching stopped on the taker's margin, so the book never rests crossed.
   Otherwise they rest at the tail of their level if the sender may hold one more series
   (``orders.may_hold``, else ``TOO_MANY_POSITIONS``) and stays backed with the order
   resting (``margin.initial_failure``: ``ORDERS_EXCEED_BALANCE``, ``ORDERS_EXCEED_MARGIN``,
   or the positions' own failure). A remainder that cannot rest is cancelled with that
   code; with no fill at all, the transaction fails with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.stf import accounts, auction, book, keys, margin
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, PPM_DENOMINATOR as PPM, mul_div_down, mul_div_up
from node.stf.orders import may_hold, reduce_order, remove_order, rest_order
from node.stf.params import MAX_MATCH_REMOVALS, MAX_MATCH_STEPS, MAX_OPEN_ORDERS, MAX_PRICE_E6, MAX_SIZE_E6
from node.stf.receipts import Fill, Receipt
from node.stf.records import Account, Config, Globals, Instrument, Mark, Order
from node.stf.haircut import collect_fees
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


def validate_order(state: State, now: int, sender: bytes, tx: PlaceOrder) -> tuple[Instrument, Mark, Account]:
    """Apply rule 1 (module docstring) or raise ``TxFailure``; returns what matching needs."""
    if tx.side not in (Side.BUY, Side.SELL):
        raise TxFailure(FailureCode.BAD_SIDE, f"side {tx.side}")
    if tx.time_in_force not in TimeInForce._value2member_map_:
        raise TxFailure(FailureCode.BAD_TIME_IN_FORCE, f"time in force {tx.time_in_force}")
    inst: Instrument | None = state.get(keys.instrument(tx.instrument_id))
    if inst is None:
        raise TxFailure(FailureCode.UNKNOWN_INSTRUMENT, f"instrument {tx.instrument_id}")
    if now >= inst.expiry:
        raise TxFailure(FailureCode.INSTRUMENT_EXPIRED, f"instrument {tx.instrument_id} expired")
    if tx.expiry and tx.expiry < now:
        raise TxFailure(FailureCode.ORDER_EXPIRED, f"order expiry {tx.expiry} < block time {now}")
    if not 0 < tx.price_e6 <= MAX_PRICE_E6:
        raise TxFailure(FailureCode.PRICE_OUT_OF_RANGE, f"price {tx.price_e6}")
    if tx.price_e6 % inst.tick_size_e6:
        raise TxFailure(FailureCode.PRICE_OFF_TICK, f"price {tx.price_e6} not a multiple of tick {inst.tick_size_e6}")
    if tx.size_e6 < inst.min_size_e6:
        raise TxFailure(FailureCode.SIZE_BELOW_MINIMUM, f"size {tx.size_e6} < minimum {inst.min_size_e6}")
    if tx.size_e6 > MAX_SIZE_E6:
        raise TxFailure(FailureCode.FIELD_OUT_OF_RANGE, f"size {tx.size_e6}")
    if tx.size_e6 % inst.min_size_e6:
        raise TxFailure(FailureCode.SIZE_OFF_STEP, f"size {tx.size_e6} not a multiple of {inst.min_size_e6}")
    mark: Mark | None = state.get(keys.mark(tx.instrument_id))
    if mark is None:
        raise TxFailure(FailureCode.NO_ORACLE_PRICE, f"no mark for instrument {tx.instrument_id} yet")
    account = accounts.load(state, sender)
    if tx.reduce_only:
        position = account.position(tx.instrument_id)
        reducible = -position if tx.side == Side.BUY else position
        if tx.size_e6 > reducible:
            raise TxFailure(
                FailureCode.REDUCE_ONLY_WOULD_INCREASE,
                f"reduce-only size {tx.size_e6} exceeds reducible position {max(reducible, 0)}",
            )
    if tx.client_order_id and state.get(keys.client_order(sender, tx.client_order_id)) is not None:
        raise TxFailure(FailureCode.DUPLICATE_CLIENT_ORDER_ID, f"client order id {tx.client_order_id} is open")
    if tx.time_in_force in _RESTING_TIF and len(account.open_orders) >= MAX_OPEN_ORDERS:
        raise TxFailure(FailureCode.TOO_MANY_OPEN_ORDERS, f"{MAX_OPEN_ORDERS} orders already open")
    if tx.time_in_force == TimeInForce.POST_ONLY:
        best = inst.best(1 - tx.side)
        if best and book.crosses(tx.side, tx.price_e6, best):
            raise TxFailure(FailureCode.POST_ONLY_WOULD_CROSS, f"best opposite price {best}")
    return inst, mark, account


def fill_fee(size_e6: int, price_e6: int, index_e6: int, fee_ppm: int, cap_ppm: int) -> int:
    """min(fee_ppm x index, cap_ppm x price) x size, collateral units e6, rounded down.

    Rounded down so that the fees a resting order pays, however many fills it takes, never
    exceed ``min(maker fee x index, cap x price) x its size``: what its owner holds back
    for them (``margin.py``).
    """
    return min(size_e6 * index_e6 * fee_ppm, size_e6 * price_e6 * cap_ppm) // (E6 * PPM)


def premium_e6(price_e6: int, size_e6: int, taker_side: int) -> int:
    """Premium of a fill, ``price x size`` rounded in the maker's favour: up when the maker
    sells, down when it buys (so a resting order's cash never falls short of its bound)."""
    if taker_side == Side.BUY:
        return mul_div_up(price_e6, size_e6, E6)
    return mul_div_down(price_e6, size_e6, E6)


def _reducible(state: State, order: Order) -> int:
    """How much of a reduce-only order's side would still reduce its owner's position."""
    position = accounts.load(state, order.owner).position(order.instrument_id)
    return max(-position if order.side == Side.BUY else position, 0)


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
