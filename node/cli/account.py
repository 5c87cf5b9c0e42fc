"""An account from the command line: ``account``, ``positions``, ``orders``, ``risk``.

    optrollup account   --key mm            # balance and margin
    optrollup positions --dev-account bob   # sizes, marks, values; average entry, P&L and fees
    optrollup orders    --address 0x...     # open orders
    optrollup risk      --key mm            # margin per underlying and portfolio Greeks

Read-only: no passphrase is asked (the address comes from the key file, a dev account or
``--address``). Amounts in collateral units (USDC), sizes in contracts; Greeks as in
``Query.GetRisk``: delta in units of the underlying, gamma per unit of spot, vega shown per
vol point (1%), theta per day (a 365-day year / 365); ``--json`` gives the exact integers
(vega per 1.00 of vol, theta per year, x 1e18). Options and exit codes: ``node.cli.common``.

``positions`` adds, per series, the average entry price, unrealised and realised P&L and the
fees paid, computed from the account's fills (``Client.pnl``, ``node.pnl``: before fees,
rounded down); closed series show their realised P&L, and a total row ends the table.
``--json`` adds ``avg_entry_e6``, ``unrealised_e6``, ``realised_e6`` and ``fees_e6`` to each open
position; ``optrollup pnl [--json]`` gives every series traded (closed ones too) and the totals.
"""

from __future__ import annotations

import argparse

from decimal import Decimal

from node.cli.common import COLLATERAL, add_node_options, command, date, emit, money, qty, table
from node.client import Client, PositionPnl, as_json, from_wad

VOL_POINTS_PER_UNIT = 100  # vega per 1.00 of vol -> per vol point (1%)
DAYS_PER_YEAR = 365  # theta per year -> per day


def greek(value_wad: int, per: int = 1, places: int = 4) -> str:
    """A WAD Greek divided by ``per``, rounded half-even to ``places`` decimals (display only)."""
    return str((from_wad(value_wad) / per).quantize(Decimal(1).scaleb(-places)))


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, handler, help_text in (
        ("account", _account, "balance and margin of an account"),
        ("positions", _positions, "positions of an account, with average entry, P&L and fees"),
        ("pnl", _pnl, "P&L of an account per series traded, from its fills"),
        ("orders", _orders, "open orders of an account"),
        ("risk", _risk, "margin by underlying and portfolio Greeks of an account"),
    ):
        parser = subparsers.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        add_node_options(parser, key="read")
        parser.set_defaults(func=command(handler, need_address=True))


def _account(args: argparse.Namespace, client: Client) -> int:
    info = client.account(args.account_address)
    if args.json:
        emit(info)
        return 0
    m = info.margin
    print(f"account 0x{info.address.hex()}  (block {info.block_number})")
    rows = [
        ("balance", money(info.balance_e6), COLLATERAL),
        ("position value", money(m.value_e6), COLLATERAL),
        ("equity", money(m.equity_e6), COLLATERAL),
        ("maintenance margin", money(m.maintenance_e6), COLLATERAL),
        ("initial margin", money(m.initial_e6), COLLATERAL),
        ("available", money(m.available_e6), COLLATERAL),
        ("open orders", str(info.open_orders), ""),
        ("positions", str(info.positions), ""),
    ]
    print(table(("", "", ""), rows, (False, True, False)).split("\n", 1)[1])
    if not m.complete:
        print("note: a position has no mark yet; the margin is incomplete")
    return 0


PNL_FIELDS = ("avg_entry_e6", "unrealised_e6", "realised_e6", "fees_e6")


def _pnl_cells(series: PositionPnl | None) -> tuple[str, str, str, str]:
    """AVG ENTRY, UNREALISED, REALISED, FEES of a row (``-`` where the fills say nothing)."""
    if series is None:
        return "-", "-", "-", "-"
    entry = money(series.avg_entry_e6) if series.size_e6 else "-"
    return entry, money(series.unrealised_e6), money(series.realised_e6), money(series.fees_e6)


