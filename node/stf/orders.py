"""Resting orders and their owners: rest, cancel one, cancel all.

Keeps three things consistent: the book (``book.py``), the owner's ``open_orders`` list,
and the owner's client-order-id index.
"""

from __future__ import annotations

from node.stf import accounts, book, keys
from node.stf.errors import FailureCode, TxFailure
from node.stf.records import ClientOrderIndex, Instrument, Order
from node.stf.state import State
from node.stf.txtypes import CancelAll, CancelOrder


def rest_order(state: State, order_id: int, order: Order) -> None:
    """Put ``order`` on the book and register it with its owner (caller checked the limits)."""
    inst: Instrument = state.get(keys.instrument(order.instrument_id))
    book.append_order(state, order_id, order, inst.best(order.side))
    owner = accounts.load(state, order.owner)
    accounts.store(state, order.owner, accounts.with_open_order(owner, order_id))
    if order.client_order_id:
        state.put(keys.client_order(order.owner, order.client_order_id), ClientOrderIndex(order_id))


def remove_order(state: State, order_id: int, order: Order) -> None:
    """Take a resting order off the book and out of its owner's records (fill or cancel)."""
    book.unlink_order(state, order_id, order)
    owner = accounts.load(state, order.owner)
    accounts.store(state, order.owner, accounts.without_open_order(owner, order_id))
    if order.client_order_id:
        state.delete(keys.client_order(order.owner, order.client_order_id))


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


def cancel_all(state: State, sender: bytes, tx: CancelAll) -> int:
    """Cancel all of ``sender``'s open orders (on one instrument, or all when 0). Returns the count.

    Bounded by ``MAX_OPEN_ORDERS``.
    """
    owner = accounts.load(state, sender)
    cancelled = 0
    for order_id in owner.open_orders:
        order: Order = state.get(keys.order(order_id))
        if tx.instrument_id and order.instrument_id != tx.instrument_id:
            continue
        remove_order(state, order_id, order)
        cancelled += 1
    return cancelled
