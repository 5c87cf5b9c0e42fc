"""An account's fills and order updates, live: ``fills``.

    optrollup fills --key mm                  # until Ctrl-C
    optrollup fills --dev-account bob --json  # one JSON object per line
    optrollup fills --address 0x... --count 5 # stop after 5 events

One line per event, from the next block on (``Stream.SubscribeAccount``): its block time (UTC)
and number, then for a fill the instrument, the account's side, size, price, the fee it paid
and ``maker`` / ``taker``; for an order update the instrument, side, price, the new status,
what this event filled and what remains (for ``cancelled``, the size removed) and the reason
of a cancellation or rejection. Prices and fees in collateral units (USDC), sizes in contracts.

``--json`` prints one compact JSON object per line: ``event`` (``fill`` / ``order``),
``instrument`` (the name) and the fields of ``node.client.AccountFill`` / ``OrderUpdate``
with the exact ``*_e6`` integers. Output is flushed after each event, so it can be piped.

Ctrl-C ends the stream and exits 0; ``--count N`` exits 0 after N events. A stream the node
ends (shutdown, a subscriber too slow) exits 1. Options and exit codes: ``node.cli.common``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

from node.cli.common import COLLATERAL, EXIT_OK, add_node_options, command, money, qty
from node.client import AccountEvent, AccountFill, BadInput, Client, as_json

SIDES = ("buy", "sell")


def register(subparsers: argparse._SubParsersAction) -> None:
    fills = subparsers.add_parser(
        "fills", help="an account's fills and order updates, live",
        description="Print an account's fills and order updates as they happen, one line each, until Ctrl-C.")
    add_node_options(fills, key="read")
    fills.add_argument("--count", type=positive_count, default=None, metavar="N",
                       help="stop after N events (default: run until Ctrl-C)")
    fills.set_defaults(func=command(_fills, need_address=True))


def positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def clock(unix_seconds: int) -> str:
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class Names:
    """Instrument names by id (the client's cached list; an unknown id prints as its number)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.cache: dict[int, str] = {}

    def __call__(self, instrument_id: int) -> str:
        if instrument_id not in self.cache:
            try:
                self.cache[instrument_id] = self.client.instrument(instrument_id).name
            except BadInput:
                return str(instrument_id)
        return self.cache[instrument_id]


def side_name(side: int) -> str:
    return SIDES[side] if side in (0, 1) else str(side)


def format_event(event: AccountEvent, name: str) -> str:
    """One human line (see the module docstring)."""
    head = f"{clock(event.timestamp)}  block {event.block_number:<7}"
    if isinstance(event, AccountFill):
        return (f"{head} fill   {name}  {side_name(event.side):<4}  {qty(event.size_e6)} @ {qty(event.price_e6)}"
                f"  fee {money(event.fee_e6)} {COLLATERAL}  {event.liquidity}  order {event.order_id}")
    text = (f"{head} order  {name}  {side_name(event.side):<4}  @ {qty(event.price_e6)}  {event.status}"
            f"  filled {qty(event.filled_e6)}  remaining {qty(event.remaining_e6)}")
    if event.order_id:
        text += f"  order {event.order_id}"
    if event.reason_code:
        text += f"  ({event.reason_name} {event.reason_code})"
    elif event.reason_name:
        text += f"  ({event.reason_name})"
    return text


def event_json(event: AccountEvent, name: str) -> str:
    kind = "fill" if isinstance(event, AccountFill) else "order"
    return json.dumps({"event": kind, "instrument": name, **as_json(event)}, separators=(",", ":"))


def _fills(args: argparse.Namespace, client: Client) -> int:
    names = Names(client)
    watch = None
    seen = 0
    try:
        watch = client.watch_account(args.account_address)
        if not args.json:
            print(f"watching 0x{args.account_address.hex()} on {client.target} (Ctrl-C to stop)", file=sys.stderr)
        for event in watch:
            name = names(event.instrument_id)
            print(event_json(event, name) if args.json else format_event(event, name), flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way to stop
    except BrokenPipeError:  # e.g. `| head`: the reader is gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if watch is not None:
            watch.close()
    return EXIT_OK
