# pragma version 0.4.3
"""
@title listing
@notice Listing a series: twin of `node/stf/instruments.py::list_instrument` (the BODY of a
        ListInstrument, `node/stf/machine.py::run_body` in `_in_one_call`).
@dev Times in unix seconds; strike, tick size and minimum size e6. Returns False where
     Python raises a `TxFailure` or an arithmetic error (the body's writes are undone: the
     caller keeps the pre-root). The series' first Mark (when the underlying has an index)
     is `oracle.py::compute_mark`, computed by the stateless contract `oracle_marks.vy`
     (address given by the caller); it is computed before any write, which ends in the
     same state as Python's compute-last-then-roll-back.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.oracle_math as oracle_math

uses: (state, accounts)

SECONDS_PER_DAY: constant(uint256) = 86_400  # params.SECONDS_PER_DAY
EXPIRY_TIME_OF_DAY: constant(uint256) = 8 * 3600  # params.EXPIRY_TIME_OF_DAY
MAX_EXPIRY_HORIZON: constant(uint256) = 5 * 365 * SECONDS_PER_DAY  # params.MAX_EXPIRY_HORIZON
MAX_PRICE_E6: constant(uint256) = 10**15  # params.MAX_PRICE_E6
MAX_SIZE_E6: constant(uint256) = 10**15  # params.MAX_SIZE_E6
MAX_INSTRUMENTS_PER_UNDERLYING: constant(uint256) = 256  # params.MAX_INSTRUMENTS_PER_UNDERLYING


struct ListInstrument:
    # node/stf/txtypes.py::ListInstrument
    nonce: uint256
    underlying_id: uint256
    expiry: uint256
    strike_e6: uint256
    is_call: bool
    tick_size_e6: uint256
    min_size_e6: uint256


interface Marks:
    def compute_mark(strike_e6: uint256, expiry: uint256, is_call: bool, underlying_id: uint256, index_e6: uint256,
                     points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS], rate_e6: int256,
                     now: uint256, settlement_price_e6: uint256) -> (bool, records.Mark): pure


@internal
def list_instrument(sender: address, now: uint256, body: ListInstrument, marks: address) -> bool:
    """
    @notice Twin of node/stf/instruments.py::list_instrument at block time `now`: True when
            the series is listed (instrument, series index, the underlying's list, the
            globals' next id, its Mark when the underlying has an index), False (nothing
            written) where Python fails.
    """
    if sender != accounts.get_config().admin:
        return False  # UNAUTHORISED_SIGNER
    found: bool = False
    u: records.Underlying = empty(records.Underlying)
    found, u = state.get_underlying(body.underlying_id)
    if not found:
        return False  # UNKNOWN_UNDERLYING
    if body.expiry <= now or body.expiry % SECONDS_PER_DAY != EXPIRY_TIME_OF_DAY:
        return False  # BAD_INSTRUMENT
    if body.expiry - now > MAX_EXPIRY_HORIZON:
        return False  # BAD_INSTRUMENT
    if body.strike_e6 == 0 or body.strike_e6 > MAX_PRICE_E6:
        return False  # BAD_INSTRUMENT
    if body.tick_size_e6 == 0 or body.tick_size_e6 > MAX_PRICE_E6 or body.min_size_e6 == 0 \
            or body.min_size_e6 > MAX_SIZE_E6:
        return False  # BAD_INSTRUMENT
    series: records.SeriesIndex = empty(records.SeriesIndex)
    found, series = state.get_series_index(body.underlying_id, body.expiry, body.strike_e6, body.is_call)
    if found:
        return False  # INSTRUMENT_EXISTS
    if len(u.instruments) >= MAX_INSTRUMENTS_PER_UNDERLYING:
        return False  # TOO_MANY_INSTRUMENTS
    mark: records.Mark = empty(records.Mark)
    if u.index_price_e6 != 0:
        ok: bool = False
        ok, mark = staticcall Marks(marks).compute_mark(
            body.strike_e6, body.expiry, body.is_call, body.underlying_id, u.index_price_e6, u.surface,
            convert(accounts.get_config().rate_e6, int256), now, 0)
        if not ok:
            return False  # FIELD_OUT_OF_RANGE (a math-domain error)
    g: records.Globals = accounts.get_globals()
    instrument_id: uint256 = g.next_instrument_id
    g.next_instrument_id = instrument_id + 1
    state.put_globals(g)
    state.put_instrument(instrument_id, records.Instrument(
        underlying_id=body.underlying_id, expiry=body.expiry, strike_e6=body.strike_e6, is_call=body.is_call,
        tick_size_e6=body.tick_size_e6, min_size_e6=body.min_size_e6, best_bid_e6=0, best_ask_e6=0))
    state.put_series_index(body.underlying_id, body.expiry, body.strike_e6, body.is_call,
                           records.SeriesIndex(instrument_id=instrument_id))
    u.instruments.append(instrument_id)
    state.put_underlying(body.underlying_id, u)
    if u.index_price_e6 != 0:
        state.put_mark(instrument_id, mark)
    return True
