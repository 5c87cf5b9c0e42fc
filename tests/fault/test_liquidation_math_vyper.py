"""contracts/fault/lib/liquidation_math.vy and full_math.vy compute what
node/stf/liquidation.py and node/stf/fixedpoint.py compute.

Through the harness (contracts/test/liquidation_math_harness.vy) on revm, against the Python
functions themselves: the 512-bit multiply-divide (quotients at the uint256 edge, zero
divisors), the discount schedule (before, at and after every 10 s boundary and the cap,
negative elapsed times), the budget, the terms of a step (longs and shorts, each cap of the
discount and the penalty binding, NO_MARGIN_RELEASED, the arithmetic failures Python raises
as FixedPointOverflow), the size moved and the margin-sum decisions. Inputs are drawn both
realistic (e6 amounts of a trading account) and at the int256 / uint256 extremes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from node.stf import liquidation
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import FixedPointOverflow, mul_div_down, mul_div_up
from node.stf.records import Mark
from tests.fault.pure_harness import PureHarness

U256 = 2**256 - 1
I256_MIN, I256_MAX = -(2**255), 2**255 - 1
TERMS = "(uint256,uint256,uint256,int256)"
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def harness():
    return PureHarness("test/liquidation_math_harness.vy")


def edgy(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Integers in [lo, hi], often at or next to the ends and zero."""
    ends = st.sampled_from([lo, hi, lo + 1, hi - 1, 0, 1, -1]).filter(lambda x: lo <= x <= hi)
    return st.one_of(st.integers(lo, hi), ends)


def python_or_overflow(fn, *args):
    try:
        return True, fn(*args)
    except FixedPointOverflow:
        return False, 0


# ---------------------------------------------------------------------------------------
# full_math


@SETTINGS
@given(a=st.one_of(edgy(0, U256), edgy(0, 2**128)), b=st.one_of(edgy(0, U256), edgy(0, 2**128)),
       d=st.one_of(edgy(0, U256), edgy(0, 10**12), st.sampled_from([2**k for k in range(256)])))
@example(a=U256, b=U256, d=U256)
@example(a=U256, b=U256, d=U256 - 1)
@example(a=2**255, b=2, d=1)
@example(a=2**200, b=2**200, d=2**144 + 1)
def test_mul_div(harness, a, b, d):
    for name, fn in (("mul_div_down", mul_div_down), ("mul_div_up", mul_div_up)):
        got = harness(f"{name}(uint256,uint256,uint256)", ["uint256"] * 3, [a, b, d], ["bool", "uint256"])
        assert got == python_or_overflow(fn, a, b, d), (name, a, b, d)


@SETTINGS
@given(q=edgy(0, U256), d=st.one_of(edgy(1, U256), edgy(1, 10**9)), r=st.integers(0, 2**64))
def test_mul_div_exact_quotients(harness, q, d, r):
    """Products built from a known quotient: a x b = q x d + r, around the overflow edge."""
    a, b = q, d  # a x b / d == q exactly; with the remainder below, rounding up moves it by one
    for (x, y, z) in ((a, b, d), (q * d + r % d, 1, d)):
        if x > U256:
            continue
        for name, fn in (("mul_div_down", mul_div_down), ("mul_div_up", mul_div_up)):
            got = harness(f"{name}(uint256,uint256,uint256)", ["uint256"] * 3, [x, y, z], ["bool", "uint256"])
            assert got == python_or_overflow(fn, x, y, z)


# ---------------------------------------------------------------------------------------
# discount schedule and budget


@SETTINGS
@given(elapsed=st.one_of(edgy(-1000, 1000), edgy(-(2**199), 2**199), edgy(I256_MIN, I256_MAX)))
@example(elapsed=449)
@example(elapsed=450)
@example(elapsed=-51)
def test_discount_ppm(harness, elapsed):
    expected = liquidation.discount_ppm(elapsed)
    if abs(elapsed) >= 2**200:  # exact only for |elapsed| < 2**200 (times are uint64)
        if expected > -(2**200):
            assert harness("discount_ppm(int256)", ["int256"], [elapsed], ["int256"]) == (expected,)
        return
    assert harness("discount_ppm(int256)", ["int256"], [elapsed], ["int256"]) == (expected,)


def python_budget(e, m, m2):
    try:
        return True, liquidation.step_budget(e, m, m2)
    except FixedPointOverflow:
        return False, 0


@SETTINGS
@given(e=st.one_of(edgy(I256_MIN, I256_MAX), edgy(-(10**18), 10**18)),
       m=st.one_of(edgy(I256_MIN, I256_MAX), edgy(0, 10**18)),
       m2=st.one_of(edgy(I256_MIN, I256_MAX), edgy(0, 10**18)))
