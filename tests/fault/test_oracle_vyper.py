"""contracts/fault/lib/oracle_math.vy computes what node/stf/oracle.py computes.

Through the harness (contracts/test/oracle_math_harness.vy) on revm: sequencing checks,
surface validation and interpolation, the smile, and whole Marks (Black-Scholes price,
Greeks and the 23 scenario P&L), on hypothesis-drawn inputs that favour the boundaries
(index 1 whose scenario spots round to 0, strikes at the domain's edge, rates beyond
+-100%, expiry now or past, surfaces at 16 points). Where Python raises a math-domain or
fixed-point error (the step's FIELD_OUT_OF_RANGE) the Vyper twin answers ``ok = False``
and never reverts.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import oracle
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import FixedPointOverflow
from node.stf.optionmath import MathDomainError
from node.stf.params import MAX_PRICE_E6, MAX_VOL_E6, MIN_VOL_E6, SECONDS_PER_DAY
from node.stf.records import Instrument, Mark, Underlying
from node.stf.txtypes import OracleUpdate, VolPoint
from tests.fault.pure_harness import PureHarness

POINT = "(uint256,uint256,int256,uint256)"
POINTS = f"{POINT}[]"
MARK = "(uint256,uint256,uint256,uint256,uint256,bool,int256[],int256,int256,int256,int256)"
NOW = 1_750_000_000
YEAR = 365 * SECONDS_PER_DAY
MARK_GAS_BOUND = 1_500_000  # one ORACLE_MARK's option math (a Mark of 24 Black-Scholes evaluations)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def harness():
    return PureHarness("test/oracle_math_harness.vy")


def call(harness, signature, types, args, out_types):
    return harness.call_gas(signature, types, args, out_types)


# ---------------------------------------------------------------------------------------
# Strategies

def edgy(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, lo + 1, hi - 1]).filter(lambda x: lo <= x <= hi))


vols = st.one_of(edgy(MIN_VOL_E6, MAX_VOL_E6), st.integers(0, 2 * MAX_VOL_E6))
skews = st.one_of(edgy(-oracle.MAX_SKEW_E6, oracle.MAX_SKEW_E6), st.integers(-(2**63), 2**63 - 1))
curvatures = st.one_of(edgy(0, oracle.MAX_CURVATURE_E6), st.integers(0, 2**64 - 1))


@st.composite
def surfaces(draw, valid: bool = True):
    n = draw(st.integers(1, 16))
    start = draw(st.integers(NOW - 30 * SECONDS_PER_DAY, NOW + YEAR))
    gaps = draw(st.lists(st.integers(1 if valid else 0, 400 * SECONDS_PER_DAY), min_size=n, max_size=n))
    expiries, t = [], start
    for gap in gaps:
        expiries.append(t)
        t += gap
    if valid:
        return tuple(VolPoint(e, draw(edgy(MIN_VOL_E6, MAX_VOL_E6)), draw(edgy(-oracle.MAX_SKEW_E6, oracle.MAX_SKEW_E6)),
                              draw(edgy(0, oracle.MAX_CURVATURE_E6))) for e in expiries)
    if draw(st.booleans()):
        expiries = draw(st.permutations(expiries))
    return tuple(VolPoint(e, draw(vols), draw(skews), draw(curvatures)) for e in expiries)


def as_abi(points):
    return [(p.expiry, p.atm_vol_e6, p.skew_e6, p.curvature_e6) for p in points]


def mark_tuple(m: Mark):
    return (m.mark_e6, m.index_e6, m.vol_e6, m.time, m.underlying_id, m.is_call, tuple(m.scenario_pnl_e6),
            m.delta, m.gamma, m.vega, m.theta)


# ---------------------------------------------------------------------------------------
# Checks


@SETTINGS
@given(last_seq=edgy(0, 2**64 - 1), last_obs=st.integers(NOW - 200, NOW + 200), now=st.integers(NOW - 100, NOW + 100),
       seq=edgy(0, 2**64 - 1), obs=st.integers(NOW - 200, NOW + 200))
def test_check_sequencing(harness, last_seq, last_obs, now, seq, obs):
    underlying = Underlying(b"ETH", 1, 0, (), (), last_seq, last_obs)
    tx = OracleUpdate(0, 1, seq, obs, 1, ())
    try:
        oracle.check_sequencing(underlying, now, tx)
        expected = FailureCode.OK
    except TxFailure as failure:
        expected = failure.code
    (code,), _ = call(harness, "check_sequencing(uint256,uint256,uint256,uint256,uint256)", ["uint256"] * 5,
                      [last_seq, last_obs, now, seq, obs], ["uint256"])
    assert code == expected


@SETTINGS
@given(points=st.one_of(surfaces(valid=True), surfaces(valid=False)))
def test_validate_surface(harness, points):
    try:
        oracle.validate_surface(points)
        expected = FailureCode.OK
    except TxFailure as failure:
        expected = failure.code
    (code,), _ = call(harness, f"validate_surface({POINTS})", [POINTS], [as_abi(points)], ["uint256"])
    assert code == expected


def test_validate_surface_empty(harness):
    (code,), _ = call(harness, f"validate_surface({POINTS})", [POINTS], [[]], ["uint256"])
    assert code == FailureCode.BAD_VOL_SURFACE


@SETTINGS
@given(points=surfaces(), expiry=st.integers(NOW - 60 * SECONDS_PER_DAY, NOW + 8 * YEAR), pick=st.integers(0, 15))
def test_surface_params(harness, points, expiry, pick):
    if pick < len(points) and pick % 2:
        expiry = points[pick].expiry  # exactly on a point
    out, _ = call(harness, f"surface_params({POINTS},uint256)", [POINTS, "uint256"], [as_abi(points), expiry],
                  ["int256", "int256", "int256"])
    assert out == oracle.surface_params(points, expiry)


@SETTINGS
@given(atm=edgy(MIN_VOL_E6, MAX_VOL_E6), skew=edgy(-oracle.MAX_SKEW_E6, oracle.MAX_SKEW_E6),
       curvature=edgy(0, oracle.MAX_CURVATURE_E6), strike=edgy(1, MAX_PRICE_E6), index=edgy(1, MAX_PRICE_E6))
def test_smile_vol(harness, atm, skew, curvature, strike, index):
    (vol,), _ = call(harness, "smile_vol_e6(int256,int256,int256,uint256,uint256)",
                     ["int256", "int256", "int256", "uint256", "uint256"], [atm, skew, curvature, strike, index],
                     ["int256"])
    assert vol == oracle.smile_vol_e6(atm, skew, curvature, strike, index)


# ---------------------------------------------------------------------------------------
# Marks


def python_mark(strike, expiry, is_call, underlying_id, index, points, rate, now, settled):
    inst = Instrument(underlying_id, expiry, strike, is_call, 1, 1)
    underlying = Underlying(b"ETH", index, now, points)
    try:
        return oracle.compute_mark(inst, underlying, rate, now, settled)
    except (MathDomainError, FixedPointOverflow):
        return None


def vyper_mark(harness, strike, expiry, is_call, underlying_id, index, points, rate, now, settled):
    (ok, mark), gas = call(
        harness, f"compute_mark(uint256,uint256,bool,uint256,uint256,{POINTS},int256,uint256,uint256)",
        ["uint256", "uint256", "bool", "uint256", "uint256", POINTS, "int256", "uint256", "uint256"],
        [strike, expiry, is_call, underlying_id, index, as_abi(points), rate, now, settled], ["bool", MARK])
    return (mark if ok else None), gas


def check_mark(harness, *args):
    expected = python_mark(*args)
    got, gas = vyper_mark(harness, *args)
    assert (got is None) == (expected is None), (args, expected)
    if expected is not None:
        assert tuple(got) == mark_tuple(expected), args
    return gas


indices = st.one_of(edgy(1, MAX_PRICE_E6), st.integers(1, 10), st.integers(10**8, 10**11))
strikes = st.one_of(edgy(1, MAX_PRICE_E6), st.integers(1, 10), st.integers(10**8, 10**11),
                    edgy(10**24 - 5, 10**24 + 5), st.integers(0, 2**64 - 1))
rates = st.one_of(edgy(-(10**6), 10**6), st.integers(-(2 * 10**6), 2 * 10**6), st.integers(0, 100_000))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strike=strikes, to_expiry=st.one_of(edgy(-YEAR, 5 * YEAR), st.sampled_from([0, 1, 7 * SECONDS_PER_DAY,
                                                                                 7 * SECONDS_PER_DAY + 1,
                                                                                 30 * SECONDS_PER_DAY,
                                                                                 90 * SECONDS_PER_DAY + 1])),
       is_call=st.booleans(), underlying_id=edgy(0, 2**32 - 1), index=indices, points=surfaces(), rate=rates,
       settled=st.one_of(st.just(0), edgy(1, MAX_PRICE_E6), st.integers(1, 2**64)))
def test_compute_mark(harness, strike, to_expiry, is_call, underlying_id, index, points, rate, settled):
    check_mark(harness, strike, NOW + to_expiry, is_call, underlying_id, index, points, rate, NOW, settled)


@pytest.mark.parametrize("index", [1, 2, 3, 5])
def test_tiny_index_fails_like_python(harness, index):
    """Index 1: every scenario spot below 100% rounds to 0, outside Black-Scholes' domain
    (Python: MathDomainError, the update fails); index 2 keeps the -30% spot at 1."""
    points = (VolPoint(NOW + 30 * SECONDS_PER_DAY, 500_000, 0, 0),)
    expected = python_mark(1, NOW + 30 * SECONDS_PER_DAY, True, 1, index, points, 0, NOW, 0)
    assert (expected is None) == (index == 1)
    check_mark(harness, 1, NOW + 30 * SECONDS_PER_DAY, True, 1, index, points, 0, NOW, 0)


def test_mark_gas_worst_case(harness):
    """The largest option-math work of one ORACLE_MARK: 16 surface points, interpolation
    near the last, both branches of the normal CDF; measured for calls and puts."""
    points = tuple(VolPoint(NOW + (i + 1) * 90 * SECONDS_PER_DAY, 200_000 + i * 50_000, -3 * 10**6, 50 * 10**6)
                   for i in range(16))
    worst = 0
    for is_call in (True, False):
        for strike in (1, 10**9, 3 * 10**9, MAX_PRICE_E6):
            for to_expiry in (1, 5 * YEAR - 1, 1400 * SECONDS_PER_DAY + 1):
                worst = max(worst, check_mark(harness, strike, NOW + to_expiry, is_call, 7, 3 * 10**9, points,
                                              50_000, NOW, 0))
    print(f"compute_mark worst gas {worst}")
    assert worst <= MARK_GAS_BOUND
