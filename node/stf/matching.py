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

Steps (``PlacePhase``, phases 20-29; ``steps.py`` explains checkpoints and sub-machine calls).
Each step touches one resting order at most; margin checks run as ``margin_steps`` calls:

- ``PLACE``: rule 1, the checkpoint ``saved[0]``, then as ``MATCH``. The new order id is
  read here and taken (``Globals.next_order_id``) by the step that ends the transaction.
- ``MATCH``: the head of the best crossing level (rule 2). A maker removed on the way (rule 3,
  including one that would hold a position too many) is this step's only work. A fill takes
  the checkpoint ``saved[1]``, writes premium, fees, positions and the order (rule 4), and
  calls the maker's ``INITIAL`` check. When matching is over: rule 6 (the remainder rests
  after taking ``saved[1]`` and calls the sender's ``INITIAL`` check, or the receipt).
- ``MAKER_CHECKED``: failing, restore ``saved[1]`` and ``DROP_MAKER`` (remove it, charge its
  fee); else call the taker's ``INITIAL`` check.
- ``TAKER_CHECKED``: met, the fill stands (``saved[1]`` dropped): end recovered auctions
  (``AUCTIONS``, a ``SUMMARY`` call per account in one) and record the fill. Else call the
  taker's ``BACKING`` after the fill (``TAKER_AFTER``), restore ``saved[1]`` and call its
  ``BACKING`` before (``TAKER_BEFORE``): if the fill strictly reduces risk it is written
  again (the same writes on the same state), else matching stops (rule 5). The backing
  before is taken only on this rare path, not before every fill.
- ``REST_CHECKED``: the remainder rests, or the transaction fails (no fill), or ``saved[1]``
  is restored and ``FINISH`` ends it with the code.

Registers: ``(order id, remaining, fills, removals, may hold, stop code)``, then, while a fill
is pending, ``(maker order id, maker, price, size, capped, taker fee, maker fee)`` (see
``_B`` / ``_BP``). The receipt's fills and cancelled orders are collected in ``StepIO``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from node.stf import accounts, book, keys, margin
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, PPM_DENOMINATOR as PPM, mul_div_down, mul_div_up
from node.stf.haircut import collect_fees
from node.stf.margin_steps import Query, address_int, call_margin, int_address
from node.stf.orders import may_hold, reduce_order, remove_order, rest_order
from node.stf.params import MAX_MATCH_REMOVALS, MAX_MATCH_STEPS, MAX_OPEN_ORDERS, MAX_PRICE_E6, MAX_SIZE_E6
from node.stf.receipts import Fill, Receipt
from node.stf.records import Account, Config, Instrument, Mark, Order
from node.stf.state import State
from node.stf.steps import (
    BODY_PHASE,
    StepIO,
    begin_body,
    body_step,
    checkpoint_push,
    end_tx,
    goto,
    restore_then,
    tx_of,
)
from node.stf.txtypes import PlaceOrder, Side, TimeInForce

_RESTING_TIF = (TimeInForce.GTC, TimeInForce.POST_ONLY)


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




# -- The steps (module docstring, "Steps") ------------------------------------------------

# Registers. ``B``, kept by every phase: the order id, the size still to fill, the fills and
# removals so far, whether the sender may hold the series (``orders.may_hold`` at rule 1:
# 0 or 1) and the taker's stop code (rule 5; 0 while matching goes on).
_ORDER_ID, _REMAINING, _FILLS, _REMOVALS, _MAY_HOLD, _STOP = range(6)
_B = 6
# ``P``, the pending fill, after ``B``: the maker's order id, its owner (an address as an
# integer), the price, the size, whether a reduce-only maker caps it (0 or 1), the taker's
# and the maker's fee (collateral units e6).
_MAKER_ID, _MAKER, _PRICE, _SIZE, _CAPPED, _TAKER_FEE, _MAKER_FEE = range(_B, _B + 7)
_BP = _B + 7


class PlacePhase(IntEnum):
    """The steps of ``PlaceOrder`` (module docstring, "Steps")."""

    PLACE = 20
    MATCH = 21
    MAKER_CHECKED = 22
    TAKER_CHECKED = 23
    TAKER_AFTER = 24
    TAKER_BEFORE = 25
    AUCTIONS = 26
    DROP_MAKER = 27
    REST_CHECKED = 28
    FINISH = 29


