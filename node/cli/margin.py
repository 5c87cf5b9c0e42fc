"""``optrollup margin``: the portfolio margin and Greeks the chain would compute for a portfolio.

    optrollup margin --portfolio book.json [--json]
    cat book.json | optrollup margin --portfolio -

The portfolio file is one JSON object::

    {"now": "2026-12-01T08:00:00Z", "underlying": "ETH", "spot": 3000, "vol": 0.65,
     "positions": [{"instrument": "ETH-25DEC26-3000-C", "size": -1},
                   {"instrument": "ETH-25DEC26-3200-C", "size": 1}],
     "cash": 700}

- ``now``: ISO 8601 time with a zone (``Z`` or ``+hh:mm``), or unix seconds; marks are
  computed as of then.
- ``underlying``: the name every instrument must start with.
- ``spot``: the index price, > 0, at most 6 decimals.
- ``vol``: a flat volatility for every expiry, or a map from expiry to volatility; an
  expiry is written as in series names (``"25DEC26"``) or as an ISO date (``"2026-12-25"``,
  or ``"2026-12-25T08:00:00Z"``); every expiry held needs one (other keys are checked, then
  ignored). A volatility is a fraction (``0.65``) or a percentage string (``"65%"``),
  between 1% and 1000%, at most 6 decimals (of the fraction). The smile is flat (no skew
  or curvature) and the rate is the genesis default (0).
- ``positions``: ``{"instrument": name, "size": contracts}``, size signed (negative =
  short), decimals allowed (at most 6); the same series twice is netted, and a net zero
  is not held.
- ``cash`` (optional, >= 0): collateral; with it the output adds equity and availability.
  Cash does not change the requirement.

Numbers may be JSON numbers or decimal strings; they are read as exact decimals (never
binary floats). Everything is computed by the STF's own code on an in-memory chain:
genesis, one listing per series (``instruments.list_instrument``), one oracle update
(``oracle.apply_oracle_update``), then ``risk.margin_breakdown`` (that is,
``margin.summarise_positions``) and ``risk.portfolio_greeks``.

Output (collateral units, as exact decimal strings; ``--json`` gives one object):
``maintenance``, ``initial``, ``addon`` (naked-short add-on, part of maintenance),
``worst_scenario`` (``scenario`` index, ``spot_move`` fraction, ``vol_move`` up/flat/down,
``weight``, ``description``, ``loss``: the weighted worst loss), ``greeks`` (``delta`` in
units of underlying, ``gamma`` per unit of spot, ``vega`` per 1.00 vol, ``theta`` per
year) and ``positions`` (mark, vol, value, the scenario's vol and P&L per contract, and
the contribution to the worst loss; contributions add up to ``worst_scenario.loss``).
With ``cash``: ``cash``, ``equity``, ``available`` (equity - initial), ``meets_initial``.
Bad input prints a message and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from node.cli.quote import format_wad
from node.stf import accounts, risk
from node.stf.backends import MemoryBackend
from node.stf.errors import TxFailure
from node.stf.genesis import MAX_NAME_BYTES, Genesis, initialise
from node.stf.instruments import BadInstrumentName, list_instrument, parse_series_name, series_name
from node.stf.oracle import apply_oracle_update
from node.stf.params import MAX_PRICE_E6, MAX_SIZE_E6, MAX_SURFACE_POINTS, MAX_VOL_E6, MIN_VOL_E6
from node.stf.records import Account, Config
from node.stf.state import State
from node.stf.txtypes import ListInstrument, OracleUpdate, VolPoint

EXIT_BAD_INPUT = 2
E6_DECIMALS = 6
UNDERLYING_ID = 1
ADMIN = b"\xad" * 20  # the in-memory chain's genesis admin and oracle keys (no signatures needed:
ORACLE = b"\x0c" * 20  # the STF's rules are called directly with them as the sender)
HOLDER = b"\x01" * 20  # the account the portfolio is written to
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TOP_LEVEL = {"now", "underlying", "spot", "vol", "positions", "cash"}


class PortfolioError(ValueError):
    """The portfolio file is not valid; the message says why."""


@dataclass(frozen=True)
class Holding:
    """One net position: its name, series, size (contracts x 1e6)."""

    name: str
    underlying: str
    expiry: int
    strike_e6: int
    is_call: bool
    size_e6: int


@dataclass(frozen=True)
class Portfolio:
    """A validated portfolio. ``vols``: expiry -> vol e6 (``flat_vol_e6`` when one vol for all)."""

    now: int
    underlying: str
    spot_e6: int
    flat_vol_e6: int | None
    vols: dict[int, int]
    holdings: tuple[Holding, ...]
    cash_e6: int | None = None

    def vol_of(self, expiry: int) -> int:
        return self.flat_vol_e6 if self.flat_vol_e6 is not None else self.vols[expiry]


# ---------------------------------------------------------------------------------------
# Parsing (exact decimals; every error is a PortfolioError with a readable message)


def _decimal(value: Any, what: str, *, percent_ok: bool = False) -> Decimal:
    """A JSON number (already a Decimal) or a decimal string as an exact, finite Decimal."""
    scale = 0
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise PortfolioError(f"{what} must be a number, got {json.dumps(_jsonable(value))}")
    if isinstance(value, str):
        text = value.strip()
        if percent_ok and text.endswith("%"):
            text, scale = text[:-1].strip(), 2
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise PortfolioError(f"{what} is not a decimal number: {value!r}") from None
    number = Decimal(value)
    if not number.is_finite():
        raise PortfolioError(f"{what} must be finite, got {value!r}")
    return number.scaleb(-scale)


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _e6(value: Any, what: str, *, percent_ok: bool = False) -> int:
    """Exact decimal to an integer with 6 decimals; more decimals is an error."""
    number = _decimal(value, what, percent_ok=percent_ok)
    scaled = number.scaleb(E6_DECIMALS)
    if scaled != scaled.to_integral_value():
        raise PortfolioError(f"{what} has more than {E6_DECIMALS} decimal places: {number}")
    return int(scaled)


def _parse_time(value: Any, what: str) -> int:
    """ISO 8601 with a zone, or unix seconds, to unix seconds (whole seconds)."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        seconds = Decimal(value)
        if seconds != seconds.to_integral_value() or seconds < 0:
            raise PortfolioError(f"{what} must be whole unix seconds, got {value}")
        return int(seconds)
    if not isinstance(value, str):
        raise PortfolioError(f"{what} must be an ISO 8601 time like 2026-12-01T08:00:00Z")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PortfolioError(f"{what} is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise PortfolioError(f"{what} needs a time zone (e.g. {value}Z): {value!r}")
    return (moment - EPOCH) // timedelta(seconds=1)


def _parse_expiry(key: str) -> int:
    """An expiry key: ``25DEC26`` or an ISO date (08:00 UTC) or datetime, to unix seconds."""
    text = key.strip()
    if "-" not in text:
        try:
            return parse_series_name(f"X-{text}-1-C").expiry  # the series names' own date rules
        except BadInstrumentName:
            raise PortfolioError(f"vol: expiry {key!r} is not like 25DEC26 or 2026-12-25") from None
    if "T" not in text.upper():
        text += "T08:00:00+00:00"
    return _parse_time(text, f"vol: expiry {key!r}")


def _vol_e6(value: Any, what: str) -> int:
    vol = _e6(value, what, percent_ok=True)
    if not MIN_VOL_E6 <= vol <= MAX_VOL_E6:
        raise PortfolioError(f"{what} must be between 1% and 1000% (0.01 to 10), got {value}")
    return vol


def _fmt_e6(value: int) -> str:
    """An e6 integer as an exact decimal string, trailing zeros removed."""
    return format_wad(value * 10**12)


def _format_time(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_portfolio(data: Any) -> Portfolio:
    """Validate a decoded portfolio object (numbers as ``Decimal``); raise PortfolioError."""
    if not isinstance(data, dict):
        raise PortfolioError("the portfolio must be a JSON object")
    unknown = sorted(set(data) - TOP_LEVEL)
    if unknown:
        raise PortfolioError(f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(TOP_LEVEL))})")
    for name in ("now", "underlying", "spot", "vol", "positions"):
        if name not in data:
            raise PortfolioError(f"missing field {name!r}")
    now = _parse_time(data["now"], "now")
    underlying = data["underlying"]
    if not isinstance(underlying, str) or not underlying.strip().isalnum():
        raise PortfolioError(f"underlying must be a name like ETH, got {json.dumps(_jsonable(underlying))}")
    underlying = underlying.strip().upper()
    if len(underlying.encode()) > MAX_NAME_BYTES:
        raise PortfolioError(f"underlying name {underlying!r} is longer than {MAX_NAME_BYTES} bytes")
    spot_e6 = _e6(data["spot"], "spot")
    if not 0 < spot_e6 <= MAX_PRICE_E6:
        raise PortfolioError(f"spot must be positive and at most {_fmt_e6(MAX_PRICE_E6)}, got {data['spot']}")
    cash_e6 = None
    if "cash" in data:
        cash_e6 = _e6(data["cash"], "cash")
        if cash_e6 < 0:
            raise PortfolioError(f"cash must not be negative, got {data['cash']}")
    raw_positions = data["positions"]
    if not isinstance(raw_positions, list):
        raise PortfolioError("positions must be a list of {\"instrument\": name, \"size\": contracts}")
    sizes: dict[tuple[int, int, bool], int] = {}
    for n, entry in enumerate(raw_positions):
        where = f"positions[{n}]"
        if not isinstance(entry, dict) or set(entry) != {"instrument", "size"}:
            raise PortfolioError(f"{where} must be {{\"instrument\": name, \"size\": contracts}}")
        name = entry["instrument"]
        if not isinstance(name, str):
            raise PortfolioError(f"{where}: instrument must be a name like ETH-25DEC26-3000-C")
        try:
            series = parse_series_name(name)
        except BadInstrumentName as exc:
            raise PortfolioError(f"{where}: bad instrument name: {exc}") from None
        if series.underlying != underlying:
            raise PortfolioError(f"{where}: {name} is not on the underlying {underlying}")
        if series.strike_e6 <= 0:
            raise PortfolioError(f"{where}: {name} has a zero strike")
        size = _e6(entry["size"], f"{where}: size")
        if not 0 < abs(size) <= MAX_SIZE_E6:
            raise PortfolioError(f"{where}: size must be non-zero and at most {_fmt_e6(MAX_SIZE_E6)} "
                                 f"contracts, got {entry['size']}")
        key = (series.expiry, series.strike_e6, series.is_call)
        sizes[key] = sizes.get(key, 0) + size
    holdings = tuple(
        Holding(series_name(underlying, e, k, c), underlying, e, k, c, s)
        for (e, k, c), s in sorted(sizes.items()) if s != 0
    )
    raw_vol = data["vol"]
    flat, vols = None, {}
    if isinstance(raw_vol, dict):
        for key, value in raw_vol.items():
            vols[_parse_expiry(key)] = _vol_e6(value, f"vol[{key!r}]")
        for h in holdings:
            if h.expiry not in vols:
                code = h.name.split("-")[1]
                raise PortfolioError(f"vol: no volatility for expiry {code} (held in {h.name})")
    else:
        flat = _vol_e6(raw_vol, "vol")
    return Portfolio(now, underlying, spot_e6, flat, vols, holdings, cash_e6)


