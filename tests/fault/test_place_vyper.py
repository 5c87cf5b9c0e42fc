"""The pure parts of placing an order on L1 (``contracts/fault/lib/matching.vy``) against
``node/stf/matching.py`` / ``node/stf/book.py``: fees, premium, price order, and the
PlaceOrder / CancelOrder bodies read back from an envelope, through the harness
``contracts/test/fault_place_harness.vy``."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf import book
from node.stf.matching import fill_fee, premium_e6
from node.stf.params import MAX_PRICE_E6, MAX_SIZE_E6
from node.stf.tx_codec import decode_unsigned, encode_tx
from node.stf.txtypes import CancelOrder, PlaceOrder
from tests.fault.pure_harness import PureHarness

U64 = 2**64 - 1
PLACE = "(uint256,uint256,uint256,uint256,uint256,uint256,bool,uint256,uint256)"
CANCEL = "(uint256,uint256,uint256)"


@pytest.fixture(scope="module")
def harness():
    return PureHarness("test/fault_place_harness.vy")


sizes = st.one_of(st.integers(0, MAX_SIZE_E6), st.sampled_from([0, 1, MAX_SIZE_E6]))
prices = st.one_of(st.integers(0, MAX_PRICE_E6), st.sampled_from([0, 1, MAX_PRICE_E6]))


@settings(max_examples=300, deadline=None)
@given(sizes, prices, st.integers(0, U64), st.integers(0, 10**6), st.integers(0, 10**6))
def test_fill_fee_equals_python(harness, size, price, index, fee_ppm, cap_ppm) -> None:
    [vy] = harness.try_call("fill_fee(uint256,uint256,uint256,uint256,uint256)", ["uint256"] * 5,
                 [size, price, index, fee_ppm, cap_ppm], ["uint256"])
    assert vy == fill_fee(size, price, index, fee_ppm, cap_ppm)


@settings(max_examples=300, deadline=None)
@given(prices, sizes, st.sampled_from([0, 1]))
def test_premium_rounds_as_python(harness, price, size, side) -> None:
    [vy] = harness.try_call("premium_e6(uint256,uint256,uint256)", ["uint256"] * 3, [price, size, side], ["uint256"])
    assert vy == premium_e6(price, size, side)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([0, 1]), prices, prices)
def test_price_order_equals_python(harness, side, a, b) -> None:
    [better] = harness.try_call("is_better(uint256,uint256,uint256)", ["uint256"] * 3, [side, a, b], ["bool"])
    [cross] = harness.try_call("crosses(uint256,uint256,uint256)", ["uint256"] * 3, [side, a, b], ["bool"])
    assert better == book.is_better(side, a, b)
    assert cross == book.crosses(side, a, b)


def _sig(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(2), rng.randrange(1, 2**256), rng.randrange(1, 2**255)


def test_bodies_read_back_as_python(harness) -> None:
    """Random PlaceOrder / CancelOrder envelopes at their field bounds decode to the body
    Python decodes; another kind, a truncated envelope and trailing bytes revert."""
    h = harness
    rng = random.Random(11)
    edge = lambda bits: rng.choice([0, 1, 127, 128, 255, 256, 2**bits - 1, rng.randrange(2**bits)])  # noqa: E731
    for _ in range(60):
        body = PlaceOrder(edge(64), edge(32), rng.randrange(2), edge(64), edge(64), rng.randrange(4),
                          rng.random() < 0.5, edge(64), edge(64))
        raw = encode_tx(body, _sig(rng))
        assert decode_unsigned(raw)[0] == body
        [got] = h.try_call("decode_place(bytes)", ["bytes"], [raw], [PLACE])
        assert PlaceOrder(*got) == body
        assert h.try_call("decode_place(bytes)", ["bytes"], [raw[:-1]], [PLACE]) is None
        assert h.try_call("decode_place(bytes)", ["bytes"], [raw + b"\x00"], [PLACE]) is None
        assert h.try_call("decode_cancel(bytes)", ["bytes"], [raw], [CANCEL]) is None
        cancel = CancelOrder(edge(64), edge(64), edge(64))
        raw = encode_tx(cancel, _sig(rng))
        [got] = h.try_call("decode_cancel(bytes)", ["bytes"], [raw], [CANCEL])
        assert CancelOrder(*got) == cancel
        assert h.try_call("decode_place(bytes)", ["bytes"], [raw], [PLACE]) is None
