# pragma version 0.4.3
"""
@title oracle_math
@notice The pure rules of an oracle update: sequencing and surface checks, the vol
        surface and smile, and a series' Mark (Black-Scholes price, Greeks and the
        portfolio-margin scenario vector), bit for bit with `node/stf/oracle.py` and
        `node/stf/scenarios.py`.
@dev Units as in Python: prices, strikes and P&L in collateral units e6; vols, skew and
     curvature as fractions x 1e6; moneyness and option math in WAD (1e18); times in
     unix seconds. Divisions of signed values truncate toward zero (Python `sdiv`, Vyper
     `//` on int256).
     Python raises a math-domain error (`optionmath.MathDomainError`) for inputs outside
     Black-Scholes' domain (a scenario spot that rounds to 0, a strike above 1e24 e6, a
     rate beyond +-100%, ...); the step then fails with FIELD_OUT_OF_RANGE. Here
     `compute_mark` checks the same domain first and returns `ok = False` instead of
     reverting, so the family takes the same failure path.
     Functions return failure codes (`node/stf/errors.py::FailureCode`, 0 = OK) where
     Python raises `TxFailure`. Reverts are prefixed "oracle_math:".
"""

import lib.option_math as option_math
from fault.lib import records

# node/stf/params.py
MAX_SURFACE_POINTS: constant(uint256) = 16
MAX_PRICE_E6: constant(uint256) = 10**15
MIN_VOL_E6: constant(int256) = 10_000
MAX_VOL_E6: constant(int256) = 10_000_000
SECONDS_PER_DAY: constant(uint256) = 86_400
# node/stf/oracle.py
MAX_SKEW_E6: constant(int256) = 10 * 10**6
MAX_CURVATURE_E6: constant(uint256) = 100 * 10**6
MAX_ORACLE_AGE_S: constant(uint256) = 60
MAX_ORACLE_FUTURE_S: constant(uint256) = 15
# node/stf/scenarios.py
N_SCENARIOS: constant(uint256) = 23
PPM: constant(int256) = 10**6
VOL_SHOCK_LONG_PPM: constant(int256) = 150_000
# node/stf/fixedpoint.py
WAD: constant(int256) = 10**18
E6_TO_WAD: constant(uint256) = 10**12
# node/stf/optionmath.py: Black-Scholes' domain (`_check_bs_inputs`, `years_from_seconds_wad`)
MAX_PRICE_WAD: constant(uint256) = 10**36
MAX_T_WAD: constant(uint256) = 10 * 10**18
MAX_RATE_WAD: constant(int256) = 10**18
MAX_SECONDS: constant(uint256) = 2**64

# node/stf/errors.py::FailureCode
OK: constant(uint256) = 0
FIELD_OUT_OF_RANGE: constant(uint256) = 108
PRICE_OUT_OF_RANGE: constant(uint256) = 203
BAD_VOL_SURFACE: constant(uint256) = 601
ORACLE_SEQUENCE_NOT_INCREASING: constant(uint256) = 607
ORACLE_TIME_IN_FUTURE: constant(uint256) = 608
ORACLE_UPDATE_STALE: constant(uint256) = 609
ORACLE_TIME_BEFORE_LAST: constant(uint256) = 610


# ---------------------------------------------------------------------------------
# Checks


@internal
@pure
def check_sequencing(last_sequence: uint256, last_observation_time: uint256, now: uint256,
                     sequence: uint256, observation_time: uint256) -> uint256:
    """
    @notice Twin of node/stf/oracle.py::check_sequencing: the first sequencing failure of
            an update (`sequence`, `observation_time`, unix s) at block time `now`, against
            the underlying's last applied update; OK (0) if none.
    """
    if sequence <= last_sequence:
        return ORACLE_SEQUENCE_NOT_INCREASING
    if observation_time > now + MAX_ORACLE_FUTURE_S:
        return ORACLE_TIME_IN_FUTURE
    if observation_time + MAX_ORACLE_AGE_S < now:
        return ORACLE_UPDATE_STALE
    if observation_time < last_observation_time:
        return ORACLE_TIME_BEFORE_LAST
    return OK


@internal
@pure
def validate_surface(points: DynArray[records.VolPoint, MAX_SURFACE_POINTS]) -> uint256:
    """
    @notice Twin of node/stf/oracle.py::validate_surface: BAD_VOL_SURFACE unless 1..16
            points with strictly ascending expiries, ATM vol in [MIN_VOL, MAX_VOL],
            |skew| <= 10.0 and curvature in [0, 100.0]; OK (0) otherwise.
    """
    if len(points) == 0:
        return BAD_VOL_SURFACE
    first: bool = True
    previous: uint256 = 0
    for point: records.VolPoint in points:
        if not first and point.expiry <= previous:
            return BAD_VOL_SURFACE
        first = False
        previous = point.expiry
        if point.atm_vol_e6 < convert(MIN_VOL_E6, uint256) or point.atm_vol_e6 > convert(MAX_VOL_E6, uint256):
            return BAD_VOL_SURFACE
        if abs(point.skew_e6) > MAX_SKEW_E6 or point.curvature_e6 > MAX_CURVATURE_E6:
            return BAD_VOL_SURFACE
    return OK


