"""Option series: Deribit-style names and listing rules.

A series is European and cash-settled in the collateral token: underlying, expiry (08:00
UTC on the expiry date), strike (collateral units e6) and call/put. Its name is
``UNDERLYING-DMMMYY-STRIKE-C|P``, e.g. ``ETH-25DEC26-3000-C`` (day without a leading
zero, as Deribit writes it); a fractional strike is written with ``d`` for the decimal
point (``XRP-25DEC26-0d55-C``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from node.stf import keys
from node.stf.errors import FailureCode, TxFailure
from node.stf.oracle import compute_mark
from node.stf.params import (
    EXPIRY_TIME_OF_DAY,
    MAX_EXPIRY_HORIZON,
    MAX_INSTRUMENTS_PER_UNDERLYING,
    MAX_PRICE_E6,
    MAX_SIZE_E6,
    SECONDS_PER_DAY,
)
from node.stf.records import Config, Globals, Instrument, SeriesIndex, Underlying
from node.stf.state import State
from node.stf.txtypes import ListInstrument

MAX_UNDERLYING_PROBE = 256  # underlying ids run 1, 2, ... without gaps (genesis numbers them)

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class BadInstrumentName(ValueError):
    """A string that is not a valid series name."""


@dataclass(frozen=True, slots=True)
class SeriesName:
    underlying: str
    expiry: int
    strike_e6: int
    is_call: bool


def _days_to_date(days: int) -> tuple[int, int, int]:
    """Civil date (y, m, d) of a count of days since 1970-01-01 (proleptic Gregorian, integer only)."""
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def _date_to_days(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a civil date (inverse of ``_days_to_date``)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def format_strike(strike_e6: int) -> str:
    whole, frac = divmod(strike_e6, 10**6)
    if frac == 0:
        return str(whole)
    return f"{whole}d{str(frac).rjust(6, '0').rstrip('0')}"


def series_name(underlying: str, expiry: int, strike_e6: int, is_call: bool) -> str:
    """Deribit-style name of a series, e.g. ``ETH-25DEC26-3000-C``."""
    y, m, d = _days_to_date(expiry // SECONDS_PER_DAY)
    return f"{underlying}-{d}{MONTHS[m - 1]}{y % 100:02d}-{format_strike(strike_e6)}-{'C' if is_call else 'P'}"


def parse_series_name(name: str) -> SeriesName:
    """Inverse of ``series_name`` (not used by the STF; for tools and clients)."""
    parts = name.strip().upper().split("-")
    if len(parts) != 4 or parts[3] not in ("C", "P"):
        raise BadInstrumentName(f"{name!r}: expected UNDERLYING-DMMMYY-STRIKE-C|P")
    underlying, date, strike, kind = parts
    try:
        day, month, year = int(date[:-5]), MONTHS.index(date[-5:-2]), int(date[-2:])
        if not 1 <= day <= 31:
            raise ValueError(f"day {day}")
        expiry = _date_to_days(2000 + year, month + 1, day) * SECONDS_PER_DAY + EXPIRY_TIME_OF_DAY
        if _days_to_date(expiry // SECONDS_PER_DAY) != (2000 + year, month + 1, day):
            raise ValueError(f"no such date {date}")
        whole, _, frac = strike.partition("D")
        strike_e6 = int(whole) * 10**6 + (int(frac.ljust(6, "0")[:6]) if frac else 0)
    except (ValueError, IndexError) as exc:
        raise BadInstrumentName(f"{name!r}: {exc}") from exc
    return SeriesName(underlying, expiry, strike_e6, kind == "C")


def list_instrument(state: State, now: int, config: Config, sender: bytes, tx: ListInstrument) -> int:
    """List a new series (admin only). Returns its instrument id."""
    if sender != config.admin:
        raise TxFailure(FailureCode.UNAUTHORISED_SIGNER, "only the genesis admin may list instruments")
    ukey = keys.underlying(tx.underlying_id)
    underlying: Underlying | None = state.get(ukey)
    if underlying is None:
        raise TxFailure(FailureCode.UNKNOWN_UNDERLYING, f"underlying {tx.underlying_id}")
    if tx.expiry <= now or tx.expiry % SECONDS_PER_DAY != EXPIRY_TIME_OF_DAY:
        raise TxFailure(FailureCode.BAD_INSTRUMENT, "expiry must be a future date at 08:00 UTC")
    if tx.expiry - now > MAX_EXPIRY_HORIZON:
        raise TxFailure(FailureCode.BAD_INSTRUMENT, "expiry more than 5 years away")
    if not 0 < tx.strike_e6 <= MAX_PRICE_E6:
        raise TxFailure(FailureCode.BAD_INSTRUMENT, f"strike {tx.strike_e6}")
    if not 0 < tx.tick_size_e6 <= MAX_PRICE_E6 or not 0 < tx.min_size_e6 <= MAX_SIZE_E6:
        raise TxFailure(FailureCode.BAD_INSTRUMENT, "tick size and minimum size must be positive")
    skey = keys.series(tx.underlying_id, tx.expiry, tx.strike_e6, tx.is_call)
    if state.get(skey) is not None:
        raise TxFailure(FailureCode.INSTRUMENT_EXISTS, "series already listed")
    if len(underlying.instruments) >= MAX_INSTRUMENTS_PER_UNDERLYING:
        raise TxFailure(FailureCode.TOO_MANY_INSTRUMENTS, f"{MAX_INSTRUMENTS_PER_UNDERLYING} series listed")
    globals_: Globals = state.get(keys.GLOBALS)
    instrument_id = globals_.next_instrument_id
    state.put(keys.GLOBALS, replace(globals_, next_instrument_id=instrument_id + 1))
    inst = Instrument(tx.underlying_id, tx.expiry, tx.strike_e6, tx.is_call, tx.tick_size_e6, tx.min_size_e6)
    state.put(keys.instrument(instrument_id), inst)
    state.put(skey, SeriesIndex(instrument_id))
    state.put(ukey, replace(underlying, instruments=underlying.instruments + (instrument_id,)))
    if underlying.index_price_e6:
        state.put(keys.mark(instrument_id), compute_mark(inst, underlying, config.rate_e6, now))
    return instrument_id


def listed_underlyings(state: State) -> list[tuple[int, Underlying]]:
    """``(underlying_id, record)`` of every underlying in the state: ids probed from 1 up to
    the first missing one (at most ``MAX_UNDERLYING_PROBE``). A read for the node's status,
    metrics and dev tools; no rule uses it."""
    out = []
    for underlying_id in range(1, MAX_UNDERLYING_PROBE + 1):
        underlying = state.get(keys.underlying(underlying_id))
        if underlying is None:
            break
        out.append((underlying_id, underlying))
    return out
