"""``optrollup quote``: price one European option with the STF's fixed-point math.

    optrollup quote --spot 2000 --strike 2100 --days 30 --vol 0.65 --rate 0.05 --call
    optrollup quote --spot 2000 --strike 2100 --days 30 --vol 65% --rate 5% --put --json

Inputs are parsed as exact decimals (``Decimal`` from the command-line text, never
``float``) and turned into ``WAD`` integers (at most 18 decimal places); ``--vol`` and
``--rate`` are fractions (``0.65``) or percentages (``65%``); ``--days`` may be
fractional and becomes years over a 365-day year, rounded down to the wei, as
``years_from_seconds_wad`` does. The numbers printed are exactly
``node.stf.optionmath.bs_price_and_greeks``: the price the chain marks with.

Output, per one unit of underlying, in the quote currency: ``price``; ``delta``;
``gamma`` (per unit of spot); ``vega`` per 1.00 of volatility (the table also shows it
per vol point); ``theta`` per 365-day year (the table also shows it per day). With
``--json`` one object ``{"price", "delta", "gamma", "vega", "theta"}`` whose values are
decimal strings, exact to 18 decimal places (strings, so that no JSON reader rounds
them through a double). Bad input prints an error and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Callable

from node.stf.fixedpoint import WAD
from node.stf.optionmath import (
    MAX_PRICE_WAD,
    MAX_RATE_WAD,
    MAX_T_WAD,
    MAX_VOL_WAD,
    BSResult,
    MathDomainError,
    bs_price_and_greeks,
)

WAD_DECIMALS = 18
DAYS_PER_YEAR = 365
EXIT_BAD_INPUT = 2


def _to_wad(text: str, *, percent_ok: bool) -> int:
    """Exact decimal text (optionally ``N%``) to a ``WAD`` integer; ValueError if not."""
    raw = text.strip()
    scale = 0
    if percent_ok and raw.endswith("%"):
        raw, scale = raw[:-1].strip(), 2
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    scaled = value.scaleb(WAD_DECIMALS - scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"more than {WAD_DECIMALS} decimal places: {text!r}")
    return int(scaled)


def _wad_arg(name: str, *, lo: int, hi: int, lo_inclusive: bool, percent_ok: bool = False,
             unit: int = WAD) -> Callable[[str], int]:
    """An argparse ``type=`` that parses to WAD and checks ``lo (<|<=) x <= hi``."""

    def parse(text: str) -> int:
        try:
            value = _to_wad(text, percent_ok=percent_ok)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if value < lo or (value == lo and not lo_inclusive) or value > hi:
            low = format_wad(lo * WAD // unit)
            high = format_wad(hi * WAD // unit)
            bracket = "[" if lo_inclusive else "("
            raise argparse.ArgumentTypeError(
                f"{name} must be in {bracket}{low}, {high}], got {text!r}"
            )
        return value

    parse.__name__ = name  # argparse names the type in its messages
    return parse


def format_wad(value: int) -> str:
    """A ``WAD`` integer as an exact decimal string, trailing zeros removed."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), WAD)
    digits = f"{frac:0{WAD_DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser(
        "quote",
        help="price an option with the STF's fixed-point math",
        description="Black-Scholes price and Greeks of a European option, computed by the "
        "rollup's integer math (exactly what the chain marks with).",
    )
    parser.add_argument("--spot", required=True, metavar="S",
                        type=_wad_arg("spot", lo=0, hi=MAX_PRICE_WAD, lo_inclusive=False),
                        help="underlying price (decimal, > 0)")
    parser.add_argument("--strike", required=True, metavar="K",
                        type=_wad_arg("strike", lo=0, hi=MAX_PRICE_WAD, lo_inclusive=False),
                        help="strike price (decimal, > 0)")
    parser.add_argument("--days", required=True, metavar="D",
                        type=_wad_arg("days", lo=0, hi=MAX_T_WAD * DAYS_PER_YEAR,
                                      lo_inclusive=True),
                        help="days to expiry (decimal, 365-day year; 0 gives intrinsic value)")
    parser.add_argument("--vol", required=True, metavar="V",
                        type=_wad_arg("vol", lo=0, hi=MAX_VOL_WAD, lo_inclusive=True,
                                      percent_ok=True),
                        help="annualised volatility: fraction (0.65) or percent (65%%)")
    parser.add_argument("--rate", default=0, metavar="R",
                        type=_wad_arg("rate", lo=-MAX_RATE_WAD, hi=MAX_RATE_WAD,
                                      lo_inclusive=True, percent_ok=True),
                        help="continuously compounded rate: fraction or percent (default 0)")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--call", dest="is_call", action="store_true", help="a call option")
    kind.add_argument("--put", dest="is_call", action="store_false", help="a put option")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with decimal-string values")
    parser.set_defaults(func=run)


def quote(spot_wad: int, strike_wad: int, days_wad: int, vol_wad: int, rate_wad: int,
          is_call: bool) -> BSResult:
    """The STF's price and Greeks; ``days_wad`` becomes years rounded down to the wei."""
    t_years_wad = days_wad // DAYS_PER_YEAR
    return bs_price_and_greeks(spot_wad, strike_wad, t_years_wad, vol_wad, rate_wad, is_call)


def run(args: argparse.Namespace) -> int:
    try:
        result = quote(args.spot, args.strike, args.days, args.vol, args.rate, args.is_call)
    except MathDomainError as exc:  # the parsers' ranges should make this unreachable
        print(f"optrollup quote: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    fields = {
        "price": result.price,
        "delta": result.delta,
        "gamma": result.gamma,
        "vega": result.vega,
        "theta": result.theta,
    }
    if args.json:
        print(json.dumps({k: format_wad(v) for k, v in fields.items()}))
        return 0
    kind = "call" if args.is_call else "put"
    print(f"European {kind}: spot {format_wad(args.spot)}, strike {format_wad(args.strike)}, "
          f"{format_wad(args.days)} days, vol {format_wad(args.vol * 100)}%, "
          f"rate {format_wad(args.rate * 100)}%")
    rows = [
        ("price", result.price, "per unit of underlying"),
        ("delta", result.delta, ""),
        ("gamma", result.gamma, "per unit of spot"),
        ("vega", result.vega,
         f"per 1.00 vol ({_per(result.vega, 100)} per vol point)"),
        ("theta", result.theta,
         f"per year ({_per(result.theta, DAYS_PER_YEAR)} per day)"),
    ]
    width = max(len(format_wad(v).split(".")[0]) for _, v, _ in rows)
    for name, value, note in rows:
        whole, _, frac = format_wad(value).partition(".")
        text = f"{whole:>{width}}" + (f".{frac}" if frac else "")
        print(f"  {name:<6} {text:<{width + 20}}  {note}".rstrip())
    return 0


def _per(value: int, divisor: int) -> str:
    """``value`` (WAD) divided by ``divisor`` for display, 18 decimals, toward zero."""
    q = abs(value) // divisor
    return format_wad(q if value >= 0 else -q)
