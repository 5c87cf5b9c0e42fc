"""``optrollup node``: run a sequencer with the gRPC API.

Only ``--dev`` exists for now: an in-memory development chain (``node.sequencer.dev``) with
ETH and BTC series over three weekly expiries, an oracle update at start and four funded
accounts whose (public, development-only) keys are printed. Persistence (``--data-dir``)
arrives with the LMDB store; until then a restart starts a fresh chain.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

from node.rpc.server import DEFAULT_ADDRESS, DEFAULT_BURST, DEFAULT_RATE_PER_S, serve
from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import DEFAULT_BLOCK_TIME_MS, DEFAULT_MAX_BLOCK_TXS, Sequencer
from node.wallet import address_of


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "node",
        help="run a sequencer node with the gRPC API",
        description=(
            "Run a sequencer with the gRPC Trading and Query services (plus health and reflection). "
            "Only --dev is available: an in-memory development chain. Persistence (--data-dir) "
            "comes with the LMDB store; until then state is lost on exit."
        ),
    )
    parser.add_argument("--dev", action="store_true", required=True,
                        help="development chain: dev genesis, listed series, funded dev accounts (keys printed)")
    parser.add_argument("--listen", default=DEFAULT_ADDRESS, metavar="ADDR",
                        help=f"gRPC listen address (default {DEFAULT_ADDRESS}; port 0 = any free port)")
    parser.add_argument("--block-time-ms", type=float, default=DEFAULT_BLOCK_TIME_MS,
                        help=f"close a block this long after its first transaction (default {DEFAULT_BLOCK_TIME_MS})")
    parser.add_argument("--max-block-txs", type=int, default=DEFAULT_MAX_BLOCK_TXS,
                        help=f"close a block at this many transactions (default {DEFAULT_MAX_BLOCK_TXS})")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE_PER_S,
                        help=f"per-client transactions per second (default {DEFAULT_RATE_PER_S:g})")
    parser.add_argument("--burst", type=float, default=DEFAULT_BURST,
                        help=f"per-client burst of transactions (default {DEFAULT_BURST:g})")
    parser.set_defaults(func=run)


async def _main(args: argparse.Namespace) -> int:
    chain = dev_chain(int(time.time()))
    sequencer = Sequencer.from_genesis(chain.genesis, block_time_ms=args.block_time_ms,
                                       max_block_txs=args.max_block_txs)
    await sequencer.start()
    await bootstrap(sequencer, chain)
    server = await serve(sequencer, args.listen, rate_per_s=args.rate, burst=args.burst)
    host = args.listen.rsplit(":", 1)[0]
    print(f"optrollup dev node: chain id {sequencer.chain_id}, {chain.series_count} series listed, "
          f"head block {sequencer.head_number}", flush=True)
    print("dev accounts (development keys, public: never use them elsewhere):")
    for name, key in chain.accounts.items():
        print(f"  {name:6s} address 0x{address_of(key).hex()}  key 0x{key.hex()}")
    print(f"listening on {host}:{server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("stopping...", flush=True)
    await server.stop(2.0)
    await sequencer.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except OSError as exc:
        print(f"optrollup node: {exc}", file=sys.stderr)
        return 1