@internal
@pure
def check_index(index_price_e6: uint256) -> uint256:
    """
    @notice The index range check of node/stf/oracle.py::check_update: PRICE_OUT_OF_RANGE
            unless 0 < index <= MAX_PRICE_E6.
    """
    if index_price_e6 == 0 or index_price_e6 > MAX_PRICE_E6:
        return PRICE_OUT_OF_RANGE
    return OK


# ---------------------------------------------------------------------------------
# Surface and smile


@internal
@pure
def _interpolate(a: int256, b: int256, t_a: int256, t_b: int256, t: int256) -> int256:
    # node/stf/oracle.py::_interpolate
    return a + (b - a) * (t - t_a) // (t_b - t_a)


@internal
@pure
def surface_params(points: DynArray[records.VolPoint, MAX_SURFACE_POINTS], expiry: uint256) -> (int256, int256, int256):
    """
    @notice Twin of node/stf/oracle.py::surface_params: (atm_vol_e6, skew_e6,
            curvature_e6) at `expiry`: the point with that expiry, else linear
            interpolation between the points around it, flat beyond the ends.
    @dev `points` is a validated surface (non-empty, ascending); reverts on an empty one.
    """
    assert len(points) > 0, "oracle_math: empty surface"
    first: records.VolPoint = points[0]
    if expiry <= first.expiry:
        return convert(first.atm_vol_e6, int256), first.skew_e6, convert(first.curvature_e6, int256)
    last: records.VolPoint = points[len(points) - 1]
    if expiry >= last.expiry:
        return convert(last.atm_vol_e6, int256), last.skew_e6, convert(last.curvature_e6, int256)
    lo: records.VolPoint = first
    for i: uint256 in range(1, MAX_SURFACE_POINTS):
        hi: records.VolPoint = points[i]  # exists: last.expiry > expiry, so the loop stops by it
        if lo.expiry <= expiry and expiry <= hi.expiry:
            t_a: int256 = convert(lo.expiry, int256)
            t_b: int256 = convert(hi.expiry, int256)
            t: int256 = convert(expiry, int256)
            return (
                self._interpolate(convert(lo.atm_vol_e6, int256), convert(hi.atm_vol_e6, int256), t_a, t_b, t),
                self._interpolate(lo.skew_e6, hi.skew_e6, t_a, t_b, t),
                self._interpolate(convert(lo.curvature_e6, int256), convert(hi.curvature_e6, int256), t_a, t_b, t),
            )
        lo = hi
    raise "oracle_math: surface not ascending"


@internal
@pure
def smile_vol_e6(atm_e6: int256, skew_e6: int256, curvature_e6: int256, strike_e6: uint256,
                 index_e6: uint256) -> int256:
    """
    @notice Twin of node/stf/oracle.py::smile_vol_e6: with m = (K - S) / S (WAD,
            truncated), atm + skew m + curvature m^2 (each product truncated), clamped
            to [MIN_VOL, MAX_VOL]. Needs index_e6 > 0.
    """
    index: int256 = convert(index_e6, int256)
    m_wad: int256 = (convert(strike_e6, int256) - index) * WAD // index
    vol: int256 = atm_e6 + skew_e6 * m_wad // WAD + (curvature_e6 * m_wad // WAD) * m_wad // WAD
    return min(max(vol, MIN_VOL_E6), MAX_VOL_E6)


# ---------------------------------------------------------------------------------
# Scenarios (node/stf/scenarios.py)


@internal
@pure
def vol_shock_ppm(seconds_to_expiry: uint256) -> int256:
    """
    @notice Twin of node/stf/scenarios.py::vol_shock_ppm: the relative vol shock (ppm)
            for a series this far from expiry.
    """
    if seconds_to_expiry <= 7 * SECONDS_PER_DAY:
        return 500_000
    if seconds_to_expiry <= 30 * SECONDS_PER_DAY:
        return 300_000
    if seconds_to_expiry <= 90 * SECONDS_PER_DAY:
        return 200_000
    return VOL_SHOCK_LONG_PPM


@internal
@pure
def shocked_vol_e6(vol_e6: int256, vol_dir: int256, shock_ppm: int256) -> int256:
    """
    @notice Twin of node/stf/scenarios.py::shocked_vol_e6: vol x (1 + dir x shock),
            truncated, clamped to [MIN_VOL, MAX_VOL].
    """
    vol: int256 = vol_e6 * (PPM + vol_dir * shock_ppm) // PPM
    return min(max(vol, MIN_VOL_E6), MAX_VOL_E6)


