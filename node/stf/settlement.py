"""Expiry settlement: the settlement price (a TWAP of the index) and lazy per-account settlement.

**Settlement price.** For each underlying and expiry E, the settlement price is the
time-weighted average of the oracle index over the window ``[E - SETTLEMENT_WINDOW, E]``
(the last 30 minutes before expiry), accumulated in the state
(``records.SettlementPrice`` under ``keys.settlement(underlying, E)``) from the oracle
updates themselves:

- the index path is piecewise constant: each update's index holds until the next update;
- so an update at time ``now`` first integrates the *previous* index over the part of the
  window it covered, ``[max(previous oracle time, E - WINDOW), min(now, E)]``, adding
  ``index x seconds`` to ``index_seconds`` and the seconds to ``seconds`` (exact integers,
  no rounding); only then is the new index stored (``oracle.apply_oracle_update``);
- the first update at or after E fixes the price: ``floor(index_seconds / seconds)``
  (rounded down, collateral units e6 per unit of underlying). The price is final once
  ``price_e6 > 0`` (an index is always positive) and never changes afterwards.

If no update falls inside the window, the index in force when it opened is held over all
of it, so the window is always covered from its start (or from the underlying's first
index, if that came later). If the underlying had no index at all before E, the price is
the first index it gets after E (fixed by the update that follows). Work per oracle update
is bounded by the underlying's ``MAX_INSTRUMENTS_PER_UNDERLYING`` series (at most one
record per distinct expiry is written; one expiry per step, ``accumulate_expiry``).

**Marks after the fix.** Once a series' price is final, its mark is its intrinsic value
at the settlement price, with every scenario P&L and Greek zero: the outcome is known
(``oracle.compute_mark``).

**Settlement, lazily per account.** After the price is fixed, anyone may send ``Settle``
(``txtypes.Settle``) for any account and series; it settles that one position and cancels
that account's resting orders on the series (at most ``MAX_OPEN_ORDERS``, one per step:
``SettlePhase``), so a series with 10,000 holders settles in 10,000 small transactions,
never one giant one. Per
contract the intrinsic value is ``max(price - strike, 0)`` for a call and
``max(strike - price, 0)`` for a put (e6); then

- a long receives ``floor(size x intrinsic / 1e6)`` from the settlement pool
  (``Globals.settlement_paid_out_e6``);
- a short pays ``ceil(|size| x intrinsic / 1e6)`` into it (``Globals.settlement_paid_in_e6``);
- the position is removed.

**Zero-sum.** Positions on a series net to zero, so over a fully settled series
``paid in - paid out`` is only the rounding dust: each short rounds up and each long rounds
down, so it is never negative and below one unit (1e-6) per settled account. Accounts settle
in any order, so the pool (in - out, summed over every series) may be negative for a while
(longs paid before shorts): the shorts' liabilities are already counted in their equity
(their marks are the intrinsic value), and conservation (``records.Globals``) holds at
every step.

**Bad debt.** A short whose cash cannot pay is left with negative cash. If it then holds no
position at all, the deficit is covered by the insurance fund, then the fee pool, then
socialised over every positive balance (``solvency.close_out``; likewise for an account
under liquidation whose last position this was). If it still holds other
positions, they must pay first: the settlement fails with ``INSUFFICIENT_BALANCE`` (the
owner sells or deposits, or liquidators take the positions over once it is below
maintenance), except during a liquidation auction, where negative cash is allowed and the
liquidation covers the deficit when the last position is gone (``liquidation.py``).
A settlement ends the account's auction if the account has recovered (``auction.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Final

from node.stf import accounts, auction, keys
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, div_down, mul_div_down, mul_div_up
from node.stf.margin_steps import Query, call_margin
from node.stf.orders import remove_order
from node.stf.receipts import Receipt
from node.stf.records import Globals, Instrument, Order, SettlementPrice, Underlying
from node.stf.scenarios import intrinsic_e6
from node.stf.solvency import close_out
from node.stf.state import State
from node.stf.steps import BODY_PHASE, StepIO, begin_body, body_step, end_tx, tx_of
from node.stf.txtypes import Settle

SETTLEMENT_WINDOW: Final = 1800  # seconds before expiry averaged into the settlement price
ADDRESS_LENGTH: Final = 20


def accumulate(state: State, underlying_id: int, underlying_before: Underlying, now: int) -> None:
    """Integrate the index in force before an oracle update at ``now`` into every open window.

    ``underlying_before`` is the underlying as it was before the update (its index held
    from its ``oracle_time`` until ``now``): ``accumulate_expiry`` for each distinct expiry
    of its listed series, in ascending order. The stepped oracle update
    (``oracle.oracle_mark_step``) calls ``accumulate_expiry`` series by series instead.
    """
    for expiry in sorted({state.get(keys.instrument(i)).expiry for i in underlying_before.instruments}):
        accumulate_expiry(state, underlying_id, underlying_before, now, expiry)


def accumulate_expiry(state: State, underlying_id: int, underlying_before: Underlying, now: int, expiry: int) -> bool:
    """Integrate the index in force before an oracle update at ``now`` into the window of ``expiry``.

    If its price is not final: add ``index x seconds`` over
    ``[max(oracle_time, E - SETTLEMENT_WINDOW), min(now, E)]`` when that is non-empty, and,
    when ``now >= E``, fix the price (see module docstring). Nothing is done before the
    underlying's first index. Writes only a record that changes (one key read, at most one
    written).

    Returns True when it added seconds without fixing the price (``now < E``): the only case
    where running it again for the same update would change the record again. Once fixed,
    a price is final and a second run does nothing; so a caller that visits an expiry once
    per series only has to remember the expiries for which this returned True.
    """
    index_e6 = underlying_before.index_price_e6
    if index_e6 == 0:
        return False
    start = max(underlying_before.oracle_time, expiry - SETTLEMENT_WINDOW)
    end = min(now, expiry)
    if end <= start and now < expiry:
        return False  # window not open yet: nothing to add, nothing to fix
    key = keys.settlement(underlying_id, expiry)
    record: SettlementPrice | None = state.get(key)
    if record is None:
        record = SettlementPrice()
    elif record.price_e6:
        return False  # final
    if end > start:
        seconds = end - start
        record = SettlementPrice(record.index_seconds + index_e6 * seconds, record.seconds + seconds, 0)
    if now >= expiry:
        price_e6 = div_down(record.index_seconds, record.seconds) if record.seconds else index_e6
        record = replace(record, price_e6=price_e6)
    state.put(key, record)
    return now < expiry


def final_price_e6(state: State, underlying_id: int, expiry: int) -> int:
    """The final settlement price of ``(underlying_id, expiry)`` (e6), or 0 if not fixed yet."""
    record: SettlementPrice | None = state.get(keys.settlement(underlying_id, expiry))
    return 0 if record is None else record.price_e6


@dataclass(frozen=True, slots=True)
class SettlementResult:
    """What one ``Settle`` did.

    ``size_e6``: the position settled (signed contracts e6; 0 if it only had orders).
    ``price_e6``: the settlement price; ``intrinsic_e6``: per contract (collateral units e6).
    ``amount_e6``: cash moved, signed: positive received by a long, negative paid by a short.
    ``cancelled``: resting orders removed, each with ``INSTRUMENT_EXPIRED`` as the reason.
    ``bad_debt_e6``: deficit covered by the insurance fund, the fee pool or socialised.
    """

    size_e6: int
    price_e6: int
    intrinsic_e6: int
    amount_e6: int
    cancelled: tuple[tuple[int, FailureCode], ...]
    bad_debt_e6: int

    @property
    def detail(self) -> str:
        return (
            f"settled {self.size_e6} at {self.price_e6} (intrinsic {self.intrinsic_e6}): "
            f"cash {self.amount_e6:+d}, {len(self.cancelled)} orders cancelled, bad debt {self.bad_debt_e6}"
        )


class SettlePhase(IntEnum):
    """The steps of a ``Settle``: the checks, the account's orders on the series (scanned in
    chunks, removed one per step), the position, the auction's recovery."""

    SETTLE = 60
    SETTLE_SCAN = 61
    SETTLE_POSITION = 62
    SETTLE_RECOVERY = 63