# ---------------------------------------------------------------------------------------
# The in-memory chain


@dataclass
class Evaluation:
    """The chain built for a portfolio, and what the STF says of it."""

    portfolio: Portfolio
    state: State
    instrument_ids: tuple[int, ...]  # one per holding, same order
    breakdown: risk.MarginBreakdown
    greeks: risk.Greeks


def build_state(portfolio: Portfolio) -> tuple[State, tuple[int, ...]]:
    """Genesis, listings and one oracle update with the STF's own rules; the holder's account stored.

    Raises PortfolioError for what the listing rules refuse (expired series, more than
    five years out, too many series).
    """
    state = State(MemoryBackend())
    genesis = Genesis(0, bytes(20), ADMIN, (ORACLE,), underlyings=((UNDERLYING_ID, portfolio.underlying.encode()),),
                      genesis_time=portfolio.now)
    initialise(state, genesis)
    config: Config = genesis.config()
    ids = []
    for h in portfolio.holdings:
        listing = ListInstrument(0, UNDERLYING_ID, h.expiry, h.strike_e6, h.is_call, 1, 1)
        try:
            ids.append(list_instrument(state, portfolio.now, config, ADMIN, listing))
        except TxFailure as failure:
            raise PortfolioError(f"{h.name}: cannot be listed at {_format_time(portfolio.now)}: "
                                 f"{failure.detail}") from None
    expiries = sorted({h.expiry for h in portfolio.holdings}) or [portfolio.now]
    if portfolio.flat_vol_e6 is not None:
        surface = (VolPoint(expiries[0], portfolio.flat_vol_e6, 0, 0),)
    else:
        if len(expiries) > MAX_SURFACE_POINTS:
            raise PortfolioError(f"at most {MAX_SURFACE_POINTS} expiries per surface, got {len(expiries)}")
        surface = tuple(VolPoint(e, portfolio.vols[e], 0, 0) for e in expiries)
    try:
        apply_oracle_update(state, portfolio.now, config, ORACLE,
                            OracleUpdate(0, UNDERLYING_ID, 1, portfolio.now, portfolio.spot_e6, surface))
    except TxFailure as failure:  # the parser's checks should make this unreachable
        raise PortfolioError(f"oracle update refused: {failure.detail}") from None
    positions = tuple(sorted(zip(ids, (h.size_e6 for h in portfolio.holdings))))
    accounts.store(state, HOLDER, Account(balance_e6=portfolio.cash_e6 or 0, positions=positions))
    return state, tuple(ids)


