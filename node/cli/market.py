"""Market data from the command line: ``instruments``, ``book``, ``receipt``.

    optrollup instruments [--underlying ETH]
    optrollup book ETH-25DEC26-3000-C [--depth 10]
    optrollup receipt 0x<tx hash>

No key needed. Prices in collateral units (USDC) per contract, sizes in contracts; ``--json``
gives the exact ``*_e6`` integers. Options and exit codes: ``node.cli.common``.
"""

from __future__ import annotations

import argparse

from node.cli.common import COLLATERAL, add_node_options, command, date, emit, money, qty, table
from node.cli.trade import print_receipt
from node.client import Client
from node.rpc.server import MAX_BOOK_DEPTH


def register(subparsers: argparse._SubParsersAction) -> None:
    instruments = subparsers.add_parser("instruments", help="listed option series",
                                        description="List the option series with marks and best prices.")
    instruments.add_argument("--underlying", metavar="NAME", help="only this underlying, e.g. ETH")
    add_node_options(instruments, key="none")
    instruments.set_defaults(func=command(_instruments))

    book = subparsers.add_parser("book", help="order book of an instrument",
                                 description="Price levels of one instrument: asks (best last) above bids (best first).")
    book.add_argument("instrument", metavar="INSTRUMENT", help="instrument id or name, e.g. ETH-25DEC26-3000-C")
    book.add_argument("--depth", type=_depth, default=10, metavar="N",
                      help=f"levels per side (default 10, at most {MAX_BOOK_DEPTH})")
    add_node_options(book, key="none")
    book.set_defaults(func=command(_book))

    receipt = subparsers.add_parser("receipt", help="receipt of an included transaction",
                                    description="The receipt of an included transaction, by its hash.")
    receipt.add_argument("tx_hash", metavar="TXHASH", help="0x + 64 hex digits")
    add_node_options(receipt, key="none")
    receipt.set_defaults(func=command(_receipt))


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= MAX_BOOK_DEPTH:
        raise argparse.ArgumentTypeError(f"must be in [1, {MAX_BOOK_DEPTH}]")
    return value


def _instruments(args: argparse.Namespace, client: Client) -> int:
    listed = client.instruments(args.underlying)
    if args.json:
        emit(listed)
        return 0
    if not listed:
        print("no instruments" + (f" on {args.underlying}" if args.underlying else ""))
        return 0
    price = lambda e6: money(e6) if e6 else "-"  # noqa: E731
    rows = [(i.instrument_id, i.name, date(i.expiry), qty(i.strike_e6), "call" if i.is_call else "put",
             price(i.mark_e6), price(i.best_bid_e6), price(i.best_ask_e6), qty(i.tick_size_e6), qty(i.min_size_e6))
            for i in listed]
    print(table(("ID", "INSTRUMENT", "EXPIRY (UTC)", "STRIKE", "TYPE", "MARK", "BID", "ASK", "TICK", "MIN SIZE"),
                rows, (True, False, False, True, False, True, True, True, True, True)))
    return 0


def _book(args: argparse.Namespace, client: Client) -> int:
    book = client.book(args.instrument, args.depth)
    if args.json:
        emit(book)
        return 0
    print(f"{book.name} (id {book.instrument_id}, block {book.block_number}), prices in {COLLATERAL}")
    rows = [("ask", qty(level.price_e6), qty(level.size_e6), level.order_count) for level in reversed(book.asks)]
    rows += [("bid", qty(level.price_e6), qty(level.size_e6), level.order_count) for level in book.bids]
    if not rows:
        print("empty book")
        return 0
    print(table(("SIDE", "PRICE", "SIZE", "ORDERS"), rows, (False, True, True, True)))
    return 0


def _receipt(args: argparse.Namespace, client: Client) -> int:
    receipt = client.receipt(args.tx_hash)
    if args.json:
        emit(receipt)
    else:
        print_receipt(receipt)
    return 0
