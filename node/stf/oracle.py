"""Oracle updates and marks: index price, volatility surface, per-instrument risk values.

**Sequencing.** An update is signed with a ``sequence`` and an ``observation_time``;
``check_sequencing`` applies, in this order, at the block's time ``now``:

1. ``sequence`` greater than the underlying's last (``Underlying.oracle_sequence``; gaps
   allowed), else ``ORACLE_SEQUENCE_NOT_INCREASING``: an older signed update, replayed or
   held back and included late, can never pull the index back;
2. ``observation_time <= now + MAX_ORACLE_FUTURE_S``, else ``ORACLE_TIME_IN_FUTURE``;
3. ``observation_time >= now - MAX_ORACLE_AGE_S``, else ``ORACLE_UPDATE_STALE``;
4. ``observation_time`` not older than the last update's (``Underlying.observation_time``;
   equal is allowed: two observations in one second), else ``ORACLE_TIME_BEFORE_LAST``.

The observation time is only checked and kept; the clock of the index (``oracle_time``,
marks' time to expiry, the settlement TWAP) stays the block time. The index a trade, a
margin check or a liquidation uses is the one in the state at that block's time, so the
TWAP integrates exactly the prices the chain acted on, over seconds no update can claim
twice: an observation time would be back-dated by up to ``MAX_ORACLE_AGE_S`` and could
re-weight seconds already integrated. Block times are non-decreasing by the block rule.

The surface (``txtypes.VolPoint``) gives, per expiry, an ATM vol, a skew and a curvature.
The vol of a series with strike K and expiry T, at index S:

1. the surface parameters at T: the point with expiry T if there is one, otherwise linear
   interpolation in time between the two points around T (flat beyond the first and last);
2. ``m = (K - S) / S`` (WAD, truncated toward zero), and
   ``vol = atm + skew x m + curvature x m^2`` (truncated), clamped to [MIN_VOL, MAX_VOL].

On every oracle update each listed series of the underlying is marked with Black-Scholes
(``optionmath.bs_price_and_greeks``; time to expiry in years = seconds / 365 days; the
configured rate), and its Greeks and portfolio-margin scenario values (``scenarios.py``)
are stored with the mark, so a margin check never prices an option. The work is bounded
by ``MAX_INSTRUMENTS_PER_UNDERLYING`` x 24 Black-Scholes evaluations, one series per step
(``OraclePhase``: ``oracle_check_step``, then ``oracle_mark_step`` per series).

Before the new index is stored, the old one is integrated into the settlement-price
windows of the underlying's expiries, and the first update at or after an expiry fixes its
settlement price (``settlement.accumulate``). A series whose settlement price is final is
marked at its intrinsic value at that price, with zero scenario P&L and Greeks.
"""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum
from typing import Final

from node.stf import keys
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, E6_TO_WAD, WAD, sdiv
from node.stf.optionmath import bs_price_and_greeks, years_from_seconds_wad
from node.stf.scenarios import N_SCENARIOS, intrinsic_e6, scenario_pnl
from node.stf.settlement import accumulate, accumulate_expiry, final_price_e6
from node.stf.params import MAX_PRICE_E6, MAX_SURFACE_POINTS, MAX_VOL_E6, MIN_VOL_E6
from node.stf.records import Config, Instrument, Mark, Underlying
from node.stf.receipts import Receipt
from node.stf.state import State
from node.stf.steps import BODY_PHASE, StepIO, begin_body, body_step, end_tx, tx_of
from node.stf.txtypes import OracleUpdate, VolPoint

MAX_SKEW_E6 = 10 * E6  # |skew| <= 10.0
MAX_CURVATURE_E6 = 100 * E6
# An update observed more than a minute before its block is stale: the dev oracle updates
# every second and production feeds (Chainlink, Pyth) heartbeat well within a minute, so
# only an update held back or replayed is this old.
MAX_ORACLE_AGE_S: Final = 60
# Clock skew tolerated between the oracle and the sequencer (Ethereum once allowed blocks
# 15 s in the future for the same reason).
MAX_ORACLE_FUTURE_S: Final = 15