def evaluate(portfolio: Portfolio) -> Evaluation:
    state, ids = build_state(portfolio)
    return Evaluation(portfolio, state, ids, risk.margin_breakdown(state, HOLDER),
                      risk.portfolio_greeks(state, HOLDER))


def report(ev: Evaluation) -> dict[str, Any]:
    """The JSON object ``--json`` prints (decimal strings, see the module docstring)."""
    b, g, p = ev.breakdown, ev.greeks, ev.portfolio
    part = b.underlyings[0] if b.underlyings else None
    names = dict(zip(ev.instrument_ids, (h.name for h in p.holdings)))
    out: dict[str, Any] = {
        "underlying": p.underlying,
        "now": _format_time(p.now),
        "spot": _fmt_e6(p.spot_e6),
        "maintenance": _fmt_e6(b.maintenance_e6),
        "initial": _fmt_e6(b.initial_e6),
        "addon": _fmt_e6(part.addon_e6 if part else 0),
        "worst_scenario": None if part is None else {
            "scenario": part.worst.index,
            "spot_move": _fmt_e6(part.worst.spot_move_ppm),
            "vol_move": {-1: "down", 0: "flat", 1: "up"}[part.worst.vol_direction],
            "weight": _fmt_e6(part.worst.weight_ppm),
            "description": part.worst.description,
            "loss": _fmt_e6(part.worst_loss_e6),
        },
        "greeks": {
            "delta": format_wad(g.delta),
            "gamma": format_wad(g.gamma),
            "vega": format_wad(g.vega),
            "theta": format_wad(g.theta),
        },
        "positions": [
            {
                "instrument": names[r.instrument_id],
                "size": _fmt_e6(r.size_e6),
                "mark": _fmt_e6(r.mark_e6),
                "vol": _fmt_e6(r.vol_e6),
                "value": _fmt_e6(r.value_e6),
                "scenario_vol": _fmt_e6(r.scenario_vol_e6),
                "scenario_pnl": _fmt_e6(r.scenario_pnl_e6),
                "contribution": _fmt_e6(r.contribution_e6),
            }
            for r in (part.positions if part else ())
        ],
    }
    if p.cash_e6 is not None:
        out.update({
            "cash": _fmt_e6(b.cash_e6),
            "equity": _fmt_e6(b.equity_e6),
            "available": _fmt_e6(b.available_e6),
            "meets_initial": b.meets_initial,
        })
    return out


