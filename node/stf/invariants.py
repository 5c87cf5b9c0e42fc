"""Checks of the STF's invariants over a state, for tests and for a node's self-checks.

Each function raises ``InvariantViolation`` with a message that says what is wrong.
"""

from __future__ import annotations

from typing import Iterable

from node.stf import accounts, book, keys
from node.stf.haircut import LOSS_INDEX_ONE
from node.stf.records import Account, Globals, Instrument, Order, OrderTotals, SettlementPrice
from node.stf.state import State


class InvariantViolation(AssertionError):
    """The state broke one of the STF's invariants."""


def check_book(state: State, instrument_id: int) -> None:
    """Levels sorted and doubly linked, FIFO links consistent, sizes add up, book not crossed."""
    inst: Instrument = state.get(keys.instrument(instrument_id))
    for side in (book.BUY, book.SELL):
        previous_price = 0
        for price, level in book.side_levels(state, instrument_id, side):
            if level.better_e6 != previous_price:
                raise InvariantViolation(f"inst {instrument_id} side {side}: level {price} back-link {level.better_e6}")
            if previous_price and not book.is_better(side, previous_price, price):
                raise InvariantViolation(f"inst {instrument_id} side {side}: levels out of order at {price}")
            orders = book.level_orders(state, instrument_id, side, price)
            if not orders:
                raise InvariantViolation(f"inst {instrument_id} side {side}: empty level {price}")
            total = 0
            previous_id = 0
            for order_id, order in orders:
                if order.prev_id != previous_id or order.price_e6 != price or order.side != side:
                    raise InvariantViolation(f"order {order_id} badly linked in level {price}")
                if order.remaining_e6 <= 0:
                    raise InvariantViolation(f"order {order_id} rests with size {order.remaining_e6}")
                if previous_id and order_id <= previous_id:
                    raise InvariantViolation(f"level {price}: FIFO not in time order at order {order_id}")
                total += order.remaining_e6
                previous_id = order_id
            if level.tail_order_id != previous_id or level.total_size_e6 != total:
                raise InvariantViolation(f"level {price}: tail or total size wrong")
            previous_price = price
    if inst.best_bid_e6 and inst.best_ask_e6 and inst.best_bid_e6 >= inst.best_ask_e6:
        raise InvariantViolation(f"inst {instrument_id} crossed: bid {inst.best_bid_e6} >= ask {inst.best_ask_e6}")


def check_accounts(state: State, addresses: Iterable[bytes]) -> None:
    """Open-order lists match the orders' owners and the order totals their sums; balances
    non-negative; positions non-zero."""
    for address in addresses:
        account: Account | None = state.get(keys.account(address))
        if account is None:
            continue
        if account.balance_e6 < 0 and (not account.positions or state.get(keys.auction(address)) is None):
            raise InvariantViolation(f"{address.hex()}: negative balance {account.balance_e6} outside liquidation")
        open_orders = []
        for order_id in account.open_orders:
            order: Order | None = state.get(keys.order(order_id))
            if order is None or order.owner != address:
                raise InvariantViolation(f"{address.hex()}: open order {order_id} missing or not owned")
            open_orders.append(order)
        if account.order_totals != _order_totals(open_orders, account.order_totals):
            raise InvariantViolation(f"{address.hex()}: order totals {account.order_totals} do not match its orders")
        if any(size == 0 for _, size in account.positions):
            raise InvariantViolation(f"{address.hex()}: zero position kept")


def _order_totals(orders: list[Order], stored: tuple[OrderTotals, ...]) -> tuple[OrderTotals, ...]:
    """The totals ``orders`` add up to (``records.OrderTotals``), taking the stored price bounds
    where they bound every order's price (the bounds are allowed to be stale, not wrong)."""
    sums: dict[int, list[int]] = {}
    for order in orders:
        t = sums.setdefault(order.instrument_id, [0] * 6)
        base = 0 if order.side == book.BUY else 3
        t[base] += order.remaining_e6
        t[base + 1] += order.price_e6 * order.remaining_e6
    bounds = {t.instrument_id: (t.bid_max_e6, t.ask_min_e6) for t in stored}
    out = []
    for instrument_id in sorted(sums):
        bid_size, bid_notional, _, ask_size, ask_notional, _ = sums[instrument_id]
        bid_max, ask_min = bounds.get(instrument_id, (0, 0))
        prices = [(o.side, o.price_e6) for o in orders if o.instrument_id == instrument_id]
        if bid_size == 0 or any(side == book.BUY and price > bid_max for side, price in prices):
            bid_max = -1  # wrong: makes the comparison fail
        if ask_size == 0 or any(side == book.SELL and price < ask_min for side, price in prices):
            ask_min = -1
        out.append(OrderTotals(instrument_id, bid_size, bid_notional, bid_max if bid_size else 0,
                               ask_size, ask_notional, ask_min if ask_size else 0))
    return tuple(out)