SCAN_CHUNK: Final = 8
"""Open orders a ``SETTLE_SCAN`` step reads: 8 order reads plus one removal (about 9 keys)
plus the account keep a step near 20 keys; ``MAX_OPEN_ORDERS / SCAN_CHUNK`` = 16 steps
scan a full list."""


@body_step(SettlePhase.SETTLE)
def settle_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Settle``, first step: take the checkpoint, check the request.

    Fails with ``BAD_RECIPIENT`` (account not 20 bytes), ``UNKNOWN_INSTRUMENT``,
    ``SETTLEMENT_NOT_READY`` (not expired, or price not fixed yet). Keys: the instrument
    and the settlement record (read). Continues at ``SETTLE_SCAN`` with registers
    ``(0, 0, price_e6)``.
    """
    cursor = begin_body(state, cursor)
    tx: Settle = tx_of(cursor).body
    if len(tx.account) != ADDRESS_LENGTH:
        raise TxFailure(FailureCode.BAD_RECIPIENT, "account must be a 20-byte address")
    instrument_id = tx.instrument_id
    inst: Instrument | None = state.get(keys.instrument(instrument_id))
    if inst is None:
        raise TxFailure(FailureCode.UNKNOWN_INSTRUMENT, f"instrument {instrument_id}")
    if cursor.time < inst.expiry:
        raise TxFailure(FailureCode.SETTLEMENT_NOT_READY, f"instrument {instrument_id} expires at {inst.expiry}")
    price_e6 = final_price_e6(state, inst.underlying_id, inst.expiry)
    if price_e6 == 0:
        raise TxFailure(FailureCode.SETTLEMENT_NOT_READY, "settlement price not fixed yet (awaiting an oracle update)")
    return cursor._replace(phase=SettlePhase.SETTLE_SCAN, regs=(0, 0, price_e6))


@body_step(SettlePhase.SETTLE_SCAN)
def settle_scan_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Settle``: cancel the account's resting orders on the series, in the order of its
    ``open_orders``, with ``INSTRUMENT_EXPIRED`` as the reason.

    Registers ``(index, cancelled, price_e6)``: the next position in ``open_orders`` to
    look at, the orders cancelled so far, the settlement price. A step reads up to
    ``SCAN_CHUNK`` orders from ``index`` and removes the first on the series
    (``orders.remove_order``, read again just before), so it touches the account and at
    most ``SCAN_CHUNK`` orders plus what one removal writes. When the list is done,
    ``SETTLE_POSITION`` follows. Steps: at most ``MAX_OPEN_ORDERS`` removals plus
    ``MAX_OPEN_ORDERS / SCAN_CHUNK`` scans.
    """
    tx: Settle = tx_of(cursor).body
    index, count, price_e6 = cursor.regs
    open_orders = accounts.load(state, tx.account).open_orders
    end = min(index + SCAN_CHUNK, len(open_orders))
    while index < end:
        order_id = open_orders[index]
        order: Order = state.get(keys.order(order_id))
        if order.instrument_id == tx.instrument_id:
            remove_order(state, order_id, order)
            io.cancelled.append((order_id, FailureCode.INSTRUMENT_EXPIRED))
            return cursor._replace(regs=(index, count + 1, price_e6))  # the list shrank: same index
        index += 1
    phase = SettlePhase.SETTLE_SCAN if index < len(open_orders) else SettlePhase.SETTLE_POSITION
    return cursor._replace(phase=phase, regs=(index, count, price_e6))


