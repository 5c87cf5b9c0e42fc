"""What happened: ``trades`` (a series' recent trades) and ``history`` (an account's transactions and fills).

    optrollup trades ETH-25DEC26-3000-C [--limit N] [--before POSITION]
    optrollup history --dev-account bob [--limit N] [--before POSITION]

Both page the same way (``query.proto``): newest first, ``--limit`` rows (default 20, at most
1000), and, when more are left, a last line ``more: --before POSITION`` (``--json``:
``next_before``, 0 when there is none) to ask for the next page. ``history`` reads the node's
block store (every block it keeps), one row per transaction: its time and block, what it was
(``order``, ``cancel``, ``cancel_all``, ``withdraw``, ``deposit``, ``liquidate``, ``settle``,
or ``fill``: another account's order that filled this one's resting orders), the series,
side, size and price, the outcome, and the account's fills in it with their fees. Prices and
fees in collateral units (USDC), sizes in contracts; ``--json`` gives the exact ``*_e6``
integers. Options and exit codes: ``node.cli.common``.
"""

from __future__ import annotations

import argparse

from node.cli.common import COLLATERAL, add_node_options, command, emit, money, qty, table
from node.cli.fills import Names, clock, positive_count, side_name
from node.client import Client, HistoryEntry

DEFAULT_ROWS = 20
MAX_ROWS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    trades = subparsers.add_parser("trades", help="recent trades of a series",
                                   description="Recent trades of one series, newest first (paged).")
    trades.add_argument("instrument", metavar="INSTRUMENT", help="instrument id or name, e.g. ETH-25DEC26-3000-C")
    _paging(trades)
    add_node_options(trades, key="none")
    trades.set_defaults(func=command(_trades))

    history = subparsers.add_parser("history", help="an account's transactions and fills (paged)",
                                    description="An account's transactions and fills, newest first, from the "
                                                "node's block store (paged).")
    _paging(history)
    add_node_options(history, key="read")
    history.set_defaults(func=command(_history, need_address=True))


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_rows, default=DEFAULT_ROWS, metavar="N",
                        help=f"rows per page (default {DEFAULT_ROWS}, at most {MAX_ROWS})")
    parser.add_argument("--before", type=positive_count, default=0, metavar="POSITION",
                        help="the next page: the POSITION the previous page printed after `more:`")


def _rows(text: str) -> int:
    value = positive_count(text)
    if value > MAX_ROWS:
        raise argparse.ArgumentTypeError(f"at most {MAX_ROWS}")
    return value


def _more(next_before: int) -> None:
    if next_before:
        print(f"more: --before {next_before}")


def _trades(args: argparse.Namespace, client: Client) -> int:
    inst = client.instrument(args.instrument)
    page = client.trades(inst.instrument_id, limit=args.limit, before=args.before)
    if args.json:
        emit({"instrument": inst.name, "instrument_id": inst.instrument_id, "trades": page.items,
              "next_before": page.next_before, "block_number": page.block_number})
        return 0
    if not page.items:
        print(f"no trades on {inst.name}" + (" before that position" if args.before else ""))
        return 0
    rows = [(clock(t.timestamp), t.block_number, side_name(t.taker_side), qty(t.size_e6), qty(t.price_e6),
             f"0x{t.tx_hash.hex()[:8]}…") for t in page.items]
    print(f"{inst.name} (id {inst.instrument_id}), prices in {COLLATERAL}")
    print(table(("TIME (UTC)", "BLOCK", "TAKER", "SIZE", "PRICE", "TX"), rows,
                (False, True, False, True, True, False)))
    _more(page.next_before)
    return 0


def describe(entry: HistoryEntry, names: Names) -> tuple[str, str, str, str]:
    """(what, series, detail, outcome) of one history row."""
    series = names(entry.instrument_id) if entry.instrument_id else "-"
    outcome = "OK" if entry.code == 0 else f"{entry.failure_name} ({entry.code})"
    if entry.kind == "order":
        detail = f"{side_name(entry.side)} {qty(entry.size_e6)} @ {qty(entry.price_e6)}"
        if entry.code == 0:
            outcome = f"order {entry.order_id}: filled {qty(entry.filled_e6)}, resting {qty(entry.rested_e6)}"
            if entry.remainder_name:
                outcome += f" ({entry.remainder_name})"
    elif entry.kind in ("deposit", "withdraw"):
        detail = f"{money(entry.amount_e6)} {COLLATERAL}"
        if entry.kind == "withdraw" and entry.code == 0:
            outcome = f"withdrawal {entry.order_id}"
    elif entry.kind == "cancel":
        detail = f"order {entry.order_id}"
    elif entry.kind == "cancel_all":
        detail = "all series" if not entry.instrument_id else ""
    elif entry.kind == "liquidate":
        detail = f"size {qty(entry.size_e6)}" if entry.own else "of this account"
    else:
        detail = ""
    if entry.kind == "fill":
        series, outcome = "-", "filled resting orders"
    return entry.kind, series, detail, outcome


def _history(args: argparse.Namespace, client: Client) -> int:
    page = client.history(args.account_address, limit=args.limit, before=args.before)
    if args.json:
        emit({"address": args.account_address, "entries": page.items, "next_before": page.next_before,
              "block_number": page.block_number})
        return 0
    if not page.items:
        print("no history" + (" before that position" if args.before else ""))
        return 0
    names = Names(client)
    rows = []
    for entry in page.items:
        kind, series, detail, outcome = describe(entry, names)
        rows.append((clock(entry.timestamp), entry.block_number, kind, series, detail, outcome))
        for fill in entry.fills:
            rows.append(("", "", f"  {fill.liquidity}", names(fill.instrument_id),
                         f"{side_name(fill.side)} {qty(fill.size_e6)} @ {qty(fill.price_e6)}",
                         f"fee {money(fill.fee_e6)}"))
    print(table(("TIME (UTC)", "BLOCK", "WHAT", "SERIES", "DETAIL", "OUTCOME"), rows,
                (False, True, False, False, False, False)))
    _more(page.next_before)
    return 0