def _positions(args: argparse.Namespace, client: Client) -> int:
    positions = client.positions(args.account_address)
    pnl = client.pnl(args.account_address)
    by_id = {s.instrument_id: s for s in pnl.series}
    if args.json:  # each open position with its P&L fields (closed series: `optrollup pnl --json`)
        found = lambda p: by_id.get(p.instrument_id)  # noqa: E731
        emit([{**as_json(p), **({f: getattr(found(p), f) for f in PNL_FIELDS} if found(p) else {})}
              for p in positions])
        return 0
    if not positions and not pnl.series:
        print("no positions")
        return 0
    rows = [(p.instrument_id, p.name, qty(p.size_e6), money(p.mark_e6) if p.mark_e6 else "-", money(p.value_e6),
             *_pnl_cells(by_id.get(p.instrument_id))) for p in positions]
    held = {p.instrument_id for p in positions}
    rows += [(s.instrument_id, s.name, "0", "-", "0.00", *_pnl_cells(s))  # closed series: realised P&L, fees
             for s in pnl.series if s.instrument_id not in held]
    rows.append(("", "total", "", "", money(sum(p.value_e6 for p in positions)), "", money(pnl.unrealised_e6),
                 money(pnl.realised_e6), money(pnl.fees_e6)))
    print(table(("ID", "INSTRUMENT", "SIZE", "MARK", f"VALUE ({COLLATERAL})", "AVG ENTRY", "UNREALISED", "REALISED",
                 "FEES"), rows, (True, False, True, True, True, True, True, True, True)))
    if not pnl.complete:
        print("note: the node's history does not explain every position (older blocks are not kept): "
              "P&L covers the fills it keeps")
    return 0


def _pnl(args: argparse.Namespace, client: Client) -> int:
    pnl = client.pnl(args.account_address)
    if args.json:
        emit(pnl)
        return 0
    if not pnl.series:
        print("no trades")
        return 0
    rows = [(s.instrument_id, s.name, qty(s.size_e6), money(s.avg_entry_e6) if s.size_e6 else "-",
             money(s.mark_e6) if s.mark_e6 else "-", money(s.unrealised_e6), money(s.realised_e6), money(s.fees_e6))
            for s in pnl.series]
    rows.append(("", "total", "", "", "", money(pnl.unrealised_e6), money(pnl.realised_e6), money(pnl.fees_e6)))
    print(table(("ID", "INSTRUMENT", "SIZE", "AVG ENTRY", "MARK", "UNREALISED", "REALISED", "FEES"), rows,
                (True, False, True, True, True, True, True, True)))
    print(f"P&L in {COLLATERAL}, before fees" + ("" if pnl.complete else
          "; note: the node's history does not explain every position (older blocks are not kept)"))
    return 0


def _orders(args: argparse.Namespace, client: Client) -> int:
    orders = client.open_orders(args.account_address)
    if args.json:
        emit(orders)
        return 0
    if not orders:
        print("no open orders")
        return 0
    rows = [(o.order_id, o.name, "buy" if o.side == 0 else "sell", qty(o.remaining_e6), qty(o.price_e6),
             o.client_order_id or "-", "reduce-only" if o.reduce_only else "", date(o.expiry))
            for o in orders]
    print(table(("ORDER", "INSTRUMENT", "SIDE", "REMAINING", "PRICE", "CLIENT ID", "FLAGS", "EXPIRES"), rows,
                (True, False, False, True, True, True, False, False)))
    return 0


def _risk(args: argparse.Namespace, client: Client) -> int:
    risk = client.risk(args.account_address)
    if args.json:
        emit(risk)
        return 0
    m = risk.margin
    print(f"account 0x{risk.address.hex()}  (block {risk.block_number})")
    print(f"equity {money(m.equity_e6)} {COLLATERAL}, maintenance {money(m.maintenance_e6)}, "
          f"initial {money(m.initial_e6)}, available {money(m.available_e6)}")
    if not risk.underlyings:
        print("no positions: no risk")
        return 0
    rows = [(u.underlying, money(u.index_e6), greek(u.delta_wad), greek(u.gamma_wad, places=6),
             greek(u.vega_wad, VOL_POINTS_PER_UNIT), greek(u.theta_wad, DAYS_PER_YEAR), money(u.maintenance_e6),
             u.worst_scenario)
            for u in risk.underlyings]
    if len(risk.underlyings) > 1:
        rows.append(("total", "", greek(risk.delta_wad), greek(risk.gamma_wad, places=6),
                     greek(risk.vega_wad, VOL_POINTS_PER_UNIT), greek(risk.theta_wad, DAYS_PER_YEAR),
                     money(m.maintenance_e6), ""))
    print(table(("UNDERLYING", "INDEX", "DELTA", "GAMMA", "VEGA/1%", "THETA/DAY", "MAINTENANCE", "WORST SCENARIO"),
                rows, (False, True, True, True, True, True, True, False)))
    if not risk.complete:
        print("note: a position has no mark yet; the figures are incomplete")
    return 0
