"""``optrollup node``: run a sequencer with the gRPC API.

Only ``--dev`` exists for now: a development chain (``node.sequencer.dev``) with ETH and BTC
series over three weekly expiries, an oracle update at start and four funded accounts whose
(public, development-only) keys are printed. Without ``--data-dir`` it lives in memory;
with ``--data-dir DIR`` every block is committed to an LMDB store there (``node.store``)
before it is acknowledged, and starting again with the same directory resumes at its head.
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
from node.stf.state import State
from node.wallet import address_of


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "node",
        help="run a sequencer node with the gRPC API",
        description=(
            "Run a sequencer with the gRPC Trading and Query services (plus health and reflection). "
            "Only --dev is available: a development chain, in memory, or persisted in an LMDB "
            "store with --data-dir (restarting with the same directory resumes)."
        ),
    )
    parser.add_argument("--dev", action="store_true", required=True,
                        help="development chain: dev genesis, listed series, funded dev accounts (keys printed)")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="keep the chain in an LMDB store in DIR (created if needed); resume if it exists")
    parser.add_argument("--durability", choices=("full", "nometasync", "nosync"), default="full",
                        help="with --data-dir: fsync every block (full, default) or faster opt-ins (see README)")
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


def _open_sequencer(args: argparse.Namespace, chain) -> tuple[Sequencer, bool, object | None]:
    """A sequencer on a fresh chain or on the store in ``--data-dir``: (sequencer, fresh, store)."""
    options = {"block_time_ms": args.block_time_ms, "max_block_txs": args.max_block_txs}
    if args.data_dir is None:
        return Sequencer.from_genesis(chain.genesis, **options), True, None
    from node.store.lmdb_backend import LmdbBackend
    from node.store.lmdb_store import BlockStore
    from node.store.sink import LmdbBlockSink

    store = BlockStore(args.data_dir, durability=args.durability)
    backend = LmdbBackend(store)
    sink = LmdbBlockSink(backend)
    if store.head() is None:
        return Sequencer.from_genesis(chain.genesis, backend=backend, sink=sink, **options), True, store
    return Sequencer(State(backend), sink=sink, **options), False, store


async def _main(args: argparse.Namespace) -> int:
    chain = dev_chain(int(time.time()))
    sequencer, fresh, store = _open_sequencer(args, chain)
    await sequencer.start()
    if fresh:
        await bootstrap(sequencer, chain)
    else:
        print(f"resumed from {args.data_dir} at block {sequencer.head_number}", flush=True)
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
    if store is not None:
        store.close()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except OSError as exc:
        print(f"optrollup node: {exc}", file=sys.stderr)
        return 1