def validate_surface(points: tuple[VolPoint, ...]) -> None:
    """Raise BAD_VOL_SURFACE unless the surface is 1..16 points with ascending expiries and sane values."""
    if not 1 <= len(points) <= MAX_SURFACE_POINTS:
        raise TxFailure(FailureCode.BAD_VOL_SURFACE, f"{len(points)} points (1..{MAX_SURFACE_POINTS})")
    previous = -1
    for point in points:
        if point.expiry <= previous:
            raise TxFailure(FailureCode.BAD_VOL_SURFACE, "expiries must be strictly ascending")
        previous = point.expiry
        if not MIN_VOL_E6 <= point.atm_vol_e6 <= MAX_VOL_E6:
            raise TxFailure(FailureCode.BAD_VOL_SURFACE, f"ATM vol {point.atm_vol_e6} out of range")
        if abs(point.skew_e6) > MAX_SKEW_E6 or not 0 <= point.curvature_e6 <= MAX_CURVATURE_E6:
            raise TxFailure(FailureCode.BAD_VOL_SURFACE, "skew or curvature out of range")


def _interpolate(a: int, b: int, t_a: int, t_b: int, t: int) -> int:
    return a + sdiv((b - a) * (t - t_a), t_b - t_a)


def surface_params(points: tuple[VolPoint, ...], expiry: int) -> tuple[int, int, int]:
    """(atm_vol_e6, skew_e6, curvature_e6) at ``expiry`` (see module docstring)."""
    first, last = points[0], points[-1]
    if expiry <= first.expiry:
        return first.atm_vol_e6, first.skew_e6, first.curvature_e6
    if expiry >= last.expiry:
        return last.atm_vol_e6, last.skew_e6, last.curvature_e6
    for lo, hi in zip(points, points[1:]):
        if lo.expiry <= expiry <= hi.expiry:
            return (
                _interpolate(lo.atm_vol_e6, hi.atm_vol_e6, lo.expiry, hi.expiry, expiry),
                _interpolate(lo.skew_e6, hi.skew_e6, lo.expiry, hi.expiry, expiry),
                _interpolate(lo.curvature_e6, hi.curvature_e6, lo.expiry, hi.expiry, expiry),
            )
    raise AssertionError("unreachable: points are ascending")


def smile_vol_e6(atm_e6: int, skew_e6: int, curvature_e6: int, strike_e6: int, index_e6: int) -> int:
    """Vol (fraction x 1e6) at ``strike_e6`` for the given expiry parameters, clamped."""
    m_wad = sdiv((strike_e6 - index_e6) * WAD, index_e6)
    vol = atm_e6 + sdiv(skew_e6 * m_wad, WAD) + sdiv(sdiv(curvature_e6 * m_wad, WAD) * m_wad, WAD)
    return min(max(vol, MIN_VOL_E6), MAX_VOL_E6)


def compute_mark(
    inst: Instrument, underlying: Underlying, rate_e6: int, now: int, settlement_price_e6: int = 0
) -> Mark:
    """Mark, Greeks and scenario P&L vector of one contract of ``inst`` (see ``scenarios.py``).

    With a final ``settlement_price_e6`` (> 0) the outcome is known: the mark is the
    intrinsic value at that price (e6, exact), every scenario P&L and Greek is 0 and the
    vol is 0; ``index_e6`` stays the underlying's current index, like every mark of the
    same update (margin reads an underlying's index from its marks).
    """
    index = underlying.index_price_e6
    if settlement_price_e6:
        value_e6 = min(intrinsic_e6(settlement_price_e6, inst.strike_e6, inst.is_call), MAX_PRICE_E6)
        return Mark(value_e6, index, 0, now, inst.underlying_id, inst.is_call, (0,) * N_SCENARIOS, 0, 0, 0, 0)
    atm, skew, curvature = surface_params(underlying.surface, inst.expiry)
    vol_e6 = smile_vol_e6(atm, skew, curvature, inst.strike_e6, index)
    seconds = inst.expiry - now if inst.expiry > now else 0
    t_wad = years_from_seconds_wad(seconds)
    result = bs_price_and_greeks(
        index * E6_TO_WAD, inst.strike_e6 * E6_TO_WAD, t_wad, vol_e6 * E6_TO_WAD, rate_e6 * E6_TO_WAD, inst.is_call
    )
    mark_e6 = min(max(sdiv(result.price, E6_TO_WAD), 0), MAX_PRICE_E6)
    pnl = scenario_pnl(index, inst.strike_e6, t_wad, seconds, vol_e6, rate_e6, inst.is_call, mark_e6)
    return Mark(
        mark_e6, index, vol_e6, now, inst.underlying_id, inst.is_call, pnl,
        result.delta, result.gamma, result.vega, result.theta,
    )


