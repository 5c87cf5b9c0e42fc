"""Integer fixed-point helpers with EVM-compatible rounding.

Every multiply-divide in the STF goes through these helpers so that the rounding
direction is explicit at the call site and the result equals what a uint256/int256
contract computes:

- ``mul_div_down`` / ``mul_div_up``: unsigned ``a * b / d`` rounded toward zero / away
  from zero. Used for payouts (down) and requirements (up).
- ``sdiv``: signed division truncating toward zero, like the EVM's ``SDIV`` and
  Vyper's ``//`` on ``int256`` (Python's ``//`` floors: never use it on signed values).
- ``smul_div``: signed ``a * b / d`` truncating toward zero.

Scales used across the STF (see README, "Fixed-point scales"):

- ``WAD = 10**18``: internal math scale (option math, vols, years).
- ``E6 = 10**6``: collateral token units (USDC, 6 decimals), option and index prices,
  contract sizes (``size_e6``: 1_000_000 is one contract on one unit of underlying),
  volatilities as quoted by the oracle (``vol_e6``: 650_000 is 65%).
"""

from __future__ import annotations

from typing import Final

WAD: Final = 10**18
E6: Final = 10**6
E6_TO_WAD: Final = 10**12
PPM_DENOMINATOR: Final = 10**6  # parts per million

UINT256_MAX: Final = 2**256 - 1
INT256_MAX: Final = 2**255 - 1
INT256_MIN: Final = -(2**255)


class FixedPointOverflow(ArithmeticError):
    """A result left the uint256/int256 range: the EVM mirror would revert."""


def _check_u256(x: int) -> int:
    if x < 0 or x > UINT256_MAX:
        raise FixedPointOverflow(x)
    return x


def _check_i256(x: int) -> int:
    if x < INT256_MIN or x > INT256_MAX:
        raise FixedPointOverflow(x)
    return x


def mul_div_down(a: int, b: int, d: int) -> int:
    """Unsigned ``floor(a * b / d)``; all operands non-negative, ``d > 0``."""
    if a < 0 or b < 0 or d <= 0:
        raise FixedPointOverflow((a, b, d))
    return _check_u256(a * b // d)


def mul_div_up(a: int, b: int, d: int) -> int:
    """Unsigned ``ceil(a * b / d)``; all operands non-negative, ``d > 0``."""
    if a < 0 or b < 0 or d <= 0:
        raise FixedPointOverflow((a, b, d))
    return _check_u256(-((-(a * b)) // d))


def sdiv(a: int, b: int) -> int:
    """Signed division truncating toward zero (EVM ``SDIV``). ``b != 0``."""
    if b == 0:
        raise FixedPointOverflow((a, b))
    q = abs(a) // abs(b)
    return _check_i256(q if (a >= 0) == (b > 0) else -q)


def sdiv_floor(a: int, b: int) -> int:
    """Signed division rounding toward minus infinity (``b > 0``): conservative for equity.

    The EVM mirror computes it as ``SDIV`` minus one when the result is negative and inexact.
    """
    q = sdiv(a, b)
    return q - 1 if (a < 0 and q * b != a) else q


def sdiv_ceil(a: int, b: int) -> int:
    """Signed division rounding toward plus infinity (``b > 0``): conservative for requirements."""
    q = sdiv(a, b)
    return q + 1 if (a > 0 and q * b != a) else q


def smul_div(a: int, b: int, d: int) -> int:
    """Signed ``a * b / d`` truncating toward zero, like int256 ``(a * b) // d`` in Vyper."""
    return sdiv(_check_i256(a * b), d)


def wad_mul(a: int, b: int) -> int:
    """Signed ``a * b / WAD`` truncating toward zero."""
    return smul_div(a, b, WAD)


def wad_div(a: int, b: int) -> int:
    """Signed ``a * WAD / b`` truncating toward zero."""
    return smul_div(a, WAD, b)


def div_down(a: int, d: int) -> int:
    """Unsigned ``floor(a / d)``; ``a >= 0``, ``d > 0`` (EVM ``DIV``)."""
    if a < 0 or d <= 0:
        raise FixedPointOverflow((a, d))
    return _check_u256(a // d)


def isqrt(x: int) -> int:
    """Unsigned ``floor(sqrt(x))`` for ``0 <= x <= UINT256_MAX``, exact (Vyper ``isqrt``).

    Newton's iteration from a power of two at or above the root; it decreases
    monotonically to the floor of the root, so the first non-decrease stops it.
    """
    _check_u256(x)
    if x < 2:
        return x
    r = 1 << ((x.bit_length() + 1) >> 1)
    while True:
        nxt = (r + x // r) >> 1
        if nxt >= r:
            return r
        r = nxt
