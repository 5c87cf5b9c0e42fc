# pragma version 0.4.3
"""
@title orders
@notice Resting orders and their owners: twin of `node/stf/orders.py` (`may_hold`,
        `totals_with`, `rest_order`, `remove_order`, `reduce_order`; `cancel_order` is
        `place_steps.cancel`, its removal this `remove_order`). Keeps
        the book (`book.vy`), the owner's `open_orders`, its order totals per series and its
        client-order-id index consistent.
@dev Sizes and prices e6, notionals e12 (exact).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.matching as matching

uses: (state, book, accounts)

MAX_POSITIONS: constant(uint256) = 64  # params.MAX_POSITIONS
MAX_OPEN_ORDERS: constant(uint256) = 128  # params.MAX_OPEN_ORDERS


@internal
@pure
def may_hold(account: records.Account, instrument_id: uint256) -> bool:
    """
    @notice Twin of node/stf/orders.py::may_hold: `account` may hold a position or a resting
            order on `instrument_id` without exceeding MAX_POSITIONS series.
    @dev Both lists are sorted by instrument id: the series held are their merged union.
    """
    n_pos: uint256 = len(account.positions)
    n_tot: uint256 = len(account.order_totals)
    if n_pos + n_tot < MAX_POSITIONS:
        return True
    held: uint256 = 0
    i: uint256 = 0
    j: uint256 = 0
    for _: uint256 in range(2 * MAX_POSITIONS):
        if i == n_pos and j == n_tot:
            break
        a: uint256 = max_value(uint256)
        b: uint256 = max_value(uint256)
        if i < n_pos:
            a = account.positions[i].instrument_id
        if j < n_tot:
            b = account.order_totals[j].instrument_id
        least: uint256 = min(a, b)
        if least == instrument_id:
            return True
        if a == least:
            i += 1
        if b == least:
            j += 1
        held += 1
    return held < MAX_POSITIONS


@internal
@pure
def totals_with(totals: DynArray[records.OrderTotals, MAX_POSITIONS], order: records.Order, adding: bool,
                size_e6: uint256) -> DynArray[records.OrderTotals, MAX_POSITIONS]:
    """
    @notice Twin of node/stf/orders.py::totals_with: `totals` with `size_e6` of `order` added
            (`adding`: it rests) or taken off (a fill or a removal). Python's signed
            `size_e6` is (`adding` ? + : -) `size_e6` here.
    """
    instrument_id: uint256 = order.instrument_id
    price: uint256 = order.price_e6
    out: DynArray[records.OrderTotals, MAX_POSITIONS] = []
    done: bool = False
    for t: records.OrderTotals in totals:
        if not done and t.instrument_id >= instrument_id:
            done = True
            current: records.OrderTotals = t
            if t.instrument_id != instrument_id:
                current = empty(records.OrderTotals)
                current.instrument_id = instrument_id
            current = self._changed(current, order.side, price, adding, size_e6)
            if current.bid_size_e6 != 0 or current.ask_size_e6 != 0:
                out.append(current)
            if t.instrument_id == instrument_id:
                continue
        out.append(t)
    if not done:
        current: records.OrderTotals = empty(records.OrderTotals)
        current.instrument_id = instrument_id
        current = self._changed(current, order.side, price, adding, size_e6)
        if current.bid_size_e6 != 0 or current.ask_size_e6 != 0:
            out.append(current)
    return out


@internal
@pure
def _changed(t: records.OrderTotals, side: uint256, price: uint256, adding: bool,
             size_e6: uint256) -> records.OrderTotals:
    """
    @dev One series' totals after the change (orders.py::totals_with, the middle part).
    """
    out: records.OrderTotals = t
    if side == matching.BUY:
        if adding:
            out.bid_size_e6 += size_e6
            out.bid_notional_e12 += size_e6 * price
            out.bid_max_e6 = max(out.bid_max_e6, price)
        else:
            out.bid_size_e6 -= size_e6
            out.bid_notional_e12 -= size_e6 * price
            if out.bid_size_e6 == 0:
                out.bid_max_e6 = 0
    else:
        if adding:
            out.ask_size_e6 += size_e6
            out.ask_notional_e12 += size_e6 * price
            if out.ask_min_e6 == 0 or price < out.ask_min_e6:
                out.ask_min_e6 = price
        else:
            out.ask_size_e6 -= size_e6
            out.ask_notional_e12 -= size_e6 * price
            if out.ask_size_e6 == 0:
                out.ask_min_e6 = 0
    return out


@internal
def rest_order(order_id: uint256, order: records.Order, hint: uint256):
    """
    @notice Twin of node/stf/orders.py::rest_order: put `order` on the book (`hint`: the
            better neighbour of a new level, `book.find_better_neighbour`) and register it
            with its owner. The caller checked the limits.
    """
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(order.instrument_id)
    assert found, "orders: instrument missing"
    best: uint256 = inst.best_bid_e6
    if order.side != matching.BUY:
        best = inst.best_ask_e6
    book.append_order(order_id, order, best, hint)
    owner: records.Account = accounts.load(order.owner)
    owner.open_orders.append(order_id)
    owner.order_totals = self.totals_with(owner.order_totals, order, True, order.remaining_e6)
    accounts.store(order.owner, owner)
    if order.client_order_id != 0:
        state.put_client_order_index(order.owner, order.client_order_id, records.ClientOrderIndex(order_id=order_id))


@internal
def remove_order(order_id: uint256, order: records.Order):
    """
    @notice Twin of node/stf/orders.py::remove_order: take a resting order off the book and
            out of its owner's records (a fill or a cancel).
    """
    book.unlink_order(order_id, order)
    owner: records.Account = accounts.load(order.owner)
    kept: DynArray[uint256, MAX_OPEN_ORDERS] = []
    for o: uint256 in owner.open_orders:
        if o != order_id:
            kept.append(o)
    owner.open_orders = kept
    owner.order_totals = self.totals_with(owner.order_totals, order, False, order.remaining_e6)
    accounts.store(order.owner, owner)
    if order.client_order_id != 0:
        state.delete_client_order_index(order.owner, order.client_order_id)


@internal
def reduce_order(order_id: uint256, order: records.Order, size_e6: uint256):
    """
    @notice Twin of node/stf/orders.py::reduce_order: take `size_e6` (< remaining) off a
            resting order, in the book and its owner's totals.
    """
    book.reduce_order(order_id, order, size_e6)
    owner: records.Account = accounts.load(order.owner)
    owner.order_totals = self.totals_with(owner.order_totals, order, False, size_e6)
    accounts.store(order.owner, owner)
