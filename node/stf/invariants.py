"""Checks of the STF's invariants over a state, for tests and for a node's self-checks.

Each function raises ``InvariantViolation`` with a message that says what is wrong.
"""

from __future__ import annotations

from typing import Iterable

from node.stf import book, keys
from node.stf.records import Account, Globals, Instrument, Order, SettlementPrice
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
    """Open-order lists match the orders' owners; balances non-negative; positions non-zero."""
    for address in addresses:
        account: Account | None = state.get(keys.account(address))
        if account is None:
            continue
        if account.balance_e6 < 0 and (not account.positions or state.get(keys.auction(address)) is None):
            raise InvariantViolation(f"{address.hex()}: negative balance {account.balance_e6} outside liquidation")
        for order_id in account.open_orders:
            order: Order | None = state.get(keys.order(order_id))
            if order is None or order.owner != address:
                raise InvariantViolation(f"{address.hex()}: open order {order_id} missing or not owned")
        if any(size == 0 for _, size in account.positions):
            raise InvariantViolation(f"{address.hex()}: zero position kept")


def check_conservation(state: State, addresses: Iterable[bytes]) -> None:
    """Collateral is conserved (``records.Globals``); ``addresses`` must be every account."""
    globals_: Globals = state.get(keys.GLOBALS)
    balances = 0
    for address in addresses:
        account: Account | None = state.get(keys.account(address))
        if account is not None:
            balances += account.balance_e6
    in_pool = globals_.settlement_paid_in_e6 - globals_.settlement_paid_out_e6
    held = balances + globals_.fee_pool_e6 + globals_.insurance_fund_e6 + in_pool - globals_.socialised_loss_e6
    expected = globals_.total_deposited_e6 - globals_.total_withdrawn_e6
    if held != expected:
        raise InvariantViolation(f"collateral not conserved: held {held} != deposited - withdrawn {expected}")


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
