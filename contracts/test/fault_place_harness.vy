# pragma version 0.4.3
"""
@title place test harness
@notice Exposes the pure parts of `fault/lib/matching.vy` for the differential tests
        against `node/stf/matching.py` and `node/stf/book.py`. Not deployed outside tests.
"""

import fault.lib.matching as matching


@external
@pure
def fill_fee(size_e6: uint256, price_e6: uint256, index_e6: uint256, fee_ppm: uint256, cap_ppm: uint256) -> uint256:
    return matching.fill_fee(size_e6, price_e6, index_e6, fee_ppm, cap_ppm)


@external
@pure
def premium_e6(price_e6: uint256, size_e6: uint256, taker_side: uint256) -> uint256:
    return matching.premium_e6(price_e6, size_e6, taker_side)


@external
@pure
def crosses(taker_side: uint256, taker_price: uint256, maker_price: uint256) -> bool:
    return matching.crosses(taker_side, taker_price, maker_price)


@external
@pure
def is_better(side: uint256, a: uint256, b: uint256) -> bool:
    return matching.is_better(side, a, b)


@external
@pure
def decode_place(envelope: Bytes[matching.MAX_BODY_TX]) -> matching.PlaceOrder:
    return matching.decode_place(envelope)


@external
@pure
def decode_cancel(envelope: Bytes[matching.MAX_BODY_TX]) -> matching.CancelOrder:
    return matching.decode_cancel(envelope)