@internal
@pure
def _scenario(k: uint256) -> (int256, int256):
    # node/stf/scenarios.py::SCENARIOS[k] as (spot multiplier ppm, vol direction)
    if k < 21:
        return 850_000 + convert(k // 3, int256) * 50_000, convert(k % 3, int256) - 1
    if k == 21:
        return 700_000, 1
    return 1_300_000, 1


@internal
@pure
def intrinsic_e6(index_e6: uint256, strike_e6: uint256, is_call: bool) -> uint256:
    """
    @notice Twin of node/stf/scenarios.py::intrinsic_e6: value of one contract at expiry (e6).
    """
    if is_call:
        if index_e6 > strike_e6:
            return index_e6 - strike_e6
        return 0
    if strike_e6 > index_e6:
        return strike_e6 - index_e6
    return 0


@internal
@pure
def _bs_domain(spot_e6: int256, strike_e6: uint256, rate_e6: int256) -> bool:
    # node/stf/optionmath.py::_check_bs_inputs on spot, strike and rate (after the e6 ->
    # WAD scaling); time and vol are checked by the caller once
    if spot_e6 <= 0 or convert(spot_e6, uint256) > MAX_PRICE_WAD // E6_TO_WAD:
        return False
    if strike_e6 == 0 or strike_e6 > MAX_PRICE_WAD // E6_TO_WAD:
        return False
    return rate_e6 >= -MAX_RATE_WAD // 10**12 and rate_e6 <= MAX_RATE_WAD // 10**12


@internal
@pure
def compute_mark(strike_e6: uint256, expiry: uint256, is_call: bool, underlying_id: uint256,
                 index_e6: uint256, points: DynArray[records.VolPoint, MAX_SURFACE_POINTS], rate_e6: int256,
                 now: uint256, settlement_price_e6: uint256) -> (bool, records.Mark):
    """
    @notice Twin of node/stf/oracle.py::compute_mark for the series (strike, expiry,
            call/put, underlying) on an underlying at index `index_e6` with surface
            `points`, at block time `now`, with the configured `rate_e6` (e6 per year).
    @dev With a final `settlement_price_e6` (> 0): the intrinsic value at that price
         (capped at MAX_PRICE_E6), vol, scenario P&L and Greeks 0. Otherwise the smile vol,
         Black-Scholes price and Greeks (option_math) and 23 scenario prices.
         Returns (False, empty) where Python raises a math-domain error (the step fails
         with FIELD_OUT_OF_RANGE); never reverts on a validated surface and index > 0.
    """
    mark: records.Mark = empty(records.Mark)
    mark.index_e6 = index_e6
    mark.time = now
    mark.underlying_id = underlying_id
    mark.is_call = is_call
    if settlement_price_e6 != 0:
        mark.mark_e6 = min(self.intrinsic_e6(settlement_price_e6, strike_e6, is_call), MAX_PRICE_E6)
        for k: uint256 in range(N_SCENARIOS):
            mark.scenario_pnl_e6.append(0)
        return True, mark
    atm: int256 = 0
    skew: int256 = 0
    curvature: int256 = 0
    atm, skew, curvature = self.surface_params(points, expiry)
    vol_e6: int256 = self.smile_vol_e6(atm, skew, curvature, strike_e6, index_e6)
    seconds: uint256 = 0
    if expiry > now:
        seconds = expiry - now
    if seconds > MAX_SECONDS:
        return False, empty(records.Mark)
    t_wad: uint256 = option_math.years_from_seconds_wad(seconds)
    index: int256 = convert(index_e6, int256)
    if t_wad > MAX_T_WAD or not self._bs_domain(index, strike_e6, rate_e6):
        return False, empty(records.Mark)
    strike_wad: uint256 = strike_e6 * E6_TO_WAD
    rate_wad: int256 = rate_e6 * 10**12
    result: option_math.BSResult = option_math.bs_price_and_greeks(
        index_e6 * E6_TO_WAD, strike_wad, t_wad, convert(vol_e6, uint256) * E6_TO_WAD, rate_wad, is_call)
    mark_e6: uint256 = min(result.price // E6_TO_WAD, MAX_PRICE_E6)
    mark.mark_e6 = mark_e6
    mark.vol_e6 = convert(vol_e6, uint256)
    mark.delta = result.delta
    mark.gamma = convert(result.gamma, int256)
    mark.vega = convert(result.vega, int256)
    mark.theta = result.theta
    # node/stf/scenarios.py::scenario_pnl
    shock: int256 = self.vol_shock_ppm(seconds)
    mark_i: int256 = convert(mark_e6, int256)
    for k: uint256 in range(N_SCENARIOS):
        spot_ppm: int256 = 0
        vol_dir: int256 = 0
        spot_ppm, vol_dir = self._scenario(k)
        spot_e6: int256 = index * spot_ppm // PPM
        if not self._bs_domain(spot_e6, strike_e6, rate_e6):
            return False, empty(records.Mark)
        vol: int256 = self.shocked_vol_e6(vol_e6, vol_dir, shock)
        value_wad: uint256 = option_math.bs_price(
            convert(spot_e6, uint256) * E6_TO_WAD, strike_wad, t_wad, convert(vol, uint256) * E6_TO_WAD,
            rate_wad, is_call)
        mark.scenario_pnl_e6.append(convert(value_wad // E6_TO_WAD, int256) - mark_i)
    return True, mark
