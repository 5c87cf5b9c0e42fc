# pragma version 0.4.3
"""
@title option_math
@notice Fixed-point exp, ln, sqrt, the standard normal CDF and density, and
        Black-Scholes price and Greeks, bit-identical to `node/stf/optionmath.py`.
@dev Public functions take and return WAD (1e18) integers; internally values are
     binary fixed point Q64 (2**64 is 1.0), rescaled with `>>` (SAR on int256: floors,
     like Python's `>>`). Every `unsafe_*` below is safe on the documented domain: the
     Python twin notes each bound (largest intermediate about 2**249), and the test
     `tests/contracts/test_option_math_vyper.py` checks equality on random inputs.
     Functions are `@internal`: import the module and call `option_math.bs_price(...)`.
     Reverts are prefixed "option_math:".
"""

# Scales
WAD: constant(int256) = 10**18
Q64: constant(int256) = 2**64
HALF_Q64: constant(int256) = 2**63
SECONDS_PER_YEAR: constant(uint256) = 31536000

# Domain
MAX_PRICE_WAD: constant(uint256) = 10**36
MAX_T_WAD: constant(uint256) = 10 * 10**18
MAX_VOL_WAD: constant(uint256) = 10 * 10**18
MAX_RATE_WAD: constant(int256) = 10**18
MAX_SECONDS: constant(uint256) = 2**64
EXP_WAD_MAX: constant(int256) = 135 * 10**18
EXP_WAD_MIN: constant(int256) = -42 * 10**18
SQRT_WAD_MAX: constant(uint256) = max_value(uint256) // 10**18
CDF_WAD_LIMIT: constant(int256) = 9 * 10**18
PDF_WAD_LIMIT: constant(int256) = 10 * 10**18

# Q64 constants
LN2_Q128: constant(int256) = 235865763225513294137944142764154484399
INV_LN2_Q64: constant(int256) = 26613026195688644983
SQRT2_Q64: constant(int256) = 26087635650665564424
LN_WAD_Q64: constant(int256) = 764553562531197642354
INV_SQRT_2PI_Q64: constant(int256) = 7359186146747302452
WAD_TO_Q64_MUL: constant(int256) = 1461501637330902918203684832716
RT_MUL: constant(int256) = 6277101735386680763836
EXP_Q64_MIN: constant(int256) = -45 * 2**64
CDF_CENTRAL_LIMIT_Q64: constant(int256) = 2 * 2**64
CDF_LIMIT_Q64: constant(int256) = 9 * 2**64
PDF_LIMIT_Q64: constant(int256) = 10 * 2**64
TAIL_T_NUM: constant(int256) = 5 * 2**128
TAIL_T_BASE: constant(int256) = 5 * 2**64
TAIL_T_CENTRE_Q64: constant(int256) = 9882184325201545508
W_MIN_Q64: constant(int256) = 2**34

# ln(y) = 2 s P(s^2): coefficients of P, Q64
LN7: constant(int256) = 1365954684143863359
LN6: constant(int256) = 1412331439371739167
LN5: constant(int256) = 1677143999678938138
LN4: constant(int256) = 2049635909304835204
LN3: constant(int256) = 2635249170838907738
LN2: constant(int256) = 3689348814677562372
LN1: constant(int256) = 6148914691236607501
LN0: constant(int256) = 18446744073709551595

# N(x) - 0.5 = x P(x^2 / 4) for |x| < 2: coefficients of P, Q64
CDF_C13: constant(int256) = -143684968367
CDF_C12: constant(int256) = 1950150095369
CDF_C11: constant(int256) = -15459132822003
CDF_C10: constant(int256) = 97794583973950
CDF_C9: constant(int256) = -545616699342375
CDF_C8: constant(int256) = 2748033636776233
CDF_C7: constant(int256) = -12459798862779687
CDF_C6: constant(int256) = 50319165649934994
CDF_C5: constant(int256) = -178404501963478926
CDF_C4: constant(int256) = 545124898432220295
CDF_C3: constant(int256) = -1401749742138711591
CDF_C2: constant(int256) = 2943674458695070849
CDF_C1: constant(int256) = -4906124097831475835
CDF_C0: constant(int256) = 7359186146747302301

