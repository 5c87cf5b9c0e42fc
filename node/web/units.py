"""Wire forms of the web API (``node/web/API.md``): exact decimal strings, hex, and input parsing.

Fixed-point values leave the gateway as exact decimal strings already scaled (``e6``: 6
decimals, ``wad``: 18 decimals), trailing zeros trimmed, never floats. Inputs are parsed
exactly (``node.client.to_e6``: at most 6 decimals); a bad one raises ``ApiError`` with the
HTTP status and short code of the contract.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from node.client import BadInput, format_e6, parse_address, to_e6

WAD_DECIMALS: Final = 18
SIDES: Final = ("buy", "sell")


class ApiError(Exception):
    """An answer other than 200: HTTP ``status``, a short ``code`` and a human ``message``;
    ``extra`` fields are merged into the JSON body."""

    def __init__(self, status: int, code: str, message: str, /, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "code": self.code, **self.extra}


def e6(value: int) -> str:
    """``1_500_000`` -> ``"1.5"`` (exact)."""
    return format_e6(int(value))


def wad(value: int | str) -> str:
    """A WAD integer (or its decimal string) as an exact decimal: ``"-1500000000000000000"`` -> ``"-1.5"``."""
    number = int(value)
    sign = "-" if number < 0 else ""
    whole, frac = divmod(abs(number), 10**WAD_DECIMALS)
    digits = f"{frac:0{WAD_DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def ratio(numerator: int, denominator: int, places: int = 2) -> str:
    """``numerator / denominator`` rounded half-even to ``places`` decimals (``"0"`` if the denominator is 0)."""
    if not denominator:
        return "0"
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places)))


def hex0x(raw: bytes) -> str:
    return "0x" + bytes(raw).hex()


def side_name(side: int) -> str:
    return SIDES[side] if side in (0, 1) else str(side)


def address(text: Any) -> bytes:
    """A 20-byte address from ``0x`` hex; 400 ``bad_address`` otherwise."""
    if not isinstance(text, str):
        raise ApiError(400, "bad_address", f"an address is a 0x hex string of 20 bytes, not {text!r}")
    try:
        return parse_address(text)
    except BadInput:
        raise ApiError(400, "bad_address", f"malformed address {text!r}: 20 bytes of 0x hex expected") from None


def amount_e6(value: Any, what: str) -> int:
    """A positive decimal (string or JSON number) x 1e6, exactly; 400 ``bad_request`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ApiError(400, "bad_request", f"{what}: a decimal number is required")
    try:
        scaled = to_e6(repr(value) if isinstance(value, float) else value, what)
    except BadInput as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    if scaled <= 0:
        raise ApiError(400, "bad_request", f"{what}: must be positive, not {value}")
    if scaled >= 2**64:
        raise ApiError(400, "bad_request", f"{what}: too large")
    return scaled


def uint(value: Any, what: str, *, default: int | None = None, limit: int = 2**64) -> int:
    """A non-negative integer below ``limit`` (JSON number or decimal string); 400 otherwise."""
    if value is None and default is not None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise ApiError(400, "bad_request", f"{what}: a non-negative integer is required, not {value!r}")
    return value