def check_sequencing(underlying: Underlying, now: int, tx: OracleUpdate) -> None:
    """Raise the first sequencing failure of ``tx`` at block time ``now`` (module docstring)."""
    if tx.sequence <= underlying.oracle_sequence:
        raise TxFailure(FailureCode.ORACLE_SEQUENCE_NOT_INCREASING,
                        f"sequence {tx.sequence} <= last {underlying.oracle_sequence}")
    observed = tx.observation_time
    if observed > now + MAX_ORACLE_FUTURE_S:
        raise TxFailure(FailureCode.ORACLE_TIME_IN_FUTURE,
                        f"observed at {observed}, more than {MAX_ORACLE_FUTURE_S} s after the block time {now}")
    if observed + MAX_ORACLE_AGE_S < now:
        raise TxFailure(FailureCode.ORACLE_UPDATE_STALE,
                        f"observed at {observed}, more than {MAX_ORACLE_AGE_S} s before the block time {now}")
    if observed < underlying.observation_time:
        raise TxFailure(FailureCode.ORACLE_TIME_BEFORE_LAST,
                        f"observed at {observed}, before the last update's {underlying.observation_time}")


def check_update(state: State, now: int, config: Config, sender: bytes, tx: OracleUpdate) -> Underlying:
    """Validate ``tx`` and return the underlying as stored before it (raises ``TxFailure``).

    Checks, in order: the signer is a genesis oracle key (``UNAUTHORISED_SIGNER``), the
    underlying exists (``UNKNOWN_UNDERLYING``), ``check_sequencing``, the index is in
    ``(0, MAX_PRICE_E6]`` (``PRICE_OUT_OF_RANGE``), ``validate_surface``.
    """
    if sender not in config.oracles:
        raise TxFailure(FailureCode.UNAUTHORISED_SIGNER, "signer is not an oracle key of the genesis")
    underlying: Underlying | None = state.get(keys.underlying(tx.underlying_id))
    if underlying is None:
        raise TxFailure(FailureCode.UNKNOWN_UNDERLYING, f"underlying {tx.underlying_id}")
    check_sequencing(underlying, now, tx)
    if not 0 < tx.index_price_e6 <= MAX_PRICE_E6:
        raise TxFailure(FailureCode.PRICE_OUT_OF_RANGE, f"index {tx.index_price_e6}")
    validate_surface(tx.surface)
    return underlying


def updated(before: Underlying, now: int, tx: OracleUpdate) -> Underlying:
    """The underlying after ``tx`` (its series list not yet pruned of settled series)."""
    return replace(before, index_price_e6=tx.index_price_e6, oracle_time=now, surface=tx.surface,
                   oracle_sequence=tx.sequence, observation_time=tx.observation_time)


def mark_series(state: State, after: Underlying, rate_e6: int, now: int, instrument_id: int, inst: Instrument) -> bool:
    """Store the mark of one series of the updated underlying ``after`` (the settlement
    windows already accumulated). Returns True if its settlement price is final (the series
    then leaves the underlying's list)."""
    settled_e6 = final_price_e6(state, inst.underlying_id, inst.expiry) if now >= inst.expiry else 0
    state.put(keys.mark(instrument_id), compute_mark(inst, after, rate_e6, now, settled_e6))
    return settled_e6 != 0