# 1 - N(x) = exp(-x^2 / 2) P(4 (t - centre)), t = 5 / (5 + x), 2 <= x < 9: P, Q64
CDF_T12: constant(int256) = 32070493291
CDF_T11: constant(int256) = 47993927557
CDF_T10: constant(int256) = -1058817812811
CDF_T9: constant(int256) = -6383742664263
CDF_T8: constant(int256) = 8602421567097
CDF_T7: constant(int256) = 356973352319252
CDF_T6: constant(int256) = 2942173950662503
CDF_T5: constant(int256) = 15867792984663125
CDF_T4: constant(int256) = 65643066223244808
CDF_T3: constant(int256) = 220943906106481943
CDF_T2: constant(int256) = 622369916603275108
CDF_T1: constant(int256) = 1488188703811246311
CDF_T0: constant(int256) = 1619425423576486762


struct BSResult:
    price: uint256
    delta: int256
    gamma: uint256
    vega: uint256
    theta: int256


# ---------------------------------------------------------------------------------
# Conversions


@internal
@pure
def years_from_seconds_wad(seconds: uint256) -> uint256:
    """
    @notice Seconds to years in WAD over a 365-day year, rounded down.
    """
    assert seconds <= MAX_SECONDS, "option_math: duration out of range"
    return unsafe_div(unsafe_mul(seconds, 10**18), SECONDS_PER_YEAR)


# ---------------------------------------------------------------------------------
# exp and ln in Q64


@internal
@pure
def _exp_parts(x: int256) -> (int256, int256):
    # exp(x) ~ p * 2**k / 2**64; |x| < 2**70
    k: int256 = unsafe_add(unsafe_mul(x, INV_LN2_Q64), 2**127) >> 128
    r: int256 = unsafe_sub(x, unsafe_mul(k, LN2_Q128) >> 64)
    r2: int256 = unsafe_mul(r, r) >> 64
    e: int256 = unsafe_mul(unsafe_add(unsafe_mul(unsafe_add(r2, 840 * Q64), r2) >> 64, 75600 * Q64), r2)
    e = unsafe_add(e >> 64, 665280 * Q64)
    o: int256 = unsafe_add(unsafe_mul(unsafe_add(unsafe_mul(42, r2), 10080 * Q64), r2) >> 64, 332640 * Q64)
    o = unsafe_mul(r, o) >> 64
    return unsafe_div(unsafe_add(e, o) << 64, unsafe_sub(e, o)), k


@internal
@pure
def _exp_q64(x: int256) -> int256:
    # exp(x) in Q64, floored; 0 below -45; callers keep x <= 40 * Q64
    if x < EXP_Q64_MIN:
        return 0
    p: int256 = 0
    k: int256 = 0
    p, k = self._exp_parts(x)
    if k >= 0:
        return p << convert(k, uint256)
    return p >> convert(unsafe_sub(0, k), uint256)


@internal
@pure
def _msb(x: uint256) -> uint256:
    # floor(log2(x)) for x > 0 (Python: x.bit_length() - 1)
    r: uint256 = convert(x > 2**128 - 1, uint256) << 7
    r = r | (convert((x >> r) > 2**64 - 1, uint256) << 6)
    r = r | (convert((x >> r) > 2**32 - 1, uint256) << 5)
    r = r | (convert((x >> r) > 65535, uint256) << 4)
    r = r | (convert((x >> r) > 255, uint256) << 3)
    r = r | (convert((x >> r) > 15, uint256) << 2)
    r = r | (convert((x >> r) > 3, uint256) << 1)
    return r | convert((x >> r) > 1, uint256)


