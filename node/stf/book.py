"""The order book as committed state: sorted price levels, a FIFO of orders per level.

Layout (keys in ``keys.py``), per instrument and side:

- ``Instrument.best_bid_e6`` / ``best_ask_e6``: the best level's price (0 = side empty);
- ``Level`` records form a doubly linked list sorted from the best price outwards
  (``better_e6`` / ``worse_e6``), so every insert is checked against its two neighbours;
- each level holds a doubly linked FIFO of ``Order`` records (``head`` = oldest, fills first).

Invariants, each checkable from a witness of the records involved: a level's neighbours
point back at it; better prices are strictly better; a level's ``total_size_e6`` equals the
sum of its orders' remaining sizes; the best pointer is the first level; bids < asks.

Finding where a new level goes uses the state's cache of level keys as a hint, then
validates the hint against the neighbouring records (walking forward if the hint is short),
so the cache can never change a result.
"""

from __future__ import annotations

from node.stf import keys
from node.stf.records import Instrument, Level, Order
from node.stf.state import State

BUY = 0
SELL = 1


class BookCorrupted(AssertionError):
    """A book invariant failed while reading state: a bug, never a trader's doing."""


def is_better(side: int, price_a: int, price_b: int) -> bool:
    """True if ``price_a`` ranks strictly ahead of ``price_b`` on ``side``."""
    return price_a > price_b if side == BUY else price_a < price_b


def crosses(taker_side: int, taker_price: int, maker_price: int) -> bool:
    """True if a taker at ``taker_price`` trades with a resting order at ``maker_price``."""
    return maker_price <= taker_price if taker_side == BUY else maker_price >= taker_price


def _set_best(state: State, instrument_id: int, side: int, price_e6: int) -> None:
    key = keys.instrument(instrument_id)
    inst: Instrument = state.get(key)
    state.put(key, inst.with_best(side, price_e6))


def find_better_neighbour(state: State, instrument_id: int, side: int, price_e6: int, best_e6: int) -> int:
    """Price of the existing level immediately better than ``price_e6`` (0 if none).

    ``price_e6`` must not itself be a level. Uses the level-key cache as a hint, then walks
    forward from it along ``worse_e6`` links until the next level is worse than ``price_e6``.
    """
    if best_e6 == 0 or is_better(side, price_e6, best_e6):
        return 0
    group = keys.level_prefix(instrument_id, side)
    target = keys.level(instrument_id, side, price_e6)
    candidates = state.ordered_keys(group)
    index = candidates.bisect_left(target)
    hint = keys.price_of_level_key(candidates[index - 1]) if index > 0 else best_e6
    if state.get(keys.level(instrument_id, side, hint)) is None or is_better(side, price_e6, hint):
        hint = best_e6  # stale hint: start from the best level
    current = hint
    while True:
        level: Level | None = state.get(keys.level(instrument_id, side, current))
        if level is None:
            raise BookCorrupted(f"level {current} missing on instrument {instrument_id}")
        if level.worse_e6 == 0 or is_better(side, price_e6, level.worse_e6):
            return current
        current = level.worse_e6


def append_order(state: State, order_id: int, order: Order, best_e6: int) -> None:
    """Rest ``order`` (already holding its remaining size) at the tail of its price level.

    ``best_e6`` is the current best price on the order's side (0 = empty). Creates the
    level if needed, linking it between its neighbours and moving the best pointer.
    """
    inst_id, side, price = order.instrument_id, order.side, order.price_e6
    level_key = keys.level(inst_id, side, price)
    level: Level | None = state.get(level_key)
    if level is not None:
        tail_id = level.tail_order_id
        tail: Order = state.get(keys.order(tail_id))
        state.put(keys.order(tail_id), tail.with_links(tail.prev_id, order_id))
        state.put(keys.order(order_id), order.with_links(tail_id, 0))
        total = level.total_size_e6 + order.remaining_e6
        state.put(level_key, Level(level.better_e6, level.worse_e6, level.head_order_id, order_id, total))
        return
    better = find_better_neighbour(state, inst_id, side, price, best_e6)
    if better == 0:
        worse = best_e6
        _set_best(state, inst_id, side, price)
    else:
        better_level: Level = state.get(keys.level(inst_id, side, better))
        worse = better_level.worse_e6
        state.put(keys.level(inst_id, side, better), better_level.with_neighbours(better_level.better_e6, price))
    if worse != 0:
        worse_level: Level = state.get(keys.level(inst_id, side, worse))
        if worse_level.better_e6 != better:
            raise BookCorrupted(f"level {worse} links to {worse_level.better_e6}, expected {better}")
        state.put(keys.level(inst_id, side, worse), worse_level.with_neighbours(price, worse_level.worse_e6))
    state.put(level_key, Level(better, worse, order_id, order_id, order.remaining_e6))
    state.put(keys.order(order_id), order.with_links(0, 0))


