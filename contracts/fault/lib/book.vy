# pragma version 0.4.3
"""
@title book
@notice The order book as committed state: twin of `node/stf/book.py` (sorted price levels
        as a doubly linked list from the best price outwards, a FIFO of orders per level).
@dev Prices and sizes e6. `find_better_neighbour` does not walk the book: Python finds the
     level immediately better than a new one from the state's level-key cache (not in the
     state root), so on L1 the proof carries it as advice (`hint`, a price, 0 for none) and
     this module checks it against the linked list: a non-zero hint must be an existing
     level strictly better than the new price whose `worse_e6` is 0 or worse than it; 0 is
     accepted only when the side is empty or the new price beats the best. The levels of a
     side being a sorted linked list (a book invariant of every reachable state), exactly
     one hint passes: the level Python finds. Anything else reverts "book: ...".
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.matching as matching

uses: state


@internal
def _set_best(instrument_id: uint256, side: uint256, price_e6: uint256):
    """
    @notice Twin of node/stf/book.py::_set_best.
    """
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(instrument_id)
    assert found, "book: instrument missing"
    if side == matching.BUY:
        inst.best_bid_e6 = price_e6
    else:
        inst.best_ask_e6 = price_e6
    state.put_instrument(instrument_id, inst)


@internal
def _level(instrument_id: uint256, side: uint256, price_e6: uint256) -> records.Level:
    found: bool = False
    level: records.Level = empty(records.Level)
    found, level = state.get_level(instrument_id, side, price_e6)
    assert found, "book: level missing"
    return level


@internal
def _order(order_id: uint256) -> records.Order:
    found: bool = False
    order: records.Order = empty(records.Order)
    found, order = state.get_order(order_id)
    assert found, "book: order missing"
    return order


@internal
def find_better_neighbour(instrument_id: uint256, side: uint256, price_e6: uint256, best_e6: uint256,
                          hint: uint256) -> uint256:
    """
    @notice Twin of node/stf/book.py::find_better_neighbour: the price of the existing level
            immediately better than `price_e6` (0 if none), given as `hint` and checked
            (module docstring). `price_e6` is not a level.
    """
    if best_e6 == 0 or matching.is_better(side, price_e6, best_e6):
        assert hint == 0, "book: bad neighbour hint (none is better)"
        return 0
    assert hint != 0 and matching.is_better(side, hint, price_e6), "book: bad neighbour hint (not better)"
    found: bool = False
    level: records.Level = empty(records.Level)
    found, level = state.get_level(instrument_id, side, hint)
    assert found, "book: bad neighbour hint (no such level)"
    assert level.worse_e6 == 0 or matching.is_better(side, price_e6, level.worse_e6), \
        "book: bad neighbour hint (not the nearest)"
    return hint


@internal
def append_order(order_id: uint256, order: records.Order, best_e6: uint256, hint: uint256):
    """
    @notice Twin of node/stf/book.py::append_order: rest `order` (holding its remaining
            size) at the tail of its level, creating the level between its neighbours (the
            better one checked from `hint`) and moving the best pointer if needed.
    """
    inst_id: uint256 = order.instrument_id
    side: uint256 = order.side
    price: uint256 = order.price_e6
    found: bool = False
    level: records.Level = empty(records.Level)
    found, level = state.get_level(inst_id, side, price)
    new: records.Order = order
    if found:
        tail_id: uint256 = level.tail_order_id
        tail: records.Order = self._order(tail_id)
        tail.next_id = order_id
        state.put_order(tail_id, tail)
        new.prev_id = tail_id
        new.next_id = 0
        state.put_order(order_id, new)
        level.tail_order_id = order_id
        level.total_size_e6 += order.remaining_e6
        state.put_level(inst_id, side, price, level)
        return
    better: uint256 = self.find_better_neighbour(inst_id, side, price, best_e6, hint)
    worse: uint256 = 0
    if better == 0:
        worse = best_e6
        self._set_best(inst_id, side, price)
    else:
        better_level: records.Level = self._level(inst_id, side, better)
        worse = better_level.worse_e6
        better_level.worse_e6 = price
        state.put_level(inst_id, side, better, better_level)
    if worse != 0:
        worse_level: records.Level = self._level(inst_id, side, worse)
        assert worse_level.better_e6 == better, "book: corrupted links"
        worse_level.better_e6 = price
        state.put_level(inst_id, side, worse, worse_level)
    state.put_level(inst_id, side, price, records.Level(
        better_e6=better, worse_e6=worse, head_order_id=order_id, tail_order_id=order_id,
        total_size_e6=order.remaining_e6,
    ))
    new.prev_id = 0
    new.next_id = 0
    state.put_order(order_id, new)


@internal
def unlink_order(order_id: uint256, order: records.Order):
    """
    @notice Twin of node/stf/book.py::unlink_order: take `order` out of its level (deleting
            the level, and unlinking it from its neighbours, if it empties) and delete it.
    """
    inst_id: uint256 = order.instrument_id
    side: uint256 = order.side
    price: uint256 = order.price_e6
    level: records.Level = self._level(inst_id, side, price)
    if order.prev_id != 0:
        prev: records.Order = self._order(order.prev_id)
        prev.next_id = order.next_id
        state.put_order(order.prev_id, prev)
    if order.next_id != 0:
        nxt: records.Order = self._order(order.next_id)
        nxt.prev_id = order.prev_id
        state.put_order(order.next_id, nxt)
    state.delete_order(order_id)
    head: uint256 = level.head_order_id
    if head == order_id:
        head = order.next_id
    tail: uint256 = level.tail_order_id
    if tail == order_id:
        tail = order.prev_id
    if head != 0:
        level.head_order_id = head
        level.tail_order_id = tail
        level.total_size_e6 -= order.remaining_e6
        state.put_level(inst_id, side, price, level)
        return
    state.delete_level(inst_id, side, price)
    if level.better_e6 == 0:
        self._set_best(inst_id, side, level.worse_e6)
    else:
        better: records.Level = self._level(inst_id, side, level.better_e6)
        better.worse_e6 = level.worse_e6
        state.put_level(inst_id, side, level.better_e6, better)
    if level.worse_e6 != 0:
        worse: records.Level = self._level(inst_id, side, level.worse_e6)
        worse.better_e6 = level.better_e6
        state.put_level(inst_id, side, level.worse_e6, worse)


@internal
def reduce_order(order_id: uint256, order: records.Order, size_e6: uint256):
    """
    @notice Twin of node/stf/book.py::reduce_order: take `size_e6` (< remaining) off a
            resting order and its level's total.
    """
    level: records.Level = self._level(order.instrument_id, order.side, order.price_e6)
    updated: records.Order = order
    updated.remaining_e6 -= size_e6
    state.put_order(order_id, updated)
    level.total_size_e6 -= size_e6
    state.put_level(order.instrument_id, order.side, order.price_e6, level)