@example(e=I256_MAX, m=I256_MAX, m2=I256_MIN)
@example(e=1, m=1, m2=0)
def test_step_budget(harness, e, m, m2):
    got = harness("step_budget(int256,int256,int256)", ["int256"] * 3, [e, m, m2], ["bool", "uint256"])
    assert got == python_budget(e, m, m2)


# ---------------------------------------------------------------------------------------
# terms


def mark_of(mark_e6: int, index_e6: int) -> Mark:
    return Mark(mark_e6=mark_e6, index_e6=index_e6, vol_e6=650_000, time=0, underlying_id=1, is_call=True,
                scenario_pnl_e6=(), delta=0, gamma=0, vega=0, theta=0)


def python_terms(e, m, m2, schedule, mark_e6, index_e6, position, size):
    """(code, terms) as the Vyper twin answers; None where the result does not fit a register."""
    try:
        t = liquidation.step_terms(e, m, m2, schedule, mark_of(mark_e6, index_e6), position, size)
    except TxFailure as failure:
        return int(failure.code), (0, 0, 0, 0)
    except FixedPointOverflow:
        return int(FailureCode.FIELD_OUT_OF_RANGE), (0, 0, 0, 0)
    if not (t.price_e6 <= U256 and I256_MIN < t.cash_to_target_e6 <= I256_MAX):
        return None
    return 0, tuple(t)


def check_terms(harness, e, m, m2, schedule, mark_e6, index_e6, position, size):
    expected = python_terms(e, m, m2, schedule, mark_e6, index_e6, position, size)
    args = [e, m, m2, schedule, mark_e6, index_e6, position, size]
    types = ["int256"] * 4 + ["uint256", "uint256", "int256", "uint256"]
    if expected is None:
        result = harness.runner.call(harness.address, harness.build.selector(
            "step_terms(int256,int256,int256,int256,uint256,uint256,int256,uint256)") + encode(types, args))
        assert not result.success  # unrepresentable in a cursor register: reverts
        return None
    got = harness("step_terms(int256,int256,int256,int256,uint256,uint256,int256,uint256)", types, args,
                  ["uint256", TERMS])
    assert got == expected, args
    return expected


from eth_abi import encode  # noqa: E402  (used by check_terms)

REAL = 10**15  # an e6 amount of a very large account


@SETTINGS
@given(e=edgy(-REAL, REAL), m=edgy(0, REAL), m2=edgy(0, REAL), elapsed=st.integers(0, 600),
       mark_e6=edgy(0, 10**12), index_e6=edgy(0, 10**12), position=st.one_of(edgy(-REAL, -1), edgy(1, REAL)),
       size=edgy(1, 2**64 - 1))
def test_step_terms_realistic(harness, e, m, m2, elapsed, mark_e6, index_e6, position, size):
    size = min(size, abs(position))
    check_terms(harness, e, m, m2, liquidation.discount_ppm(elapsed), mark_e6, index_e6, position, size)


@SETTINGS
@given(e=edgy(I256_MIN, I256_MAX), m=edgy(I256_MIN, I256_MAX), m2=edgy(I256_MIN, I256_MAX),
       schedule=st.one_of(edgy(-(10**6), 10**6), edgy(I256_MIN, I256_MAX)), mark_e6=edgy(0, U256),
       index_e6=edgy(0, U256), position=st.one_of(edgy(I256_MIN, -1), edgy(1, I256_MAX)), size=edgy(1, U256))
def test_step_terms_extremes(harness, e, m, m2, schedule, mark_e6, index_e6, position, size):
    check_terms(harness, e, m, m2, schedule, mark_e6, index_e6, position, size)


@pytest.mark.parametrize("case", [
    # (E, M, M', elapsed, mark, index, position, size): which cap binds
    (900, 1_000, 0, 0, 2_000_000, 100_000_000, 5_000_000, 5_000_000),  # budget caps the discount
    (10**12, 10**9, 10**8, 0, 2_000_000, 100_000_000, 5_000_000, 1_000_000),  # the schedule binds
    (10**12, 10**9, 10**8, 10**6, 100, 100_000_000, -5_000_000, 1_000_000),  # the mark caps it (short)
    (-5, 1_000, 10, 30, 2_000_000, 100_000_000, 5_000_000, 3_000_000),  # E <= 0: no budget
    (100, 1_000, 1_000, 0, 1, 1, 1, 1),  # M' >= M: NO_MARGIN_RELEASED
    (100, 1_000, 0, 0, 1, 1, 1, 1),  # M' = 0 is always a release
    (100, 0, -1, 0, 1, 1, 1, 1),  # M = 0 with E > 0: Python raises in the budget
])
def test_step_terms_vectors(harness, case):
    e, m, m2, elapsed, mark_e6, index_e6, position, size = case
    assert check_terms(harness, e, m, m2, liquidation.discount_ppm(elapsed), mark_e6, index_e6, position,
                       size) is not None


