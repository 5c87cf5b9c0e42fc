"""``optrollup node``: run a sequencer with the gRPC API.

Only ``--dev`` exists for now: a development chain (``node.sequencer.dev``) with ETH and BTC
series over three weekly expiries, an oracle update at start and four funded accounts whose
(public, development-only) keys are printed, plus the dev faucet (the ``Dev`` gRPC service,
``node.rpc.dev_faucet``; ``optrollup deposit``) standing in for L1 deposits. Without
``--data-dir`` it lives in memory; with ``--data-dir DIR`` every block is committed to an LMDB store there (``node.store``)
before it is acknowledged, and starting again with the same directory resumes at its head.

A live dev market: the built-in dev oracle (``node.sequencer.dev_oracle``; ``--no-oracle``,
``--oracle-interval``, ``--oracle-seed``) signs an index and vol-surface update per underlying
every second from a seeded random walk, and the dev market maker (``node.sequencer.dev_market``;
``--no-market-maker``) keeps POST_ONLY quotes around every mark with the ``maker`` account.

Observability: Prometheus metrics on ``--metrics ADDR`` (``node.metrics``; default
127.0.0.1:9100, ``off`` to disable; a taken default port only disables them with a warning),
logs on stderr as text or JSON lines (``node.logs``; ``--log-format``, ``--log-level``), the
``Node`` status service (``optrollup status``), and health that goes NOT_SERVING on a halt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time

from node import logs
from node.metrics import DEFAULT_METRICS_ADDRESS, MetricsServer, NodeMetrics, parse_address
from node.rpc.server import DEFAULT_ADDRESS, DEFAULT_BURST, DEFAULT_RATE_PER_S, serve
from node.rpc.status import NodeInfo
from node.sequencer import dev_market, dev_oracle
from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import (
    DEFAULT_BLOCK_TIME_MS,
    DEFAULT_MAX_BLOCK_TXS,
    DEFAULT_RECOVERY_WORKERS,
    Sequencer,
)
from node.stf import keys
from node.stf.state import State
from node.wallet import address_of
from node.store.lmdb_store import StoreError

log = logging.getLogger(__name__)


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
    parser.add_argument("--recovery-workers", type=int, default=DEFAULT_RECOVERY_WORKERS, metavar="N",
                        help="processes for signature recovery (default %(default)s: in process; see sequencer docs)")
    dev = parser.add_argument_group("development market (--dev)")
    dev.add_argument("--no-oracle", dest="oracle", action="store_false",
                     help="no built-in dev oracle (by default it signs an index and vol surface update "
                          "per underlying every --oracle-interval seconds, from a seeded random walk)")
    dev.add_argument("--oracle-interval", type=_positive, default=dev_oracle.DEFAULT_INTERVAL_S, metavar="S",
                     help=f"seconds between dev oracle updates (default {dev_oracle.DEFAULT_INTERVAL_S:g})")
    dev.add_argument("--oracle-seed", type=int, default=dev_oracle.DEFAULT_SEED, metavar="N",
                     help=f"seed of the dev oracle's price path (default {dev_oracle.DEFAULT_SEED})")
    dev.add_argument("--market-maker", action=argparse.BooleanOptionalAction, default=True,
                     help="run the dev market maker (the dev 'maker' account quotes every series "
                          "around its mark, POST_ONLY; default on)")
    obs = parser.add_argument_group("observability")
    obs.add_argument("--metrics", type=_metrics_address, default=None, metavar="ADDR",
                     help=f"serve Prometheus metrics on http://ADDR/metrics (default {DEFAULT_METRICS_ADDRESS}; "
                          "'off' to disable; port 0 = any free port)")
    obs.add_argument("--log-format", choices=logs.FORMATS, default="text",
                     help="log lines on stderr as text (default) or JSON lines")
    obs.add_argument("--log-level", choices=logs.LEVELS, default="INFO", type=str.upper,
                     help="log level (default INFO; DEBUG logs every block and oracle update)")
    obs.add_argument("--slow-block-ms", type=_positive, default=logs.DEFAULT_SLOW_BLOCK_S * 1000, metavar="MS",
                     help=f"log a block slower than this at WARNING (default {logs.DEFAULT_SLOW_BLOCK_S * 1000:g})")
    parser.set_defaults(func=run)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def _metrics_address(text: str) -> str:
    if text == "off":
        return text
    try:
        parse_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _start_metrics(args: argparse.Namespace, sequencer: Sequencer, store) -> tuple[NodeMetrics, MetricsServer | None]:
    """Metrics for ``sequencer`` and, unless ``--metrics off``, their HTTP endpoint. A default
    address that is taken only costs a warning; an explicit ``--metrics ADDR`` must bind."""
    metrics = NodeMetrics(sequencer, store=store).attach()
    address = getattr(args, "metrics", None)
    if address == "off":
        return metrics, None
    try:
        return metrics, MetricsServer(metrics.registry, address or DEFAULT_METRICS_ADDRESS)
    except OSError as exc:
        if address is not None:
            raise OSError(f"metrics: cannot listen on {address}: {exc}") from None
        log.warning("metrics disabled: cannot listen on %s: %s", DEFAULT_METRICS_ADDRESS, exc)
        print(f"metrics: cannot listen on {DEFAULT_METRICS_ADDRESS} ({exc.strerror or exc}); disabled "
              "(choose another with --metrics ADDR)", flush=True)
        return metrics, None


def _open_sequencer(args: argparse.Namespace, chain) -> tuple[Sequencer, bool, object | None]:
    """A sequencer on a fresh chain or on the store in ``--data-dir``: (sequencer, fresh, store)."""
    options = {"block_time_ms": args.block_time_ms, "max_block_txs": args.max_block_txs,
               "recovery_workers": getattr(args, "recovery_workers", DEFAULT_RECOVERY_WORKERS)}
    if args.data_dir is None:
        return Sequencer.from_genesis(chain.genesis, **options), True, None
    from node.store.lmdb_backend import LmdbBackend
    from node.store.lmdb_store import BlockStore, StoreCorrupted
    from node.store.sink import LmdbBlockSink

    store = BlockStore(args.data_dir, durability=args.durability)
    backend = LmdbBackend(store)
    sink = LmdbBlockSink(backend)
    if store.head() is None:
        store.set_genesis(chain.genesis)  # stored with block 0, so the store replays from it
        return Sequencer.from_genesis(chain.genesis, backend=backend, sink=sink, **options), True, store
    state = State(backend)
    genesis = store.genesis()  # None for a store made before genesis was stored
    if genesis is not None and state.get(keys.CONFIG) != genesis.config():
        store.close()
        raise StoreCorrupted(f"{args.data_dir}: the state's config is not the stored genesis's")
    return Sequencer(state, sink=sink, **options), False, store


async def _main(args: argparse.Namespace) -> int:
    chain = dev_chain(int(time.time()))
    sequencer, fresh, store = _open_sequencer(args, chain)
    logs.BlockLogger(sequencer, slow_block_s=getattr(args, "slow_block_ms", 250.0) / 1000)
    try:
        metrics, metrics_server = _start_metrics(args, sequencer, store)
    except OSError:
        if store is not None:
            store.close()
        raise
    await sequencer.start()
    if fresh:
        await bootstrap(sequencer, chain)
    else:
        print(f"resumed from {args.data_dir} at block {sequencer.head_number}", flush=True)
    info = NodeInfo(data_dir=args.data_dir or "", durability=args.durability if args.data_dir else "memory",
                    dev=True, metrics_url=metrics_server.url if metrics_server else "")
    server = await serve(sequencer, args.listen, rate_per_s=args.rate, burst=args.burst, dev=True, info=info)
    if getattr(server, "events", None) is not None:
        metrics.watch_subscribers(server.events.subscriber_count)
    host = args.listen.rsplit(":", 1)[0]
    if getattr(args, "oracle", True):
        info.oracle = dev_oracle.DevOracle(sequencer, interval_s=args.oracle_interval, seed=args.oracle_seed)
        info.oracle.start()
    if getattr(args, "market_maker", True):
        info.market_maker = dev_market.DevMarketMaker(sequencer)
        info.market_maker.start()
    print(f"optrollup dev node: chain id {sequencer.chain_id}, {chain.series_count} series listed, "
          f"head block {sequencer.head_number}", flush=True)
    print("dev accounts (development keys, public: never use them elsewhere):")
    for name, key in chain.accounts.items():
        print(f"  {name:6s} address 0x{address_of(key).hex()}  key 0x{key.hex()}")
    print(f"dev oracle: {'every %gs' % args.oracle_interval if info.oracle else 'off'}; "
          f"dev market maker: {'on' if info.market_maker else 'off'}", flush=True)
    if metrics_server is not None:
        print(f"metrics on {metrics_server.url}", flush=True)
    log.info("node started", extra={"chain_id": sequencer.chain_id, "grpc": f"{host}:{server.port}",
                                    "metrics": info.metrics_url, "head": sequencer.head_number,
                                    "data_dir": info.data_dir, "durability": info.durability,
                                    "oracle": info.oracle is not None, "market_maker": info.market_maker is not None})
    print(f"listening on {host}:{server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("stopping...", flush=True)
    for task in (info.market_maker, info.oracle):
        if task is not None:
            await task.stop()
    await server.stop(2.0)
    await sequencer.stop()
    if metrics_server is not None:
        metrics_server.close()
    if store is not None:
        store.close()
    return 0


def run(args: argparse.Namespace) -> int:
    logs.setup_logging(getattr(args, "log_format", "text"), getattr(args, "log_level", "INFO"))
    try:
        return asyncio.run(_main(args))
    except (OSError, StoreError) as exc:
        print(f"optrollup node: {exc}", file=sys.stderr)
        return 1