@internal
@pure
def _ln_q64(v: uint256, frac_bits: int256) -> int256:
    # ln(v * 2**-frac_bits) in Q64, 0 < v < 2**255
    e: int256 = convert(self._msb(v), int256)
    y: int256 = 0
    if e >= 64:
        y = convert(v >> convert(unsafe_sub(e, 64), uint256), int256)
    else:
        y = convert(v << convert(unsafe_sub(64, e), uint256), int256)
    s: int256 = 0
    if y >= SQRT2_Q64:
        e = unsafe_add(e, 1)
        s = unsafe_sub(0, unsafe_div(unsafe_sub(2 * Q64, y) << 64, unsafe_add(y, 2 * Q64)))
    else:
        s = unsafe_div(unsafe_sub(y, Q64) << 64, unsafe_add(y, Q64))
    z: int256 = unsafe_mul(s, s) >> 64
    p: int256 = LN7
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN6)
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN5)
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN4)
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN3)
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN2)
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN1)
    p = unsafe_add(unsafe_mul(p, z) >> 64, LN0)
    return unsafe_add(unsafe_mul(unsafe_sub(e, frac_bits), LN2_Q128) >> 64, unsafe_mul(s, p) >> 63)


# ---------------------------------------------------------------------------------
# The standard normal distribution in Q64


@internal
@pure
def _cdf_tail_poly(a: int256) -> int256:
    # (1 - N(a)) * exp(a^2 / 2) in Q64, 2 <= a < 9
    t: int256 = unsafe_div(TAIL_T_NUM, unsafe_add(TAIL_T_BASE, a))
    w: int256 = unsafe_sub(t, TAIL_T_CENTRE_Q64) << 2
    p: int256 = CDF_T12
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T11)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T10)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T9)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T8)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T7)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T6)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T5)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T4)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T3)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T2)
    p = unsafe_add(unsafe_mul(p, w) >> 64, CDF_T1)
    return unsafe_add(unsafe_mul(p, w) >> 64, CDF_T0)


@internal
@pure
def _ncdf_q64(x: int256, exp_half_sq: int256) -> int256:
    # N(x) in Q64; exp_half_sq = exp(-x^2/2) in Q64 if known, else -1
    a: int256 = x
    if x < 0:
        a = unsafe_sub(0, x)
    if a >= CDF_LIMIT_Q64:
        if x > 0:
            return Q64
        return 0
    if a < CDF_CENTRAL_LIMIT_Q64:
        v: int256 = unsafe_mul(a, a) >> 66
        p: int256 = CDF_C13
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C12)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C11)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C10)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C9)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C8)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C7)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C6)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C5)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C4)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C3)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C2)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C1)
        p = unsafe_add(unsafe_mul(p, v) >> 64, CDF_C0)
        half: int256 = unsafe_mul(a, p) >> 64
        if x >= 0:
            return unsafe_add(HALF_Q64, half)
        return unsafe_sub(HALF_Q64, half)
    e: int256 = exp_half_sq
    if e < 0:
        e = self._exp_q64(unsafe_sub(0, unsafe_mul(a, a) >> 65))
    tail: int256 = unsafe_mul(e, self._cdf_tail_poly(a)) >> 64
    if x >= 0:
        return unsafe_sub(Q64, tail)
    return tail


@internal
@pure
def _exp_half_sq_q64(x: int256) -> int256:
    # exp(-x^2 / 2) in Q64; 0 for |x| >= 10
    if x >= PDF_LIMIT_Q64 or x <= -PDF_LIMIT_Q64:
        return 0
    return self._exp_q64(unsafe_sub(0, unsafe_mul(x, x) >> 65))


# ---------------------------------------------------------------------------------
# Public primitives in WAD


@internal
@pure
def exp_wad(x: int256) -> int256:
    """
    @notice exp(x), x in WAD, result in WAD rounded down; reverts above 135e18,
            0 below -42e18.
    """
    assert x <= EXP_WAD_MAX, "option_math: exp overflow"
    if x < EXP_WAD_MIN:
        return 0
    p: int256 = 0
    k: int256 = 0
    p, k = self._exp_parts(unsafe_mul(x, WAD_TO_Q64_MUL) >> 96)
    if k >= 64:
        return unsafe_mul(p, WAD) << convert(unsafe_sub(k, 64), uint256)
    return unsafe_mul(p, WAD) >> convert(unsafe_sub(64, k), uint256)


