# pragma version 0.4.3
"""
@title oracle_math test harness
@notice Exposes `fault/lib/oracle_math.vy` externally for the differential tests against
        `node/stf/oracle.py`. Not deployed outside tests.
"""

import fault.lib.oracle_math as oracle_math
from fault.lib import records


@external
@pure
def check_sequencing(last_sequence: uint256, last_observation_time: uint256, now: uint256,
                     sequence: uint256, observation_time: uint256) -> uint256:
    return oracle_math.check_sequencing(last_sequence, last_observation_time, now, sequence, observation_time)


@external
@pure
def validate_surface(points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS]) -> uint256:
    return oracle_math.validate_surface(points)


@external
@pure
def surface_params(points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS],
                   expiry: uint256) -> (int256, int256, int256):
    return oracle_math.surface_params(points, expiry)


@external
@pure
def smile_vol_e6(atm_e6: int256, skew_e6: int256, curvature_e6: int256, strike_e6: uint256,
                 index_e6: uint256) -> int256:
    return oracle_math.smile_vol_e6(atm_e6, skew_e6, curvature_e6, strike_e6, index_e6)


@external
@pure
def shocked_vol_e6(vol_e6: int256, vol_dir: int256, shock_ppm: int256) -> int256:
    return oracle_math.shocked_vol_e6(vol_e6, vol_dir, shock_ppm)


@external
@pure
def vol_shock_ppm(seconds: uint256) -> int256:
    return oracle_math.vol_shock_ppm(seconds)


@external
@pure
def compute_mark(strike_e6: uint256, expiry: uint256, is_call: bool, underlying_id: uint256,
                 index_e6: uint256, points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS],
                 rate_e6: int256, now: uint256, settlement_price_e6: uint256) -> (bool, records.Mark):
    return oracle_math.compute_mark(strike_e6, expiry, is_call, underlying_id, index_e6, points, rate_e6, now,
                                    settlement_price_e6)