def apply_oracle_update(state: State, now: int, config: Config, sender: bytes, tx: OracleUpdate) -> int:
    """The whole update in one call (what the steps below do, for tools that evaluate a
    portfolio outside the chain): ``check_update``, ``settlement.accumulate``, every series
    marked, the underlying stored. Returns the number of series marked."""
    before = check_update(state, now, config, sender, tx)
    accumulate(state, tx.underlying_id, before, now)
    after = updated(before, now, tx)
    live = tuple(i for i in before.instruments
                 if not mark_series(state, after, config.rate_e6, now, i, state.get(keys.instrument(i))))
    state.put(keys.underlying(tx.underlying_id), replace(after, instruments=live))
    return len(before.instruments)


class OraclePhase(IntEnum):
    """The steps of an ``OracleUpdate``: the checks, then one step per series."""

    ORACLE_CHECK = 70
    ORACLE_MARK = 71


def _finish(state: State, cursor: Cursor, io: StepIO, before: Underlying, tx: OracleUpdate,
            dropped: tuple[int, ...]) -> Cursor:
    """Store the underlying (new index and surface; the series whose price is final, at
    positions ``dropped`` of the old list, leave it) and end the transaction."""
    live = tuple(i for k, i in enumerate(before.instruments) if k not in dropped)
    state.put(keys.underlying(tx.underlying_id), replace(updated(before, cursor.time, tx), instruments=live))
    return end_tx(state, cursor, io, Receipt(cursor.tx_hash, FailureCode.OK,
                                             detail=f"{len(before.instruments)} series marked"))


@body_step(OraclePhase.ORACLE_CHECK)
def oracle_check_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``OracleUpdate``, first step: take the checkpoint, run ``check_update``. Keys: the
    configuration and the underlying (read). An underlying without series is stored at
    once (one write); otherwise ``ORACLE_MARK`` follows with registers ``(0, rate_e6, 0)``."""
    cursor = begin_body(state, cursor)
    tx: OracleUpdate = tx_of(cursor).body
    config: Config = state.get(keys.CONFIG)
    before = check_update(state, cursor.time, config, cursor.sender, tx)
    if not before.instruments:
        return _finish(state, cursor, io, before, tx, ())
    return cursor._replace(phase=OraclePhase.ORACLE_MARK, regs=(0, config.rate_e6, 0))


@body_step(OraclePhase.ORACLE_MARK)
def oracle_mark_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``OracleUpdate``: the series at ``position`` of the underlying's list, as stored
    before the update (the underlying is written only by the last step, so every step
    reads the same list, index and oracle time).

    Registers ``(position, rate_e6, n, *accumulated, *dropped)``: the next position; the
    configured rate; the ``n`` expiries whose window this update already added seconds to
    without fixing the price (``settlement.accumulate_expiry`` returned True: they must not
    be added twice); then the positions of the series found settled so far.

    One step: ``accumulate_expiry`` for the series' expiry unless it is in ``accumulated``,
    then its mark (one Black-Scholes evaluation and the scenario vector). Keys: the
    underlying and the instrument (read), the expiry's settlement record (read, at most one
    write), the mark (write); the last step also writes the underlying (``_finish``).
    Steps: one per series, at most ``MAX_INSTRUMENTS_PER_UNDERLYING``.
    """
    tx: OracleUpdate = tx_of(cursor).body
    regs = cursor.regs
    position, rate_e6, n = regs[0], regs[1], regs[2]
    accumulated, dropped = regs[3:3 + n], regs[3 + n:]
    now = cursor.time
    before: Underlying = state.get(keys.underlying(tx.underlying_id))
    instrument_id = before.instruments[position]
    inst: Instrument = state.get(keys.instrument(instrument_id))
    if inst.expiry not in accumulated and accumulate_expiry(state, tx.underlying_id, before, now, inst.expiry):
        accumulated += (inst.expiry,)
    if mark_series(state, updated(before, now, tx), rate_e6, now, instrument_id, inst):
        dropped += (position,)
    position += 1
    if position == len(before.instruments):
        return _finish(state, cursor, io, before, tx, dropped)
    return cursor._replace(regs=(position, rate_e6, len(accumulated)) + accumulated + dropped)


BODY_PHASE[OracleUpdate] = OraclePhase.ORACLE_CHECK