@internal
@pure
def ln_wad(x: int256) -> int256:
    """
    @notice ln(x), x > 0 in WAD, result in WAD rounded down.
    """
    assert x > 0, "option_math: ln of non-positive"
    return unsafe_mul(unsafe_sub(self._ln_q64(convert(x, uint256), 0), LN_WAD_Q64), WAD) >> 64


@internal
@pure
def sqrt_wad(x: uint256) -> uint256:
    """
    @notice sqrt(x) in WAD: floor(sqrt(x * 1e18)), exact; x <= max_value(uint256) / 1e18.
    """
    assert x <= SQRT_WAD_MAX, "option_math: sqrt out of range"
    return isqrt(unsafe_mul(x, 10**18))


@internal
@pure
def norm_cdf_wad(x: int256) -> int256:
    """
    @notice Standard normal CDF, x in WAD, result in [0, WAD] rounded down.
    """
    if x >= CDF_WAD_LIMIT:
        return WAD
    if x <= -CDF_WAD_LIMIT:
        return 0
    n: int256 = self._ncdf_q64(unsafe_mul(x, WAD_TO_Q64_MUL) >> 96, -1)
    return unsafe_mul(n, WAD) >> 64


@internal
@pure
def norm_pdf_wad(x: int256) -> int256:
    """
    @notice Standard normal density, x in WAD, result in WAD rounded down.
    """
    if x >= PDF_WAD_LIMIT or x <= -PDF_WAD_LIMIT:
        return 0
    e: int256 = self._exp_half_sq_q64(unsafe_mul(x, WAD_TO_Q64_MUL) >> 96)
    return unsafe_mul(unsafe_mul(e, INV_SQRT_2PI_Q64) >> 64, WAD) >> 64


# ---------------------------------------------------------------------------------
# Black-Scholes


@internal
@pure
def _check_bs_inputs(spot: uint256, strike: uint256, t: uint256, vol: uint256, rate: int256):
    assert spot > 0 and spot <= MAX_PRICE_WAD, "option_math: spot out of range"
    assert strike > 0 and strike <= MAX_PRICE_WAD, "option_math: strike out of range"
    assert t <= MAX_T_WAD, "option_math: time out of range"
    assert vol <= MAX_VOL_WAD, "option_math: vol out of range"
    assert rate >= -MAX_RATE_WAD and rate <= MAX_RATE_WAD, "option_math: rate out of range"


@internal
@pure
def _intrinsic(spot: uint256, strike: uint256, is_call: bool) -> uint256:
    if is_call:
        if spot > strike:
            return unsafe_sub(spot, strike)
        return 0
    if strike > spot:
        return unsafe_sub(strike, spot)
    return 0


@internal
@pure
def _bs_core(spot: uint256, strike: uint256, t: uint256, vol: uint256, rate: int256) -> (int256, int256, int256, int256, int256):
    # (sqrt_t, w, d1, d2, disc) in Q64, t > 0
    rt: int256 = unsafe_mul(unsafe_mul(rate, convert(t, int256)), RT_MUL) >> 128
    disc: int256 = self._exp_q64(unsafe_sub(0, rt))
    x: int256 = self._ln_q64(unsafe_div(spot << 128, strike), 128)
    sqrt_t: int256 = convert(isqrt(unsafe_div(t << 128, 10**18)), int256)
    w: int256 = unsafe_div(unsafe_mul(convert(vol, int256), sqrt_t), WAD)
    if w < W_MIN_Q64:
        w = W_MIN_Q64
    num: int256 = unsafe_add(unsafe_add(x, rt), unsafe_mul(w, w) >> 65)
    d1: int256 = unsafe_mul(num, unsafe_div(2**160, w)) >> 96
    return sqrt_t, w, d1, unsafe_sub(d1, w), disc