def check_conservation(state: State, addresses: Iterable[bytes]) -> None:
    """Collateral is conserved (``records.Globals``) over the stored balances, and the loss
    index's total of positive balances is exact (``haircut.py``). ``addresses`` must be every account.
    """
    globals_: Globals = state.get(keys.GLOBALS)
    balances = scaled = 0
    for address in addresses:
        account: Account | None = state.get(keys.account(address))
        if account is not None:
            balances += account.balance_e6
            if account.balance_e6 > 0:
                scaled += account.balance_e6 * LOSS_INDEX_ONE // account.loss_index
    in_pool = globals_.settlement_paid_in_e6 - globals_.settlement_paid_out_e6
    held = (balances + globals_.fee_pool_e6 + globals_.insurance_fund_e6 + in_pool
            - globals_.haircut_due_e6 - globals_.unbacked_loss_e6)
    expected = globals_.total_deposited_e6 - globals_.total_withdrawn_e6
    if held != expected:
        raise InvariantViolation(f"collateral not conserved: held {held} != deposited - withdrawn {expected}")
    if scaled != globals_.scaled_positive_e6:
        raise InvariantViolation(f"scaled positive balances {scaled} != Globals {globals_.scaled_positive_e6}")


def claims_e6(state: State, addresses: Iterable[bytes]) -> int:
    """Every claim on the collateral the portal holds, collateral units e6:

    - each account's cash as the STF reads it (``accounts.load``: cut by socialised loss).
      Negative cash (an account under liquidation) is a debt to the system and counts
      negatively: its positions still back it until its close-out covers what is left;
    - the fee pool and the insurance fund;
    - the settlement pool, ``paid in - paid out``: cash owed to longs not settled yet
      (negative while longs were paid before the shorts paid in: a debt of those shorts).

    A pending withdrawal is debited on L2 and counted in ``total_withdrawn_e6``: it is a
    claim on exactly the amount the portal keeps for it, so it leaves both sides.
    """
    globals_: Globals = state.get(keys.GLOBALS)
    balances = sum(accounts.load(state, address).balance_e6 for address in addresses)
    in_pool = globals_.settlement_paid_in_e6 - globals_.settlement_paid_out_e6
    return balances + globals_.fee_pool_e6 + globals_.insurance_fund_e6 + in_pool


def check_claims(state: State, addresses: Iterable[bytes]) -> None:
    """Claims (``claims_e6``) never exceed deposits minus withdrawals, but for loss no
    positive balance could bear (``Globals.unbacked_loss_e6``, see ``haircut.py``).
    ``addresses`` must be every account.
    """
    globals_: Globals = state.get(keys.GLOBALS)
    claims = claims_e6(state, addresses)
    assets = globals_.total_deposited_e6 - globals_.total_withdrawn_e6
    if claims > assets + globals_.unbacked_loss_e6:
        raise InvariantViolation(
            f"claims {claims} exceed deposited - withdrawn {assets} (+ unbacked {globals_.unbacked_loss_e6})"
        )


def check_positions_net_zero(state: State, addresses: Iterable[bytes], instrument_ids: Iterable[int]) -> None:
    """Every contract bought was sold: positions on each instrument sum to zero.

    Except on a series whose settlement price is final: its accounts settle one at a time
    (``settlement.py``), so the positions not yet settled need not net to zero.
    """
    totals = {i: 0 for i in instrument_ids}
    for address in addresses:
        account: Account | None = state.get(keys.account(address))
        if account is None:
            continue
        for instrument_id, size in account.positions:
            totals[instrument_id] = totals.get(instrument_id, 0) + size
    for instrument_id, total in totals.items():
        if total and not _settling(state, instrument_id):
            raise InvariantViolation(f"instrument {instrument_id}: positions sum to {total}")


def _settling(state: State, instrument_id: int) -> bool:
    inst: Instrument | None = state.get(keys.instrument(instrument_id))
    if inst is None:
        return False
    price: SettlementPrice | None = state.get(keys.settlement(inst.underlying_id, inst.expiry))
    return price is not None and price.price_e6 > 0