def test_step_terms_each_cap_binds(harness):
    """The vectors above reach every branch: discount by schedule, by mark, by budget."""
    seen = set()
    for e, m, m2, elapsed, mark_e6, index_e6, position, size in [
        (900, 1_000, 0, 0, 2_000_000, 100_000_000, 5_000_000, 5_000_000),
        (10**12, 10**9, 10**8, 0, 2_000_000, 100_000_000, 5_000_000, 1_000_000),
        (10**12, 10**9, 10**8, 10**6, 100, 100_000_000, -5_000_000, 1_000_000),
    ]:
        code, terms = check_terms(harness, e, m, m2, liquidation.discount_ppm(elapsed), mark_e6, index_e6,
                                  position, size)
        budget = liquidation.step_budget(e, m, m2)
        caps = {"schedule": index_e6 * liquidation.discount_ppm(elapsed) // 10**6, "mark": mark_e6,
                "budget": budget * 10**6 // size}
        seen |= {name for name, cap in caps.items() if cap == terms[0]}
    assert seen == {"schedule", "mark", "budget"}


# ---------------------------------------------------------------------------------------
# size moved and decisions on margin sums


@SETTINGS
@given(position=st.one_of(edgy(I256_MIN, -1), edgy(1, I256_MAX)), requested=edgy(1, U256))
def test_moved_size(harness, position, requested):
    """As liquidate_terms_step: size = min(requested, |position|), moved signed as the position."""
    size = min(requested, abs(position))
    moved = size if position > 0 else -size
    assert harness("moved_size(int256,uint256)", ["int256", "uint256"], [position, requested],
                   ["uint256", "int256"]) == (size, moved)


SUM = edgy(-(2**200), 2**200)


@SETTINGS
@given(cash=SUM, value=SUM, maintenance=SUM, complete=st.sampled_from([0, 1]))
def test_below_maintenance(harness, cash, value, maintenance, complete):
    """liquidate_assess_step's and auction.end_if_summary_recovered's test on a summary."""
    expected = bool(complete and cash + value < maintenance)
    got = harness("below_maintenance(int256,int256,int256,int256)", ["int256"] * 4,
                  [cash, value, maintenance, complete], ["bool"])
    assert got == (expected,)


@SETTINGS
@given(m_before=SUM, excess_before=SUM, free_cash=SUM, equity=SUM, maintenance=SUM, initial=SUM,
       complete=st.sampled_from([0, 1]))
def test_risk_reduced(harness, m_before, excess_before, free_cash, equity, maintenance, initial, complete):
    """liquidate_risk_step's condition (its negation fails with INSUFFICIENT_MARGIN)."""
    expected = bool(complete and free_cash >= 0 and maintenance < m_before and equity - initial >= excess_before)
    got = harness("risk_reduced(int256,int256,int256,int256,int256,int256,int256)", ["int256"] * 7,
                  [m_before, excess_before, free_cash, equity, maintenance, initial, complete], ["bool"])
    assert got == (expected,)


def test_py_evm_agrees(harness):
    """The devnet's EVM (py-evm) answers the terms vectors and a 512-bit division as revm."""
    from bridge.evm_call import EvmRunner

    runner = EvmRunner()
    address = runner.deploy(harness.build.initcode)
    sig = "step_terms(int256,int256,int256,int256,uint256,uint256,int256,uint256)"
    types = ["int256"] * 4 + ["uint256", "uint256", "int256", "uint256"]
    calls = [(sig, types, [900, 1_000, 0, 5_000, 2_000_000, 100_000_000, 5_000_000, 5_000_000]),
             (sig, types, [10**12, 10**9, 10**8, 50_000, 100, 100_000_000, -5_000_000, 1_000_000]),
             ("mul_div_up(uint256,uint256,uint256)", ["uint256"] * 3, [2**255 + 1, 2**255 - 3, 2**255 + 9])]
    for signature, arg_types, args in calls:
        data = harness.build.selector(signature) + encode(arg_types, args)
        slow, fast = runner.call(address, data), harness.runner.call(harness.address, data)
        assert slow.success and fast.success and slow.output == fast.output, signature
