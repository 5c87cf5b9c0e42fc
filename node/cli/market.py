"""Market data from the command line: ``instruments``, ``book``, ``receipt``.

    optrollup instruments [--underlying ETH]
    optrollup book ETH-25DEC26-3000-C [--depth 10]
    optrollup book ETH-25DEC26-3000-C --live [--count N]
    optrollup receipt 0x<tx hash>

No key needed. Prices in collateral units (USDC) per contract, sizes in contracts; ``--json``
gives the exact ``*_e6`` integers. Options and exit codes: ``node.cli.common``.

``book --live`` follows the book (``Stream.SubscribeOrderBook``): the current book first, then
the book again after each block that changed its top ``--depth`` levels, redrawn in place on a
terminal and printed one after the other otherwise (``--json``: one compact object per line,
a ``node.client.BookView``). It runs until Ctrl-C (exit 0); ``--count N`` stops after N books,
the first one included.
"""

from __future__ import annotations

import argparse
import json
import sys

from node.cli.common import COLLATERAL, EXIT_OK, add_node_options, command, date, emit, money, qty, table
from node.cli.fills import positive_count
from node.cli.trade import print_receipt
from node.client import BadInput, Book, BookView, Client, as_json
from node.rpc.query import MAX_BOOK_DEPTH


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
    book.add_argument("--live", action="store_true", help="follow the book: print it again after each change")
    book.add_argument("--count", type=positive_count, default=None, metavar="N",
                      help="with --live: stop after N books, the first one included (default: until Ctrl-C)")
    add_node_options(book, key="none")
    book.set_defaults(func=command(_book, validate=_book_options))

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


def _book_options(args: argparse.Namespace) -> None:
    if args.count is not None and not args.live:
        raise BadInput("--count goes with --live")


def _book(args: argparse.Namespace, client: Client) -> int:
    if args.live:
        return _book_live(args, client)
    book = client.book(args.instrument, args.depth)
    if args.json:
        emit(book)
        return 0
    print(format_book(book))
    return 0


def format_book(book: Book | BookView) -> str:
    """A title line, then asks (best last) above bids (best first), or ``empty book``."""
    title = f"{book.name} (id {book.instrument_id}, block {book.block_number}), prices in {COLLATERAL}"
    rows = [("ask", qty(level.price_e6), qty(level.size_e6), level.order_count) for level in reversed(book.asks)]
    rows += [("bid", qty(level.price_e6), qty(level.size_e6), level.order_count) for level in book.bids]
    if not rows:
        return f"{title}\nempty book"
    return f"{title}\n" + table(("SIDE", "PRICE", "SIZE", "ORDERS"), rows, (False, True, True, True))


CLEAR_SCREEN = "\x1b[H\x1b[2J"


def _book_live(args: argparse.Namespace, client: Client) -> int:
    redraw = not args.json and sys.stdout.isatty()
    watch = None
    try:
        watch = client.watch_book(args.instrument, args.depth)
        for shown, view in enumerate(watch, 1):
            if args.json:
                print(json.dumps(as_json(view), separators=(",", ":")), flush=True)
            else:
                text = format_book(view)
                if redraw:
                    text = CLEAR_SCREEN + text + "\n(Ctrl-C to stop)"
                elif shown > 1:
                    text = "\n" + text
                print(text, flush=True)
            if args.count is not None and shown >= args.count:
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way to stop
    finally:
        if watch is not None:
            watch.close()
    return EXIT_OK


def _receipt(args: argparse.Namespace, client: Client) -> int:
    receipt = client.receipt(args.tx_hash)
    if args.json:
        emit(receipt)
    else:
        print_receipt(receipt)
    return 0
