# pragma version 0.4.3
"""
@title liquidation_math_harness
@notice Test-only: exposes contracts/fault/lib/liquidation_math.vy and full_math.vy.
"""

from fault.lib import full_math
from fault.lib import liquidation_math


@external
@pure
def mul_div_down(a: uint256, b: uint256, d: uint256) -> (bool, uint256):
    return full_math.mul_div_down(a, b, d)


@external
@pure
def mul_div_up(a: uint256, b: uint256, d: uint256) -> (bool, uint256):
    return full_math.mul_div_up(a, b, d)


@external
@pure
def discount_ppm(elapsed_seconds: int256) -> int256:
    return liquidation_math.discount_ppm(elapsed_seconds)


@external
@pure
def step_budget(equity_e6: int256, maintenance_e6: int256, maintenance_after_e6: int256) -> (bool, uint256):
    return liquidation_math.step_budget(equity_e6, maintenance_e6, maintenance_after_e6)


@external
@pure
def step_terms(equity_e6: int256, maintenance_e6: int256, maintenance_after_e6: int256, schedule_ppm: int256,
               mark_e6: uint256, index_e6: uint256, position_e6: int256,
               size_e6: uint256) -> (uint256, liquidation_math.Terms):
    return liquidation_math.step_terms(equity_e6, maintenance_e6, maintenance_after_e6, schedule_ppm, mark_e6,
                                       index_e6, position_e6, size_e6)


@external
@pure
def moved_size(position_e6: int256, requested_e6: uint256) -> (uint256, int256):
    return liquidation_math.moved_size(position_e6, requested_e6)


@external
@pure
def below_maintenance(cash_e6: int256, value_e6: int256, maintenance_e6: int256, complete: int256) -> bool:
    return liquidation_math.below_maintenance(cash_e6, value_e6, maintenance_e6, complete)


@external
@pure
def risk_reduced(maintenance_before_e6: int256, excess_before_e6: int256, free_cash_e6: int256,
                 equity_e6: int256, maintenance_e6: int256, initial_e6: int256, complete: int256) -> bool:
    return liquidation_math.risk_reduced(maintenance_before_e6, excess_before_e6, free_cash_e6, equity_e6,
                                         maintenance_e6, initial_e6, complete)