@internal
@pure
def bs_price(spot: uint256, strike: uint256, t: uint256, vol: uint256, rate: int256, is_call: bool) -> uint256:
    """
    @notice Black-Scholes price of a European option on one unit of underlying, WAD.
    @param spot Spot price, WAD, 0 < spot <= 1e36
    @param strike Strike price, WAD, 0 < strike <= 1e36
    @param t Time to expiry in years, WAD, <= 10e18
    @param vol Volatility, WAD, <= 10e18
    @param rate Continuously compounded rate, WAD, |rate| <= 1e18
    """
    self._check_bs_inputs(spot, strike, t, vol, rate)
    if t == 0:
        return self._intrinsic(spot, strike, is_call)
    sqrt_t: int256 = 0
    w: int256 = 0
    d1: int256 = 0
    d2: int256 = 0
    disc: int256 = 0
    sqrt_t, w, d1, d2, disc = self._bs_core(spot, strike, t, vol, rate)
    n1: int256 = self._ncdf_q64(d1, -1)
    n2: int256 = self._ncdf_q64(d2, -1)
    if not is_call:
        n1 = unsafe_sub(Q64, n1)
        n2 = unsafe_sub(Q64, n2)
    s_term: int256 = unsafe_mul(convert(spot, int256), n1) >> 64
    k_term: int256 = unsafe_mul(unsafe_mul(convert(strike, int256), disc) >> 64, n2) >> 64
    price: int256 = 0
    if is_call:
        price = unsafe_sub(s_term, k_term)
    else:
        price = unsafe_sub(k_term, s_term)
    if price > 0:
        return convert(price, uint256)
    return 0


@internal
@pure
def bs_price_and_greeks(spot: uint256, strike: uint256, t: uint256, vol: uint256, rate: int256, is_call: bool) -> BSResult:
    """
    @notice Price, delta, gamma, vega (per 1.00 vol) and theta (per year), all WAD,
            per one unit of underlying.
    """
    self._check_bs_inputs(spot, strike, t, vol, rate)
    if t == 0:
        delta: int256 = 0
        if spot == strike:
            delta = WAD >> 1
        elif (spot > strike) == is_call:
            delta = WAD
        if not is_call:
            delta = unsafe_sub(0, delta)
        return BSResult(price=self._intrinsic(spot, strike, is_call), delta=delta, gamma=0, vega=0, theta=0)
    sqrt_t: int256 = 0
    w: int256 = 0
    d1: int256 = 0
    d2: int256 = 0
    disc: int256 = 0
    sqrt_t, w, d1, d2, disc = self._bs_core(spot, strike, t, vol, rate)
    spot_i: int256 = convert(spot, int256)
    e1: int256 = self._exp_half_sq_q64(d1)
    n1: int256 = self._ncdf_q64(d1, e1)
    n2: int256 = self._ncdf_q64(d2, -1)
    pdf1: int256 = unsafe_mul(e1, INV_SQRT_2PI_Q64) >> 64
    kd: int256 = unsafe_mul(convert(strike, int256), disc) >> 64
    s_term: int256 = 0
    k_term: int256 = 0
    price: int256 = 0
    delta: int256 = 0
    if is_call:
        s_term = unsafe_mul(spot_i, n1) >> 64
        k_term = unsafe_mul(kd, n2) >> 64
        price = unsafe_sub(s_term, k_term)
        delta = n1
    else:
        s_term = unsafe_mul(spot_i, unsafe_sub(Q64, n1)) >> 64
        k_term = unsafe_mul(kd, unsafe_sub(Q64, n2)) >> 64
        price = unsafe_sub(k_term, s_term)
        delta = unsafe_sub(n1, Q64)
    if price < 0:
        price = 0
    sp: int256 = unsafe_mul(spot_i, pdf1) >> 64
    gamma: int256 = unsafe_div(unsafe_mul(pdf1, WAD * WAD), unsafe_mul(w, spot_i))
    vega: int256 = unsafe_mul(sp, sqrt_t) >> 64
    decay: int256 = unsafe_div(unsafe_mul(sp, convert(vol, int256)) << 63, unsafe_mul(sqrt_t, WAD))
    carry: int256 = unsafe_div(unsafe_mul(rate, k_term), WAD)
    theta: int256 = 0
    if is_call:
        theta = unsafe_sub(unsafe_sub(0, decay), carry)
    else:
        theta = unsafe_sub(carry, decay)
    return BSResult(
        price=convert(price, uint256),
        delta=unsafe_mul(delta, WAD) >> 64,
        gamma=convert(gamma, uint256),
        vega=convert(vega, uint256),
        theta=theta,
    )
