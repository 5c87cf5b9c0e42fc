"""contracts/fault/lib/settle_math.vy and haircut.vy compute what node/stf/settlement.py,
haircut.py and solvency.py compute.

Through the harness (contracts/test/settle_math_harness.vy) on revm, against the Python
functions themselves (``accumulate_expiry`` and ``cover_deficit`` on a real ``State``):
the settlement-price TWAP (window not open, partly covered, fixed, final, no index yet,
expiries before the window's length), the cash of a settled position (rounding down for
longs, up for shorts), and the loss index (cut on read, totals on write, socialising
with the index floor, fees repaying unbacked loss, the deficit's order of payers).
States are drawn consistent with the invariants the STF keeps (an account's loss index
at or above the current one; the scaled total at or above one account's part).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import haircut, keys, settlement, solvency
from node.stf.backends import MemoryBackend
from node.stf.fixedpoint import E6, mul_div_down, mul_div_up
from node.stf.records import Account, Globals, SettlementPrice, Underlying
from node.stf.state import State
from tests.fault.pure_harness import PureHarness

GLOBALS = "(" + ",".join(["uint256"] * 17) + ")"
SETTLEMENT = "(uint256,uint256,uint256)"
NOW = 1_750_000_000
WINDOW = settlement.SETTLEMENT_WINDOW
ONE = haircut.LOSS_INDEX_ONE

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def harness():
    return PureHarness("test/settle_math_harness.vy")


def edgy(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, lo + 1, hi - 1]).filter(lambda x: lo <= x <= hi))


def as_tuple(record) -> tuple[int, ...]:
    return tuple(getattr(record, f.name) for f in dataclasses.fields(record))


# ---------------------------------------------------------------------------------------
# Settlement price


@SETTINGS
@given(index=st.one_of(st.just(0), edgy(1, 10**15)), oracle_offset=st.integers(-2 * WINDOW, 2 * WINDOW),
       now_offset=st.integers(-2 * WINDOW, 2 * WINDOW), expiry=st.one_of(st.just(NOW), edgy(0, 2 * WINDOW)),
       stored=st.one_of(st.none(), st.builds(SettlementPrice, edgy(0, 10**15 * WINDOW), edgy(0, WINDOW),
                                             st.one_of(st.just(0), edgy(1, 10**15)))))
def test_accumulate_expiry(harness, index, oracle_offset, now_offset, expiry, stored):
    now = max(expiry + now_offset, 0)
    oracle_time = min(max(expiry + oracle_offset, 0), now)  # the last update is never after this one
    state = State(MemoryBackend())
    key = keys.settlement(3, expiry)
    if stored is not None:
        state.put(key, stored)
        state.commit_block()
    added = settlement.accumulate_expiry(state, 3, Underlying(b"ETH", index, oracle_time), now, expiry)
    write = key in state.dirty_keys()
    after = state.get(key)
    got = harness(f"accumulate_expiry(uint256,uint256,uint256,uint256,{SETTLEMENT})",
                  ["uint256"] * 4 + [SETTLEMENT],
                  [index, oracle_time, now, expiry, as_tuple(stored or SettlementPrice())],
                  ["bool", SETTLEMENT, "bool"])
    assert got[0] == write and got[2] == added
    if write:
        assert got[1] == as_tuple(after)


def test_accumulate_expiry_fixes_a_twap(harness):
    """A hand-checked window: 1,000 for the first 600 s, then 1,300 until expiry: the
    price is (1,000 x 600 + 1,300 x 1,200) / 1,800 = 1,200."""
    expiry = NOW
    record = SettlementPrice()
    (write, record, added) = harness(f"accumulate_expiry(uint256,uint256,uint256,uint256,{SETTLEMENT})",
                                     ["uint256"] * 4 + [SETTLEMENT],
                                     [1000, expiry - 7200, expiry - 1200, expiry, as_tuple(record)],
                                     ["bool", SETTLEMENT, "bool"])
    assert write and added and record == (600_000, 600, 0)
    (write, record, added) = harness(f"accumulate_expiry(uint256,uint256,uint256,uint256,{SETTLEMENT})",
                                     ["uint256"] * 4 + [SETTLEMENT],
                                     [1300, expiry - 1200, expiry + 5, expiry, record],
                                     ["bool", SETTLEMENT, "bool"])
    assert write and not added and record == (600_000 + 1_560_000, 1800, 1200)


# ---------------------------------------------------------------------------------------
# Settlement cash


@SETTINGS
@given(size=st.one_of(edgy(1, 10**15), edgy(-(10**15), -1), st.integers(-(2**100), 2**100).filter(bool)),
       intrinsic=st.one_of(st.just(0), edgy(1, 10**15), st.integers(0, 2**100)))
def test_settle_cash(harness, size, intrinsic):
    if size > 0:
        amount = mul_div_down(size, intrinsic, E6)
        expected = (amount, 0, amount)
    else:
        paid = mul_div_up(-size, intrinsic, E6)
        expected = (-paid, paid, 0)
    assert harness("settle_cash(int256,uint256)", ["int256", "uint256"], [size, intrinsic],
                   ["int256", "uint256", "uint256"]) == expected


# ---------------------------------------------------------------------------------------
# Loss index


indices = st.one_of(edgy(1, ONE), st.integers(ONE // 2, ONE))
amounts = st.one_of(st.just(0), edgy(1, 10**15), st.integers(0, 2**90))


@st.composite
def globals_records(draw, index=None):
    return Globals(
        fee_pool_e6=draw(amounts), insurance_fund_e6=draw(amounts), unbacked_loss_e6=draw(amounts),
        loss_index=draw(indices) if index is None else index, scaled_positive_e6=draw(amounts),
        haircut_due_e6=draw(amounts), settlement_paid_in_e6=draw(amounts), next_order_id=draw(amounts))


@SETTINGS
@given(balance=st.one_of(edgy(-(2**90), 2**90), st.just(0)), index=indices, gap=st.integers(0, ONE))
def test_apply(harness, balance, index, gap):
    written_at = min(index + gap, ONE)
    expected = haircut.apply(Account(balance, loss_index=written_at), index)
    got = harness("apply(int256,uint256,uint256)", ["int256", "uint256", "uint256"], [balance, written_at, index],
                  ["int256", "uint256"])
    assert got == (expected.balance_e6, expected.loss_index)


@SETTINGS
@given(data=st.data(), old_found=st.booleans(), old_balance=st.one_of(edgy(-(2**80), 2**80), st.just(0)),
       new_balance=st.one_of(edgy(-(2**80), 2**80), st.just(0)), gap=st.one_of(st.just(0), st.integers(0, ONE)))
def test_on_write(harness, data, old_found, old_balance, new_balance, gap):
    g = data.draw(globals_records())
    written_at = min(g.loss_index + gap, ONE)
    old = Account(old_balance, loss_index=written_at) if old_found else None
    if old_found and old_balance > 0:  # the totals hold at least this account's part
        g = dataclasses.replace(g, scaled_positive_e6=g.scaled_positive_e6 + old_balance * ONE // written_at)
    expected = haircut.on_write(g, old, new_balance)
    changed, got = harness(f"on_write({GLOBALS},bool,int256,uint256,int256)",
                           [GLOBALS, "bool", "int256", "uint256", "int256"],
                           [as_tuple(g), old_found, old_balance, written_at, new_balance], ["bool", GLOBALS])
    assert changed == (expected is not None)
    assert got == as_tuple(expected if expected is not None else g)


@SETTINGS
@given(g=globals_records(), loss=st.one_of(amounts, st.integers(0, 2**100)))
def test_socialise(harness, g, loss):
    (got,) = harness(f"socialise({GLOBALS},uint256)", [GLOBALS, "uint256"], [as_tuple(g), loss], [GLOBALS])
    assert got == as_tuple(haircut.socialise(g, loss))


@SETTINGS
@given(g=globals_records(), fees=amounts)
def test_collect_fees(harness, g, fees):
    (got,) = harness(f"collect_fees({GLOBALS},uint256)", [GLOBALS, "uint256"], [as_tuple(g), fees], [GLOBALS])
    assert got == as_tuple(haircut.collect_fees(g, fees))


@SETTINGS
@given(g=globals_records(), deficit=st.one_of(edgy(1, 10**15), st.integers(1, 2**90)))
def test_cover_deficit(harness, g, deficit):
    state = State(MemoryBackend())
    address = b"\x11" * 20
    state.put(keys.GLOBALS, g)
    state.put(keys.account(address), Account(-deficit, loss_index=g.loss_index))
    assert solvency.cover_deficit(state, address) == deficit
    (got,) = harness(f"cover({GLOBALS},uint256)", [GLOBALS, "uint256"], [as_tuple(g), deficit], [GLOBALS])
    assert got == as_tuple(state.get(keys.GLOBALS))
