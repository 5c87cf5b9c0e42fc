"""Resting orders and their owners: rest, fill, cancel one, cancel all.

Keeps four things consistent: the book (``book.py``), the owner's ``open_orders`` list,
its order totals per series (``records.OrderTotals``, what ``margin.py`` backs) and its
client-order-id index.

**Order totals.** Resting an order adds ``remaining`` to its side's size and
``price x remaining`` (e12, exact) to its side's notional; a fill or a removal subtracts
the same terms for the size taken off, so the totals always equal the sums over the open
orders. A side's price bound (``bid_max_e6`` / ``ask_min_e6``) moves only outward when an
order rests and returns to 0 when the side empties. A series' entry disappears when both
sides are empty.

**Series bound.** The series an account holds a position or a resting order on number at
most ``MAX_POSITIONS`` together (``may_hold``), so a resting order's fill never opens a
position too many and a margin check reads at most ``MAX_POSITIONS`` marks.
"""

from __future__ import annotations

from enum import IntEnum

from node.stf import accounts, book, keys
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.params import MAX_POSITIONS
from node.stf.receipts import Receipt
from node.stf.records import Account, ClientOrderIndex, Instrument, Order, OrderTotals
from node.stf.state import State
from node.stf.steps import BODY_PHASE, StepIO, body_step, end_tx, tx_of
from node.stf.txtypes import CancelAll, CancelOrder

_BUY = 0


def may_hold(account: Account, instrument_id: int) -> bool:
    """True if ``account`` may hold a position or a resting order on ``instrument_id``
    without exceeding ``MAX_POSITIONS`` series (see module docstring)."""
    positions, totals = account.positions, account.order_totals
    if len(positions) + len(totals) < MAX_POSITIONS:
        return True
    held = {i for i, _ in positions}
    held.update(t.instrument_id for t in totals)
    return instrument_id in held or len(held) < MAX_POSITIONS


def totals_with(totals: tuple[OrderTotals, ...], order: Order, size_e6: int) -> tuple[OrderTotals, ...]:
    """``totals`` with ``size_e6`` of ``order`` added (``size_e6 > 0``, resting) or taken off (``< 0``)."""
    instrument_id, price = order.instrument_id, order.price_e6
    out = list(totals)
    index = 0
    while index < len(out) and out[index].instrument_id < instrument_id:
        index += 1
    if index == len(out) or out[index].instrument_id != instrument_id:
        out.insert(index, OrderTotals(instrument_id))
    _, bid_size, bid_notional, bid_max, ask_size, ask_notional, ask_min = out[index]
    if order.side == _BUY:
        bid_size += size_e6
        bid_notional += size_e6 * price
        bid_max = max(bid_max, price) if size_e6 > 0 else bid_max if bid_size else 0
    else:
        ask_size += size_e6
        ask_notional += size_e6 * price
        ask_min = min(ask_min or price, price) if size_e6 > 0 else ask_min if ask_size else 0
    if bid_size == 0 and ask_size == 0:
        del out[index]
    else:
        out[index] = OrderTotals(instrument_id, bid_size, bid_notional, bid_max, ask_size, ask_notional, ask_min)
    return tuple(out)


def rest_order(state: State, order_id: int, order: Order) -> None:
    """Put ``order`` on the book and register it with its owner (caller checked the limits)."""
    inst: Instrument = state.get(keys.instrument(order.instrument_id))
    book.append_order(state, order_id, order, inst.best(order.side))
    owner = accounts.load(state, order.owner)
    accounts.store(state, order.owner, owner.with_orders(
        owner.open_orders + (order_id,), totals_with(owner.order_totals, order, order.remaining_e6)))
    if order.client_order_id:
        state.put(keys.client_order(order.owner, order.client_order_id), ClientOrderIndex(order_id))


def remove_order(state: State, order_id: int, order: Order) -> None:
    """Take a resting order off the book and out of its owner's records (fill or cancel)."""
    book.unlink_order(state, order_id, order)
    owner = accounts.load(state, order.owner)
    accounts.store(state, order.owner, owner.with_orders(
        tuple(o for o in owner.open_orders if o != order_id),
        totals_with(owner.order_totals, order, -order.remaining_e6)))
    if order.client_order_id:
        state.delete(keys.client_order(order.owner, order.client_order_id))


def reduce_order(state: State, order_id: int, order: Order, size_e6: int) -> Order:
    """Take ``size_e6`` (< remaining) off a resting order, in the book and its owner's totals."""
    updated = book.reduce_order(state, order_id, order, size_e6)
    owner = accounts.load(state, order.owner)
    accounts.store(state, order.owner, owner.with_orders(
        owner.open_orders, totals_with(owner.order_totals, order, -size_e6)))
    return updated


def cancel_order(state: State, sender: bytes, tx: CancelOrder) -> int:
    """Cancel one of ``sender``'s orders by id, or by client order id when ``order_id`` is 0.

    Returns the cancelled order's id.
    """
    order_id = tx.order_id
    if order_id == 0:
        index = state.get(keys.client_order(sender, tx.client_order_id)) if tx.client_order_id else None
        if index is None:
            raise TxFailure(FailureCode.UNKNOWN_ORDER, f"no open order with client id {tx.client_order_id}")
        order_id = index.order_id
    order: Order | None = state.get(keys.order(order_id))
    if order is None:
        raise TxFailure(FailureCode.UNKNOWN_ORDER, f"order {order_id} is not open")
    if order.owner != sender:
        raise TxFailure(FailureCode.NOT_ORDER_OWNER, f"order {order_id} belongs to another account")
    remove_order(state, order_id, order)
    return order_id


class CancelPhase(IntEnum):
    """The steps of ``CancelAll``: one resting order each."""

    CANCEL_ALL = 80


@body_step(CancelPhase.CANCEL_ALL)
def cancel_all_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``CancelAll``: cancel the sender's open orders (on one instrument, or all when 0), one
    per step, in the order of the account's ``open_orders``. Registers ``(index, count)``: the
    next position in ``open_orders`` to look at and the orders cancelled so far. A step reads
    the account and one order and writes what ``remove_order`` writes; at most
    ``MAX_OPEN_ORDERS`` steps. The receipt says how many were cancelled."""
    instrument_id = tx_of(cursor).body.instrument_id
    index, count = cursor.regs or (0, 0)
    open_orders = accounts.load(state, cursor.sender).open_orders
    if index < len(open_orders):
        order_id = open_orders[index]
        order: Order = state.get(keys.order(order_id))
        if instrument_id and order.instrument_id != instrument_id:
            index += 1
        else:
            remove_order(state, order_id, order)
            open_orders = accounts.load(state, cursor.sender).open_orders
            count += 1
    if index >= len(open_orders):
        return end_tx(state, cursor, io, Receipt(cursor.tx_hash, FailureCode.OK, detail=f"{count} orders cancelled"))
    return cursor._replace(regs=(index, count))


BODY_PHASE[CancelAll] = CancelPhase.CANCEL_ALL