@body_step(PlacePhase.PLACE)
def place_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """Rule 1, then the first ``MATCH``. Reads the instrument, its mark, the sender's
    account and client order id (and ``Globals`` for the next order id), then what that
    ``MATCH`` reads. Takes ``saved[0]`` before writing anything."""
    tx = tx_of(cursor).body
    _, _, account = validate_order(state, cursor.time, cursor.sender, tx)
    order_id = state.get(keys.GLOBALS).next_order_id  # taken by ``_finish``
    regs = (order_id, tx.size_e6, 0, 0, int(may_hold(account, tx.instrument_id)), 0)
    return _match(state, goto(begin_body(state, cursor), PlacePhase.MATCH, regs), io)


@body_step(PlacePhase.MATCH)
def match_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """One resting order (``_match``)."""
    return _match(state, cursor, io)


def _match(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """Rules 2-4 for the head of the best crossing level, or rule 6 when matching is over.

    Either removes the maker (expired, own, reduce-only with nothing to reduce, or one
    position too many: rule 3) and continues at ``MATCH``; or takes ``saved[1]``, writes the
    fill (``_write_fill``) and checks the maker's initial margin, back at ``MAKER_CHECKED``;
    or, the taker's position limit failing, stops (rule 5); or goes on as ``_remainder``.
    Keys: the instrument, the level, the maker's order and account, the taker's account,
    the mark and config (fees), plus what one removal (``orders.remove_order``: the order,
    its neighbour, the level and its two neighbours, the owner's account and client order
    id, ``Globals``) or one fill writes: at most ~16.
    """
    regs = cursor.regs
    tx: PlaceOrder = tx_of(cursor).body
    inst: Instrument = state.get(keys.instrument(tx.instrument_id))
    opposite = 1 - tx.side
    best = inst.best(opposite)
    if (regs[_STOP] or not regs[_REMAINING] or regs[_FILLS] >= MAX_MATCH_STEPS
            or regs[_REMOVALS] >= MAX_MATCH_REMOVALS or best == 0 or not book.crosses(tx.side, tx.price_e6, best)):
        return _remainder(state, cursor, io, tx, best)
    maker_id = state.get(keys.level(tx.instrument_id, opposite, best)).head_order_id
    maker: Order = state.get(keys.order(maker_id))
    if maker.expiry and maker.expiry < cursor.time:
        return _removed(state, cursor, io, maker_id, maker, FailureCode.MAKER_CANCELLED_EXPIRED)
    if maker.owner == cursor.sender:
        return _removed(state, cursor, io, maker_id, maker, FailureCode.SELF_TRADE)
    size = min(regs[_REMAINING], maker.remaining_e6)
    capped = False
    if maker.reduce_only:
        reducible = _reducible(state, maker)
        if reducible == 0:
            return _removed(state, cursor, io, maker_id, maker, FailureCode.REDUCE_ONLY_WOULD_INCREASE)
        if reducible < size:
            size, capped = reducible, True
    signed = size if tx.side == Side.BUY else -size
    # Position limits first (rule 3, rule 5): they depend on positions only, which the
    # fill's order bookkeeping does not change, so they are decided before any write.
    taker_positions, maker_positions = _positions_after(state, cursor.sender, maker, signed)
    if taker_positions is None or not regs[_MAY_HOLD]:
        return _remainder(state, goto(cursor, PlacePhase.MATCH, _with(regs, _STOP, FailureCode.TOO_MANY_POSITIONS)),
                          io, tx, best)
    if maker_positions is None:
        _charge_failed_maker(state, maker_id, maker)
        return _removed_after(cursor, io, maker_id, FailureCode.TOO_MANY_POSITIONS)
    mark: Mark = state.get(keys.mark(tx.instrument_id))
    config: Config = state.get(keys.CONFIG)
    price = maker.price_e6
    taker_fee = fill_fee(size, price, mark.index_e6, config.taker_fee_ppm, config.fee_cap_ppm)
    maker_fee = fill_fee(size, price, mark.index_e6, config.maker_fee_ppm, config.fee_cap_ppm)
    pending = regs[:_B] + (maker_id, address_int(maker.owner), price, size, int(capped), taker_fee, maker_fee)
    cursor = checkpoint_push(state, cursor)
    _write_fill(state, cursor.sender, tx.side, pending, maker, taker_positions, maker_positions)
    return call_margin(cursor, maker.owner, Query.INITIAL, PlacePhase.MAKER_CHECKED, pending)


def _positions_after(state: State, taker: bytes, maker: Order, signed_e6: int) -> tuple[tuple | None, tuple | None]:
    """The taker's and the maker's positions after a fill of ``signed_e6`` (taker's side:
    positive when it buys) against ``maker``; ``None`` for a side that would hold one
    position too many (``accounts.positions_with``)."""
    instrument_id = maker.instrument_id
    return (accounts.positions_with(accounts.load(state, taker).positions, instrument_id, signed_e6),
            accounts.positions_with(accounts.load(state, maker.owner).positions, instrument_id, -signed_e6))


def _with(regs: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
    return regs[:index] + (int(value),) + regs[index + 1:]


def _write_fill(state: State, taker: bytes, taker_side: int, pending: tuple[int, ...], maker: Order,
                taker_positions: tuple[tuple[int, int], ...], maker_positions: tuple[tuple[int, int], ...]) -> None:
    """Rule 4's writes for the fill ``pending`` (registers ``B + P``) against ``maker`` (the
    order as it rests): the order shrinks or leaves the book (when the fill takes all of it
    or a reduce-only cap ends it), premium, fees and positions move, and both fees go to the
    fee pool (``haircut.collect_fees``; the order of fee collections does not change their
    sum). ``taker_positions`` / ``maker_positions``: both sides' positions after the fill
    (``_positions_after``; the order bookkeeping does not change positions). Keys: the
    maker's order (and its neighbour), the level (and its two neighbours when it empties),
    the instrument, both accounts, the maker's client order id, ``Globals``."""
    maker_id, size = pending[_MAKER_ID], pending[_SIZE]
    if pending[_CAPPED] or size == maker.remaining_e6:
        remove_order(state, maker_id, maker)
    else:
        reduce_order(state, maker_id, maker, size)
    premium = premium_e6(pending[_PRICE], size, taker_side)
    signed, taker_cash = (size, -premium) if taker_side == Side.BUY else (-size, premium)
    taker_fee, maker_fee = pending[_TAKER_FEE], pending[_MAKER_FEE]
    taker_before, maker_before = accounts.load(state, taker), accounts.load(state, maker.owner)
    accounts.store(state, taker, accounts.with_balance_delta(
        taker_before.with_positions(taker_positions), taker_cash - taker_fee))
    accounts.store(state, maker.owner, accounts.with_balance_delta(
        maker_before.with_positions(maker_positions), -taker_cash - maker_fee))
    state.put(keys.GLOBALS, collect_fees(state.get(keys.GLOBALS), taker_fee + maker_fee))


def _removed(state: State, cursor: Cursor, io: StepIO, maker_id: int, maker: Order, code: FailureCode) -> Cursor:
    """Rule 3: take ``maker`` off the book, record why, count a removal; next ``MATCH``."""
    remove_order(state, maker_id, maker)
    return _removed_after(cursor, io, maker_id, code)


def _removed_after(cursor: Cursor, io: StepIO, maker_id: int, code: FailureCode) -> Cursor:
    io.cancelled.append((maker_id, code))
    regs = cursor.regs[:_B]
    return goto(cursor, PlacePhase.MATCH, _with(regs, _REMOVALS, regs[_REMOVALS] + 1))


def _charge_failed_maker(state: State, maker_id: int, maker: Order) -> None:
    """Rule 3: remove a maker that failed its check at fill time and charge it the taker fee
    on the order's remaining size (at most its cash), into the fee pool."""
    remove_order(state, maker_id, maker)
    config: Config = state.get(keys.CONFIG)
    index_e6 = state.get(keys.mark(maker.instrument_id)).index_e6
    fee = fill_fee(maker.remaining_e6, maker.price_e6, index_e6, config.taker_fee_ppm, config.fee_cap_ppm)
    owner = accounts.load(state, maker.owner)
    charge = min(fee, max(owner.balance_e6, 0))
    if charge:
        accounts.store(state, maker.owner, accounts.with_balance_delta(owner, -charge))
        state.put(keys.GLOBALS, collect_fees(state.get(keys.GLOBALS), charge))


@body_step(PlacePhase.MAKER_CHECKED)
def maker_checked_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The maker's initial margin after the fill (registers ``B + P + (code,)``): failing,
    restore ``saved[1]`` and go to ``DROP_MAKER``; else check the taker's. No keys."""
    pending, code = cursor.regs[:_BP], cursor.regs[_BP]
    if code != OK:
        return restore_then(cursor, 1, PlacePhase.DROP_MAKER, pending)
    return call_margin(cursor, cursor.sender, Query.INITIAL, PlacePhase.TAKER_CHECKED, pending)


@body_step(PlacePhase.DROP_MAKER)
def drop_maker_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """After restoring the state before the fill: remove the maker that failed its margin and
    charge its fee (rule 3). Keys: what ``orders.remove_order`` touches, the mark, config."""
    maker_id = cursor.regs[_MAKER_ID]
    _charge_failed_maker(state, maker_id, state.get(keys.order(maker_id)))
    return _removed_after(cursor, io, maker_id, FailureCode.MAKER_INSUFFICIENT_MARGIN)


@body_step(PlacePhase.TAKER_CHECKED)
def taker_checked_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The taker's initial margin after the fill (registers ``B + P + (code,)``): met, the
    fill stands (drop ``saved[1]``; as ``AUCTIONS``); else rule 4's exception: take the
    taker's backing after the fill (``TAKER_AFTER``). Keys: as ``AUCTIONS``."""
    pending, code = cursor.regs[:_BP], cursor.regs[_BP]
    if code == OK:
        return _auctions(state, goto(cursor, PlacePhase.AUCTIONS, pending + (0,), saved=cursor.saved[:1]), io)
    return call_margin(cursor, cursor.sender, Query.BACKING, PlacePhase.TAKER_AFTER, pending + (code,))


@body_step(PlacePhase.TAKER_AFTER)
def taker_after_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The taker's backing after the fill (registers ``B + P + (code,) + backing``): keep
    it, restore ``saved[1]`` and take the backing before the fill (``TAKER_BEFORE``). No keys."""
    called = call_margin(cursor, cursor.sender, Query.BACKING, PlacePhase.TAKER_BEFORE, cursor.regs)
    return restore_then(called, 1, called.phase, called.regs)  # restore, then run the call


@body_step(PlacePhase.TAKER_BEFORE)
def taker_before_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The taker's backing before the fill, on the restored state (registers ``B + P +
    (code,) + backing after + backing before``): if the fill strictly reduces risk
    (``margin.risk_reduced``), write it again (``_write_fill``, the same writes
    on the same state) and go on as ``AUCTIONS``; else stop matching with ``code`` (rule 5,
    as ``MATCH``). Keys: as ``_write_fill`` then ``AUCTIONS``, or as ``MATCH``."""
    regs = cursor.regs
    pending, code = regs[:_BP], regs[_BP]
    after, before = margin.Backing(*regs[_BP + 1:_BP + 7]), margin.Backing(*regs[_BP + 7:])
    if margin.risk_reduced(Account(after.cash_e6), before, after):  # reads only the cash after
        tx: PlaceOrder = tx_of(cursor).body
        maker: Order = state.get(keys.order(pending[_MAKER_ID]))
        taker_positions, maker_positions = _positions_after(
            state, cursor.sender, maker, pending[_SIZE] if tx.side == Side.BUY else -pending[_SIZE])
        assert taker_positions is not None and maker_positions is not None  # as when first written
        _write_fill(state, cursor.sender, tx.side, pending, maker, taker_positions, maker_positions)
        return _auctions(state, goto(cursor, PlacePhase.AUCTIONS, pending + (0,)), io)
    return _match(state, goto(cursor, PlacePhase.MATCH, _with(pending[:_B], _STOP, code)), io)


@body_step(PlacePhase.AUCTIONS)
def auctions_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """Back from a margin summary of one side of the fill (``_auctions``)."""
    return _auctions(state, cursor, io)


def _auctions(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The fill stands: end the taker's, then the maker's liquidation auction if the account
    has recovered (``auction.recovered``; its margin summary through ``SUMMARY``, back at
    ``AUCTIONS``), then record the fill and continue at ``MATCH``. Registers ``B + P +
    (party,)`` (0 taker, 1 maker), with the summary of ``party`` after them when back from
    one. Keys: both accounts' auction records and accounts."""
    regs = cursor.regs
    pending, party, summary = regs[:_BP], regs[_BP], regs[_BP + 1:]
    parties = (cursor.sender, int_address(pending[_MAKER]))
    if summary:
        cash, value, maintenance, initial, complete = summary
        if not margin.MarginSummary(cash, value, maintenance, initial, (), bool(complete)).below_maintenance():
            state.delete(keys.auction(parties[party]))  # recovered (``auction.recovered``)
        party += 1
    while party < 2:
        address = parties[party]
        key = keys.auction(address)
        if state.get(key) is not None:
            account = accounts.load(state, address)
            if account.balance_e6 >= 0:
                if account.positions:
                    return call_margin(cursor, address, Query.SUMMARY, PlacePhase.AUCTIONS, pending + (party,))
                state.delete(key)
        party += 1
    tx: PlaceOrder = tx_of(cursor).body
    maker_id, size = pending[_MAKER_ID], pending[_SIZE]
    io.fills.append(Fill(maker_id, parties[1], cursor.sender, tx.instrument_id, tx.side, pending[_PRICE], size,
                         pending[_MAKER_FEE], pending[_TAKER_FEE]))
    if pending[_CAPPED]:
        io.cancelled.append((maker_id, FailureCode.REDUCE_ONLY_WOULD_INCREASE))
    base = pending[:_REMAINING] + (pending[_REMAINING] - size, pending[_FILLS] + 1) + pending[_REMOVALS:_B]
    return goto(cursor, PlacePhase.MATCH, base)


def _remainder(state: State, cursor: Cursor, io: StepIO, tx: PlaceOrder, best: int) -> Cursor:
    """Rule 6, ``best`` the best opposite price now: fail the transaction, or end it with the
    remainder cancelled, or rest the remainder (``orders.rest_order``, after taking
    ``saved[1]``) and check the sender's initial margin with it (``REST_CHECKED``). Keys:
    the sender's account, then what ``rest_order`` touches (the level, its tail order, the
    neighbour levels found from the instrument's best, the new order, the client order id)."""
    regs = cursor.regs[:_B]
    remaining, fills, stop = regs[_REMAINING], regs[_FILLS], regs[_STOP]
    if not remaining:
        return _finish(state, cursor, io, regs, FailureCode.OK, 0)
    if tx.time_in_force == TimeInForce.FOK:
        raise TxFailure(FailureCode.FOK_NOT_FILLABLE, f"only {tx.size_e6 - remaining} of {tx.size_e6} fillable")
    if stop and not fills:
        raise TxFailure(FailureCode(stop), "the first fill would breach the sender's margin")
    if stop:
        code = FailureCode(stop)
    elif tx.time_in_force == TimeInForce.IOC:
        code = FailureCode.NO_LIQUIDITY
    elif best != 0 and book.crosses(tx.side, tx.price_e6, best):
        code = FailureCode.MATCH_LIMIT_REACHED if fills == MAX_MATCH_STEPS else FailureCode.REMOVAL_LIMIT_REACHED
    elif not may_hold(accounts.load(state, cursor.sender), tx.instrument_id):
        if not fills:
            raise TxFailure(FailureCode.TOO_MANY_POSITIONS, _CANNOT_REST)
        code = FailureCode.TOO_MANY_POSITIONS
    else:
        order = Order(cursor.sender, tx.instrument_id, tx.side, tx.price_e6, remaining,
                      tx.reduce_only, tx.client_order_id, tx.expiry, 0, 0)
        cursor = checkpoint_push(state, cursor)
        rest_order(state, regs[_ORDER_ID], order)
        return call_margin(cursor, cursor.sender, Query.INITIAL, PlacePhase.REST_CHECKED, regs)
    return _finish(state, cursor, io, regs, code, 0)


@body_step(PlacePhase.REST_CHECKED)
def rest_checked_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The sender's initial margin with the remainder resting (registers ``B + (code,)``):
    met, the order rests (``_finish``); else, with no fill, the transaction fails with
    ``code``; else restore ``saved[1]`` and ``FINISH`` with ``code``. Keys: ``Globals``."""
    regs, code = cursor.regs[:_B], cursor.regs[_B]
    if code == OK:
        return _finish(state, cursor, io, regs, FailureCode.OK, regs[_REMAINING])
    code = FailureCode(code)
    if not regs[_FILLS]:
        raise TxFailure(code, _CANNOT_REST)
    return restore_then(cursor, 1, PlacePhase.FINISH, regs + (code,))


@body_step(PlacePhase.FINISH)
def finish_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """The receipt of an order whose remainder could not rest (registers ``B + (code,)``).
    Keys: ``Globals``."""
    return _finish(state, cursor, io, cursor.regs[:_B], FailureCode(cursor.regs[_B]), 0)


def _finish(state: State, cursor: Cursor, io: StepIO, regs: tuple[int, ...], remainder_code: FailureCode,
            rested_e6: int) -> Cursor:
    """Take the order id (``Globals.next_order_id``: nothing else allocates one while an order
    is placed, so taking it last gives the same state as taking it first) and end the
    transaction with the receipt."""
    order_id = regs[_ORDER_ID]
    state.put(keys.GLOBALS, state.get(keys.GLOBALS).with_next_order_id(order_id + 1))
    tx: PlaceOrder = tx_of(cursor).body
    return end_tx(state, cursor, io, Receipt(
        cursor.tx_hash, FailureCode.OK, order_id=order_id, filled_e6=tx.size_e6 - regs[_REMAINING],
        rested_e6=rested_e6, remainder_code=remainder_code, fills=tuple(io.fills), cancelled=tuple(io.cancelled)))


OK: Final = int(FailureCode.OK)
_CANNOT_REST: Final = "the account could not back this order resting"
BODY_PHASE[PlaceOrder] = PlacePhase.PLACE