def unlink_order(state: State, order_id: int, order: Order) -> None:
    """Take ``order`` out of its level (deleting the level if it empties) and delete it."""
    inst_id, side, price = order.instrument_id, order.side, order.price_e6
    level_key = keys.level(inst_id, side, price)
    level: Level = state.get(level_key)
    if order.prev_id:
        prev: Order = state.get(keys.order(order.prev_id))
        state.put(keys.order(order.prev_id), prev.with_links(prev.prev_id, order.next_id))
    if order.next_id:
        nxt: Order = state.get(keys.order(order.next_id))
        state.put(keys.order(order.next_id), nxt.with_links(order.prev_id, nxt.next_id))
    state.delete(keys.order(order_id))
    head = order.next_id if level.head_order_id == order_id else level.head_order_id
    tail = order.prev_id if level.tail_order_id == order_id else level.tail_order_id
    if head != 0:
        total = level.total_size_e6 - order.remaining_e6
        state.put(level_key, Level(level.better_e6, level.worse_e6, head, tail, total))
        return
    # The level is empty: unlink it from its neighbours.
    state.delete(level_key)
    if level.better_e6 == 0:
        _set_best(state, inst_id, side, level.worse_e6)
    else:
        better: Level = state.get(keys.level(inst_id, side, level.better_e6))
        state.put(keys.level(inst_id, side, level.better_e6), better.with_neighbours(better.better_e6, level.worse_e6))
    if level.worse_e6 != 0:
        worse: Level = state.get(keys.level(inst_id, side, level.worse_e6))
        state.put(keys.level(inst_id, side, level.worse_e6), worse.with_neighbours(level.better_e6, worse.worse_e6))


def reduce_order(state: State, order_id: int, order: Order, size_e6: int) -> Order:
    """Reduce a resting order's remaining size by ``size_e6`` (< remaining); returns the new order."""
    level_key = keys.level(order.instrument_id, order.side, order.price_e6)
    level: Level = state.get(level_key)
    updated = order.with_remaining(order.remaining_e6 - size_e6)
    state.put(keys.order(order_id), updated)
    total = level.total_size_e6 - size_e6
    state.put(level_key, Level(level.better_e6, level.worse_e6, level.head_order_id, level.tail_order_id, total))
    return updated


def level_orders(state: State, instrument_id: int, side: int, price_e6: int) -> list[tuple[int, Order]]:
    """The orders of one level in FIFO order (for queries and invariant checks)."""
    level: Level | None = state.get(keys.level(instrument_id, side, price_e6))
    out: list[tuple[int, Order]] = []
    order_id = 0 if level is None else level.head_order_id
    while order_id:
        order: Order = state.get(keys.order(order_id))
        out.append((order_id, order))
        order_id = order.next_id
    return out


def side_levels(state: State, instrument_id: int, side: int, limit: int | None = None) -> list[tuple[int, Level]]:
    """The levels of one side, best first, at most ``limit`` (for queries and invariant checks)."""
    inst: Instrument = state.get(keys.instrument(instrument_id))
    out: list[tuple[int, Level]] = []
    price = inst.best(side)
    while price and (limit is None or len(out) < limit):
        level: Level = state.get(keys.level(instrument_id, side, price))
        out.append((price, level))
        price = level.worse_e6
    return out
