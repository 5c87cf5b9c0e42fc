# pragma version 0.4.3
"""
@title liquidation_math
@notice The pure rules of a liquidation step, bit for bit with node/stf/liquidation.py
        (module docstring, rules 1-9): the discount schedule, the budget, the terms
        (discount, penalty, price, cash moved), the size moved, and the decisions taken on
        margin sums (liquidatable, recovered, the liquidator's risk reduced).
@dev Units: amounts in collateral units e6, sizes in contracts e6, rates in ppm (1e6 = 1),
     times in seconds. E, M, M' are the account's equity and maintenance before the step and
     its maintenance after it (int256, from the margin sub-machine's registers).
     Python computes with unbounded integers and raises FixedPointOverflow only where a
     mul_div's operand is negative, its divisor not positive, or its quotient leaves
     uint256; those answer code FIELD_OUT_OF_RANGE here (the step's arithmetic failure,
     node/stf/steps.py::body_step). A value Python would put in a cursor register but that
     does not fit int256 (unreachable: indices and marks are below 2**128, sizes and
     equities below 2**127 on any state the STF builds) reverts: the cursor cannot hold it.
"""

from fault.lib import full_math
from fault.lib import errors

# node/stf/liquidation.py constants
START_DISCOUNT_PPM: constant(int256) = 5_000
DISCOUNT_STEP_PPM: constant(int256) = 1_000
DISCOUNT_STEP_SECONDS: constant(int256) = 10
MAX_DISCOUNT_PPM: constant(int256) = 50_000
PENALTY_PPM: constant(uint256) = 2_500
E6: constant(uint256) = 10**6
PPM_DENOMINATOR: constant(uint256) = 10**6
# ceil(x x PENALTY_PPM / (E6 x PPM)) == ceil(x / PENALTY_DIVISOR) exactly (2,500 / 1e12 = 1 / 4e8)
PENALTY_DIVISOR: constant(uint256) = 400_000_000


# node/stf/liquidation.py::Terms (same fields, same order)
struct Terms:
    discount_e6: uint256
    penalty_e6: uint256
    price_e6: uint256
    cash_to_target_e6: int256  # paid to the account (a long sold, > 0) or by it (a short, < 0)


@internal
@pure
def discount_ppm(elapsed_seconds: int256) -> int256:
    """
    @notice Twin of node/stf/liquidation.py::discount_ppm: min(0.5% + 0.1% x
            floor(elapsed / 10 s), 5%) of the index, in ppm.
    @dev Floor division as Python's (elapsed < 0 is unreachable: an auction starts at a block
         time and block times never fall; answered exactly for |elapsed| < 2**200).
    """
    steps: int256 = elapsed_seconds // DISCOUNT_STEP_SECONDS  # truncates toward zero
    if elapsed_seconds < 0 and steps * DISCOUNT_STEP_SECONDS != elapsed_seconds:
        steps -= 1
    if steps >= (MAX_DISCOUNT_PPM - START_DISCOUNT_PPM) // DISCOUNT_STEP_PPM:
        return MAX_DISCOUNT_PPM
    return START_DISCOUNT_PPM + steps * DISCOUNT_STEP_PPM


@internal
@pure
def _difference(a: int256, b: int256) -> uint256:
    """a - b for a >= b, exact (it may exceed int256's range, never uint256's)."""
    return unsafe_sub(convert(convert(a, bytes32), uint256), convert(convert(b, bytes32), uint256))


@internal
@pure
def step_budget(equity_e6: int256, maintenance_e6: int256, maintenance_after_e6: int256) -> (bool, uint256):
    """
    @notice Twin of node/stf/liquidation.py::step_budget: floor(max(E, 0) x (M - M') / M).
    @return (False, 0) where Python raises (E > 0 with M - M' < 0 or M <= 0).
    """
    if equity_e6 <= 0:
        return True, 0
    if maintenance_e6 <= 0 or maintenance_after_e6 > maintenance_e6:
        return False, 0
    return full_math.mul_div_down(convert(equity_e6, uint256),
                                  self._difference(maintenance_e6, maintenance_after_e6),
                                  convert(maintenance_e6, uint256))


