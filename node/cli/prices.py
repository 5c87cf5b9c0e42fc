"""``optrollup prices``: the devnet's simulated market as an HTTP price source (and its L1 feeds).

Serves ``GET http://--listen/prices`` in the ``node.oracle.http_source`` schema, moved every
``--interval`` seconds by the dev price path (``node.oracle.simulated``); ``--start
NAME=INDEX:VOL`` sets an underlying's start (default the dev chain's ETH and BTC;
``--from-node ADDR`` starts from the chain's current indexes instead, so a restarted
devnet continues where its chain is). With ``--l1 URL --feeds-file FILE`` it also moves one
Chainlink-style feed per underlying on L1 (``contracts/oracle/price_feed.vy``) every
``--feed-interval`` seconds: the feeds in FILE if it exists, else it deploys them and
writes FILE (``{"ETH": "0x..."}``). Feeds are signed by ``--feed-key LABEL`` or, on the
devnet, ``--dev-feed-key NAME`` (a public devnet account, default none).
DEVELOPMENT AND TESTS ONLY: the prices are random.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from node.cli.arg_types import positive_float
from node.sequencer.dev import DEV_UNDERLYINGS

DEFAULT_LISTEN = "127.0.0.1:8600"
FROM_NODE_WAIT_S = 120.0


def _start(text: str) -> tuple[str, int, int]:
    try:
        name, rest = text.split("=", 1)
        index, vol = rest.split(":", 1)
        index_e6, vol_e6 = round(float(index) * 10**6), round(float(vol) * 10**6)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=INDEX:VOL (ETH=3000:0.65): {text}") from None
    if not name or index_e6 <= 0 or vol_e6 <= 0:
        raise argparse.ArgumentTypeError(f"a name, a positive index and vol: {text}")
    return name.upper(), index_e6, vol_e6



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prices", help="DEVELOPMENT: serve a simulated index and vol surface over HTTP (and move L1 feeds)",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
                        help=f"serve GET /prices here (default {DEFAULT_LISTEN}; port 0: any free port)")
    parser.add_argument("--interval", type=positive_float, default=1.0, metavar="S", help="seconds per price step (default 1)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the price path (default 0)")
    parser.add_argument("--speed", type=positive_float, default=1.0, metavar="X",
                        help="scale the path's volatility (default 1: the surface's own vol)")
    parser.add_argument("--start", type=_start, action="append", default=[], metavar="NAME=INDEX:VOL",
                        help="an underlying's start index and ATM vol (repeatable; default ETH=3000:0.65, "
                             "BTC=100000:0.55)")
    parser.add_argument("--from-node", metavar="ADDR", default=None,
                        help="start each underlying at the index the chain at ADDR holds (if it has one; "
                             f"waits up to {FROM_NODE_WAIT_S:g}s for the node to answer)")
    parser.add_argument("--l1", metavar="URL", default=None, help="also move L1 price feeds on this L1")
    parser.add_argument("--feeds-file", metavar="FILE", default=None,
                        help="with --l1: the feeds' addresses (JSON {name: address}); deployed and written if absent")
    parser.add_argument("--feed-interval", type=positive_float, default=2.0, metavar="S",
                        help="seconds between feed rounds on L1 (default 2)")
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--feed-key", metavar="LABEL", default=None, help="keystore LABEL that deploys and posts the feeds")
    keys.add_argument("--dev-feed-key", metavar="NAME", default=None,
                      help="DEVELOPMENT ONLY: a public devnet account (e.g. challenger) that posts the feeds")
    parser.add_argument("--keys-dir", metavar="DIR", default=None, help="keys directory for --feed-key")
    parser.add_argument("--password-file", metavar="FILE", default=None, help="the --feed-key passphrase")
    parser.set_defaults(func=run)


def _starts(args: argparse.Namespace) -> dict[str, tuple[int, int]]:
    starts = {name: (index_e6, vol_e6) for name, index_e6, vol_e6 in args.start} or {
        name: (index * 10**6, vol_e6) for _, name, index, vol_e6, *_ in DEV_UNDERLYINGS}
    if args.from_node:
        import time

        from node.client import Client, NodeError

        deadline = time.monotonic() + FROM_NODE_WAIT_S
        with Client(args.from_node) as client:
            while True:  # the node may be starting beside us (the devnet starts both at once)
                try:
                    infos, _ = client.underlyings()
                    break
                except NodeError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        for info in infos:
            if info.name.upper() in starts and info.index_e6:
                starts[info.name.upper()] = (info.index_e6, starts[info.name.upper()][1])
    return starts


def _feeds(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, object]:
    from web3 import Web3

    from bridge.l1 import Transactor
    from bridge.price_feed import FeedPoster, deploy_feed

    if args.dev_feed_key:
        from devnet.accounts import ROLES, devnet_key

        if args.dev_feed_key not in ROLES:
            raise ValueError(f"--dev-feed-key: one of {', '.join(ROLES)}")
        key = devnet_key(args.dev_feed_key)
    elif args.feed_key:
        from node.keystore import Keystore, read_passphrase

        key = Keystore(args.keys_dir).load(args.feed_key, read_passphrase(args.password_file))
    else:
        raise ValueError("--l1 needs --feed-key LABEL (or --dev-feed-key NAME on the devnet)")
    if not args.feeds_file:
        raise ValueError("--l1 needs --feeds-file FILE")
    transactor = Transactor(Web3(Web3.HTTPProvider(args.l1, request_kwargs={"timeout": 30})), key)
    path = Path(args.feeds_file)
    addresses = json.loads(path.read_text()) if path.exists() else {}
    for name in names:
        if name not in addresses:
            addresses[name] = deploy_feed(transactor, f"{name} / USD")
            print(f"prices: deployed the {name} / USD feed at {addresses[name]}", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(addresses, indent=2) + "\n")
    return {name: FeedPoster(transactor, addresses[name]) for name in names}


def run(args: argparse.Namespace) -> int:
    from node.oracle.simulated import PricesServer, SimulatedMarket

    host, _, port = args.listen.rpartition(":")
    if not port.isdigit():
        print(f"optrollup prices: error: --listen HOST:PORT, not {args.listen!r}", file=sys.stderr)
        return 2
    try:
        names = tuple(name for name, *_ in args.start) or tuple(name for _, name, *_ in DEV_UNDERLYINGS)
        feeds = _feeds(args, names) if args.l1 else {}
        market = SimulatedMarket(_starts(args), seed=args.seed, interval_s=args.interval, speed=args.speed)
        server = PricesServer(market, (host or "127.0.0.1", int(port)), interval_s=args.interval, feeds=feeds,
                              feed_interval_s=args.feed_interval)
    except OSError as exc:
        print(f"optrollup prices: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"optrollup prices: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the node or the L1: one line
        print(f"optrollup prices: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    starts = ", ".join(f"{n} {market.index_e6(n) / 10**6:g}" for n in market.names)
    print(f"prices: serving {server.url} ({starts}; a step every {args.interval:g}s"
          + (f"; L1 feeds {', '.join(f'{n} {p.contract.address}' for n, p in feeds.items())}" if feeds else "")
          + ")", flush=True)
    stop.wait()
    server.close()
    print("prices stopped", flush=True)
    return 0