@body_step(SettlePhase.SETTLE_POSITION)
def settle_position_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Settle``: pay or charge the position at the settlement price (module docstring).

    Registers ``(index, cancelled, price_e6)`` from the scan. Fails with
    ``NOTHING_TO_SETTLE`` (no position and no order was cancelled) or
    ``INSUFFICIENT_BALANCE`` (a short that cannot pay while it holds other positions,
    outside a liquidation). Keys: the instrument, the account, the globals, the auction
    (``solvency.close_out`` when no position is left). Then the auction's recovery: a
    margin sum and ``SETTLE_RECOVERY`` when only that can decide it, else the receipt.
    """
    tx: Settle = tx_of(cursor).body
    address, instrument_id = tx.account, tx.instrument_id
    _, count, price_e6 = cursor.regs
    account = accounts.load(state, address)
    size_e6 = account.position(instrument_id)
    if size_e6 == 0 and count == 0:
        raise TxFailure(FailureCode.NOTHING_TO_SETTLE, f"no position or order on instrument {instrument_id}")
    inst: Instrument = state.get(keys.instrument(instrument_id))
    intrinsic = intrinsic_e6(price_e6, inst.strike_e6, inst.is_call)
    amount_e6 = 0
    bad_debt_e6 = 0
    if size_e6:
        globals_: Globals = state.get(keys.GLOBALS)
        if size_e6 > 0:
            amount_e6 = mul_div_down(size_e6, intrinsic, E6)  # payout: rounded down
            globals_ = replace(globals_, settlement_paid_out_e6=globals_.settlement_paid_out_e6 + amount_e6)
        else:
            paid = mul_div_up(-size_e6, intrinsic, E6)  # payment: rounded up
            globals_ = replace(globals_, settlement_paid_in_e6=globals_.settlement_paid_in_e6 + paid)
            amount_e6 = -paid
        state.put(keys.GLOBALS, globals_)
        settled = accounts.with_position_delta(account, instrument_id, -size_e6)
        assert settled is not None  # removing a position never exceeds MAX_POSITIONS
        settled = accounts.with_balance_delta(settled, amount_e6)
        accounts.store(state, address, settled)
        if not settled.positions:  # nothing left: cover a deficit, end any auction
            bad_debt_e6 = close_out(state, address)
        elif settled.balance_e6 < 0:  # a short that cannot pay while it holds other positions
            if state.get(keys.auction(address)) is None:  # (allowed only under liquidation)
                raise TxFailure(
                    FailureCode.INSUFFICIENT_BALANCE,
                    f"cash {settled.balance_e6 - amount_e6} cannot pay {-amount_e6} while other positions remain",
                )
    done = (size_e6, price_e6, intrinsic, amount_e6, count, bad_debt_e6)
    if auction.recovery_needs_sum(state, address, accounts.load(state, address)):
        return call_margin(cursor, address, Query.SUMMARY, SettlePhase.SETTLE_RECOVERY, done)
    return _settled(state, cursor, io, done)


@body_step(SettlePhase.SETTLE_RECOVERY)
def settle_recovery_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Settle``: end the auction unless the account's summary (registers 6 to 10) is
    below maintenance, then the receipt. Keys: the auction."""
    auction.end_if_summary_recovered(state, tx_of(cursor).body.account, cursor.regs[6:])
    return _settled(state, cursor, io, cursor.regs[:6])


def _settled(state: State, cursor: Cursor, io: StepIO, done: tuple[int, ...]) -> Cursor:
    size_e6, price_e6, intrinsic, amount_e6, _, bad_debt_e6 = done
    result = SettlementResult(size_e6, price_e6, intrinsic, amount_e6, tuple(io.cancelled), bad_debt_e6)
    return end_tx(state, cursor, io, Receipt(cursor.tx_hash, FailureCode.OK, detail=result.detail,
                                             cancelled=result.cancelled))


BODY_PHASE[Settle] = SettlePhase.SETTLE