@internal
@pure
def step_terms(equity_e6: int256, maintenance_e6: int256, maintenance_after_e6: int256, schedule_ppm: int256,
               mark_e6: uint256, index_e6: uint256, position_e6: int256, size_e6: uint256) -> (uint256, Terms):
    """
    @notice Twin of node/stf/liquidation.py::step_terms (rules 3-6) for moving size_e6 of
            position_e6 at a Mark (mark_e6, index_e6).
    @return (NO_MARGIN_RELEASED or FIELD_OUT_OF_RANGE, empty) where Python raises, else
            (OK, the Terms).
    """
    fail: Terms = empty(Terms)
    if maintenance_after_e6 > 0 and maintenance_after_e6 >= maintenance_e6:
        return errors.NO_MARGIN_RELEASED, fail
    ok: bool = False
    budget: uint256 = 0
    ok, budget = self.step_budget(equity_e6, maintenance_e6, maintenance_after_e6)
    if not ok or schedule_ppm < 0:
        return errors.FIELD_OUT_OF_RANGE, fail
    # discount = min(index x schedule / 1e6, mark, budget x 1e6 / size), all floored
    by_schedule: uint256 = 0
    ok, by_schedule = full_math.mul_div_down(index_e6, convert(schedule_ppm, uint256), PPM_DENOMINATOR)
    if not ok:
        return errors.FIELD_OUT_OF_RANGE, fail
    by_budget: uint256 = 0
    ok, by_budget = full_math.mul_div_down(budget, E6, size_e6)
    if not ok:
        return errors.FIELD_OUT_OF_RANGE, fail
    discount: uint256 = min(min(by_schedule, mark_e6), by_budget)
    discount_cost: uint256 = 0
    ok, discount_cost = full_math.mul_div_up(size_e6, discount, E6)
    if not ok:
        return errors.FIELD_OUT_OF_RANGE, fail
    # penalty = min(ceil(size x index x 0.25%), floor(size x mark), budget - discount cost)
    by_index: uint256 = 0
    ok, by_index = full_math.mul_div_up(size_e6, index_e6, PENALTY_DIVISOR)
    if not ok:
        return errors.FIELD_OUT_OF_RANGE, fail
    by_mark: uint256 = 0
    ok, by_mark = full_math.mul_div_down(size_e6, mark_e6, E6)
    if not ok:
        return errors.FIELD_OUT_OF_RANGE, fail
    # discount <= floor(budget x 1e6 / size), so ceil(size x discount / 1e6) <= budget
    penalty: uint256 = min(min(by_index, by_mark), budget - discount_cost)
    cash: uint256 = 0
    if position_e6 > 0:  # the liquidator buys the long below the mark
        price: uint256 = mark_e6 - discount
        ok, cash = full_math.mul_div_up(size_e6, price, E6)
        if not ok:
            return errors.FIELD_OUT_OF_RANGE, fail
        return errors.OK, Terms(discount_e6=discount, penalty_e6=penalty, price_e6=price,
                         cash_to_target_e6=convert(cash, int256))
    # the liquidator takes the short and is paid above the mark
    short_price: uint256 = mark_e6 + discount  # below 2**256: mark < 2**255 on any state
    ok, cash = full_math.mul_div_down(size_e6, short_price, E6)
    if not ok:
        return errors.FIELD_OUT_OF_RANGE, fail
    return errors.OK, Terms(discount_e6=discount, penalty_e6=penalty, price_e6=short_price,
                     cash_to_target_e6=-convert(cash, int256))


@internal
@pure
def moved_size(position_e6: int256, requested_e6: uint256) -> (uint256, int256):
    """
    @notice Rule 3 (node/stf/liquidation.py::liquidate_terms_step): the size moved,
            min(requested, |position|), and the liquidator's position change (its sign
            the position's). position_e6 != 0.
    """
    magnitude: uint256 = convert(convert(position_e6, bytes32), uint256)
    if position_e6 < 0:
        magnitude = unsafe_sub(0, magnitude)  # |int256 min| = 2**255 fits
    size: uint256 = min(requested_e6, magnitude)
    if position_e6 > 0:
        return size, convert(size, int256)
    return size, unsafe_sub(0, convert(convert(size, bytes32), int256))  # size <= 2**255: exact


@internal
@pure
def below_maintenance(cash_e6: int256, value_e6: int256, maintenance_e6: int256, complete: int256) -> bool:
    """
    @notice A Query.SUMMARY (cash, value, M, initial, complete) is below maintenance:
            complete and cash + value < M (node/stf/liquidation.py::liquidate_assess_step,
            node/stf/auction.py::end_if_summary_recovered). complete is a register (0 or 1).
    """
    return complete != 0 and cash_e6 + value_e6 < maintenance_e6


@internal
@pure
def risk_reduced(maintenance_before_e6: int256, excess_before_e6: int256, free_cash_e6: int256,
                 equity_e6: int256, maintenance_e6: int256, initial_e6: int256, complete: int256) -> bool:
    """
    @notice Rule 7's risk test (node/stf/liquidation.py::liquidate_risk_step) on the
            liquidator's Query.BACKING after the step: complete, free cash >= 0, a lower
            maintenance and no smaller excess (equity - initial) than before.
    """
    return (complete != 0 and free_cash_e6 >= 0 and maintenance_e6 < maintenance_before_e6
            and equity_e6 - initial_e6 >= excess_before_e6)
