# pragma version 0.4.3
"""
@title option_math test harness
@notice Exposes `lib/option_math.vy` externally, one input or a batch per call, for the
        bit-identity tests and the gas benchmark. Not deployed outside tests.
"""

import lib.option_math as option_math

MAX_BATCH: constant(uint256) = 256


@external
@pure
def exp_wad(x: int256) -> int256:
    return option_math.exp_wad(x)


@external
@pure
def ln_wad(x: int256) -> int256:
    return option_math.ln_wad(x)


@external
@pure
def sqrt_wad(x: uint256) -> uint256:
    return option_math.sqrt_wad(x)


@external
@pure
def norm_cdf_wad(x: int256) -> int256:
    return option_math.norm_cdf_wad(x)


@external
@pure
def norm_pdf_wad(x: int256) -> int256:
    return option_math.norm_pdf_wad(x)


@external
@pure
def years_from_seconds_wad(seconds: uint256) -> uint256:
    return option_math.years_from_seconds_wad(seconds)


@external
@pure
def bs_price(spot: uint256, strike: uint256, t: uint256, vol: uint256, rate: int256, is_call: bool) -> uint256:
    return option_math.bs_price(spot, strike, t, vol, rate, is_call)


@external
@pure
def bs_price_and_greeks(spot: uint256, strike: uint256, t: uint256, vol: uint256, rate: int256, is_call: bool) -> option_math.BSResult:
    return option_math.bs_price_and_greeks(spot, strike, t, vol, rate, is_call)


struct BSInput:
    spot: uint256
    strike: uint256
    t: uint256
    vol: uint256
    rate: int256
    is_call: bool


@external
@pure
def bs_price_batch(inputs: DynArray[BSInput, MAX_BATCH]) -> DynArray[uint256, MAX_BATCH]:
    out: DynArray[uint256, MAX_BATCH] = []
    for i: BSInput in inputs:
        out.append(option_math.bs_price(i.spot, i.strike, i.t, i.vol, i.rate, i.is_call))
    return out


@external
@pure
def bs_greeks_batch(inputs: DynArray[BSInput, MAX_BATCH]) -> DynArray[option_math.BSResult, MAX_BATCH]:
    out: DynArray[option_math.BSResult, MAX_BATCH] = []
    for i: BSInput in inputs:
        out.append(option_math.bs_price_and_greeks(i.spot, i.strike, i.t, i.vol, i.rate, i.is_call))
    return out


@external
@pure
def int_batch(fn: uint256, xs: DynArray[int256, MAX_BATCH]) -> DynArray[int256, MAX_BATCH]:
    """
    @notice Apply one primitive to many inputs: 0 exp_wad, 1 ln_wad, 2 norm_cdf_wad,
            3 norm_pdf_wad, 4 sqrt_wad (inputs must be non-negative).
    """
    out: DynArray[int256, MAX_BATCH] = []
    for x: int256 in xs:
        if fn == 0:
            out.append(option_math.exp_wad(x))
        elif fn == 1:
            out.append(option_math.ln_wad(x))
        elif fn == 2:
            out.append(option_math.norm_cdf_wad(x))
        elif fn == 3:
            out.append(option_math.norm_pdf_wad(x))
        else:
            out.append(convert(option_math.sqrt_wad(convert(x, uint256)), int256))
    return out
