# pragma version 0.4.3
"""
@title full_math
@notice Unsigned a x b / d with a 512-bit intermediate product: twins of
        node/stf/fixedpoint.py::mul_div_down and ::mul_div_up, which compute the product
        exactly (Python integers) and fail only when the QUOTIENT leaves uint256.
@dev Returns (ok, value): ok is False exactly where Python raises FixedPointOverflow for
     non-negative operands (d == 0, or a quotient >= 2**256); callers turn that into the
     arithmetic failure path (FIELD_OUT_OF_RANGE), never a revert. The 512-bit division
     is the classic one (Remco Bloemen, "Mathemagic: full multiply"; Uniswap FullMath):
     the low word divided by the odd part of d through its inverse mod 2**256.
"""


@internal
@pure
def mul_div_down(a: uint256, b: uint256, d: uint256) -> (bool, uint256):
    """
    @notice floor(a x b / d), twin of node/stf/fixedpoint.py::mul_div_down.
    @return (False, 0) where Python raises (d == 0 or the quotient >= 2**256).
    """
    if d == 0:
        return False, 0
    prod0: uint256 = unsafe_mul(a, b)  # low word
    mm: uint256 = uint256_mulmod(a, b, max_value(uint256))
    prod1: uint256 = unsafe_sub(unsafe_sub(mm, prod0), convert(mm < prod0, uint256))  # high word
    if prod1 == 0:
        return True, prod0 // d
    if d <= prod1:
        return False, 0
    remainder: uint256 = uint256_mulmod(a, b, d)
    prod1 = unsafe_sub(prod1, convert(remainder > prod0, uint256))
    prod0 = unsafe_sub(prod0, remainder)
    twos: uint256 = d & unsafe_sub(0, d)  # largest power of two dividing d
    d_odd: uint256 = unsafe_div(d, twos)
    prod0 = unsafe_div(prod0, twos)
    flip: uint256 = unsafe_add(unsafe_div(unsafe_sub(0, twos), twos), 1)  # 2**256 / twos
    prod0 = prod0 | unsafe_mul(prod1, flip)
    inv: uint256 = unsafe_mul(3, d_odd) ^ 2  # inverse mod 2**4
    for _: uint256 in range(6):  # Newton: 8, 16, 32, 64, 128, 256 bits
        inv = unsafe_mul(inv, unsafe_sub(2, unsafe_mul(d_odd, inv)))
    return True, unsafe_mul(prod0, inv)


@internal
@pure
def mul_div_up(a: uint256, b: uint256, d: uint256) -> (bool, uint256):
    """
    @notice ceil(a x b / d), twin of node/stf/fixedpoint.py::mul_div_up.
    @return (False, 0) where Python raises (d == 0 or the quotient >= 2**256).
    """
    ok: bool = False
    q: uint256 = 0
    ok, q = self.mul_div_down(a, b, d)
    if not ok or uint256_mulmod(a, b, d) == 0:
        return ok, q
    if q == max_value(uint256):
        return False, 0
    return True, q + 1