def _table(data: dict[str, Any]) -> str:
    count = len(data["positions"])
    lines = [f"{data['underlying']} portfolio at {data['now']}, spot {data['spot']}, "
             f"{count} position{'s' if count != 1 else ''}"]
    if count:
        head = ("instrument", "size", "mark", "vol", "value", "scen. vol", "scen. P&L", "contribution")
        rows = [head] + [
            (q["instrument"], q["size"], q["mark"], q["vol"], q["value"], q["scenario_vol"],
             q["scenario_pnl"], q["contribution"]) for q in data["positions"]
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        for r in rows:
            cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
            lines.append("  " + "  ".join(cells))
    worst = data["worst_scenario"]
    figures = []
    if worst is not None:
        figures.append((f"worst scenario #{worst['scenario']} ({worst['description']})", worst["loss"]))
    figures += [("naked-short add-on", data["addon"]), ("maintenance", data["maintenance"]),
                ("initial", data["initial"])]
    if "cash" in data:
        figures += [("cash", data["cash"]), ("equity", data["equity"]),
                    ("available (equity - initial)", data["available"])]
    label = max(len(f[0]) for f in figures)
    whole = max(len(f[1].split(".")[0]) for f in figures)
    for name, value in figures:
        int_part, _, frac = value.partition(".")
        lines.append(f"{name:<{label}}  {int_part:>{whole}}" + (f".{frac}" if frac else ""))
    if "cash" in data:
        lines.append("meets initial margin" if data["meets_initial"] else "DOES NOT meet initial margin")
    g = data["greeks"]
    notes = {"delta": f"{data['underlying']}", "gamma": "per unit of spot", "vega": "per 1.00 vol",
             "theta": "per year"}
    whole = max(len(v.split(".")[0]) for v in g.values())
    for name, note in notes.items():
        int_part, _, frac = g[name].partition(".")
        number = f"{int_part:>{whole}}" + (f".{frac}" if frac else "")
        lines.append(f"{name:<6} {number:<{whole + 19}}  {note}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Command line


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser(
        "margin",
        help="portfolio margin and Greeks of a portfolio, as the chain computes them",
        description="Maintenance and initial margin, the worst scenario and the Greeks of a "
        "portfolio of option positions, computed by the rollup's own STF on an in-memory chain.",
    )
    parser.add_argument("--portfolio", required=True, metavar="FILE",
                        help="JSON portfolio file ('-' for standard input); see the README, 'Margin tool'")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with decimal-string values")
    parser.set_defaults(func=run)


def _read(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as exc:
        raise PortfolioError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError as exc:
        raise PortfolioError(f"{path} is not valid JSON: {exc}") from None


def run(args: argparse.Namespace) -> int:
    try:
        data = report(evaluate(parse_portfolio(_read(args.portfolio))))
    except PortfolioError as exc:
        print(f"optrollup margin: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(data) if args.json else _table(data))
    return 0
