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

The web page and its JSON/WebSocket gateway (``node.web``, issue 15) on ``--web ADDR``: on by
default with ``--dev`` at 127.0.0.1:8080, ``--no-web`` / ``--web off`` to disable.

Observability: Prometheus metrics on ``--metrics ADDR`` (``node.metrics``; default
127.0.0.1:9100, ``off`` to disable; a taken default port only disables them with a warning),
logs on stderr as text or JSON lines (``node.logs``; ``--log-format``, ``--log-level``), the
``Node`` status service (``optrollup status``), and health that goes NOT_SERVING on a halt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, replace

from node import logs
from node.cli.arg_types import positive_float, positive_int
from node.web import cli as web_cli
from node.metrics import DEFAULT_METRICS_ADDRESS, MetricsServer, NodeMetrics, parse_address
from node.rpc.server import DEFAULT_ADDRESS, DEFAULT_BURST, DEFAULT_RATE_PER_S, MAX_BATCH_TXS, check_free, serve
from node.rpc.status import NodeInfo
from node.sequencer import dev_market, dev_oracle
from node.sequencer.mempool import (
    DEFAULT_ACCOUNT_BURST,
    DEFAULT_ACCOUNT_RATE_PER_S,
    DEFAULT_MAX_PENDING_PER_SENDER,
    SenderLimits,
)
from node.sequencer.dev import DevChain, bootstrap, dev_chain
from node.sequencer.sequencer import (
    DEFAULT_BLOCK_TIME_MS,
    DEFAULT_MAX_BLOCK_TXS,
    DEFAULT_RECOVERY_WORKERS,
    Sequencer,
)
from node.stf import keys
from bridge.l1_settings import DEFAULT_SETTINGS as L1_DEFAULTS
from node.stf.genesis import Genesis
from node.stf.state import State
from node.stf.txtypes import TxType
from node.wallet import address_of
from node.keystore import KeystoreError
from node.store.lmdb_store import StoreError
from node.store.sink import DEFAULT_KEEP_BLOCKS

log = logging.getLogger(__name__)


class L1Error(Exception):
    """The L1 options cannot be used (unreachable, wrong chain, bad deployment file)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "node",
        help="run a sequencer node with the gRPC API",
        description=(
            "Run a sequencer with the gRPC Trading and Query services (plus health and reflection): "
            "--dev, a development chain (dev genesis and keys, dev oracle and market maker), in memory or "
            "persisted in an LMDB store with --data-dir (restarting with the same directory resumes); "
            "--follow, a read replica deriving the chain from L1; or neither, an operator's sequencer on "
            "--l1 URL --deployment FILE (from `optrollup deploy`) signing with --batcher-key and --proposer-key."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dev", action="store_true",
                      help="development chain: dev genesis, listed series, funded dev accounts (keys printed)")
    mode.add_argument("--follow", action="store_true",
                      help="read replica: derive the chain from L1 alone (--l1, --deployment), check every "
                           "posted state root, serve the read-only queries")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="read any of these flags from a TOML file (key = the flag's name: batch-interval = 1.0, "
                             "l1 = \"URL\", oracle = false); the command line wins")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="keep the chain in an LMDB store in DIR (created if needed); resume if it exists")
    parser.add_argument("--durability", choices=("full", "nometasync", "nosync"), default="full",
                        help="with --data-dir: fsync every block (full, default) or faster opt-ins (see README)")
    parser.add_argument("--keep-blocks", type=_non_negative_int, default=None, metavar="N",
                        help="with --data-dir and no --l1: keep the states of the last N blocks (default "
                             f"{DEFAULT_KEEP_BLOCKS}); with an L1, every state not yet final there is kept")
    parser.add_argument("--listen", default=DEFAULT_ADDRESS, metavar="ADDR",
                        help=f"gRPC listen address (default {DEFAULT_ADDRESS}; port 0 = any free port)")
    parser.add_argument("--block-time-ms", type=float, default=DEFAULT_BLOCK_TIME_MS,
                        help=f"close a block this long after its first transaction (default {DEFAULT_BLOCK_TIME_MS})")
    parser.add_argument("--max-block-txs", type=int, default=DEFAULT_MAX_BLOCK_TXS,
                        help=f"close a block at this many transactions (default {DEFAULT_MAX_BLOCK_TXS})")
    limits = parser.add_argument_group("limits (RESOURCE_EXHAUSTED beyond them)")
    limits.add_argument("--rate", type=positive_float, default=DEFAULT_RATE_PER_S, metavar="TX_PER_S",
                        help="transactions per second per client address (IP; IPv6: its /64), all its "
                             f"connections together (default {DEFAULT_RATE_PER_S:g})")
    limits.add_argument("--burst", type=_batch_burst, default=DEFAULT_BURST, metavar="N",
                        help=f"burst of transactions per client address, at least a batch ({MAX_BATCH_TXS}) "
                             f"(default {DEFAULT_BURST:g})")
    limits.add_argument("--account-rate", type=positive_float, default=DEFAULT_ACCOUNT_RATE_PER_S, metavar="TX_PER_S",
                        help="transactions per second per signing account, from any address "
                             f"(default {DEFAULT_ACCOUNT_RATE_PER_S:g})")
    limits.add_argument("--account-burst", type=_at_least_one, default=DEFAULT_ACCOUNT_BURST, metavar="N",
                        help=f"burst of transactions per signing account (default {DEFAULT_ACCOUNT_BURST:g})")
    limits.add_argument("--max-pending-per-account", type=positive_int, default=DEFAULT_MAX_PENDING_PER_SENDER, metavar="N",
                        help="transactions one account may have waiting for a block (default "
                             f"{DEFAULT_MAX_PENDING_PER_SENDER}; fewer once the mempool is 3/4 full)")
    parser.add_argument("--recovery-workers", type=int, default=DEFAULT_RECOVERY_WORKERS, metavar="N",
                        help="processes for signature recovery (default %(default)s: in process; see sequencer docs)")
    l1 = parser.add_argument_group("L1 (a rollup: `optrollup l1` runs a devnet L1)")
    l1.add_argument("--l1", metavar="URL", default=None,
                    help="L1 JSON-RPC endpoint: deposits come from L1, batches and state roots go to it "
                         "(the dev faucet is off); required with --follow")
    l1.add_argument("--deployment", metavar="FILE", default=None,
                    help="the contracts' deployment file (written by `optrollup l1`; holds the L2 genesis)")
    l1.add_argument("--sequencer-node", metavar="ADDR", default=None,
                    help="with --follow: the sequencer's gRPC address, named when a client asks this read "
                         "replica to trade")
    l1.add_argument("--confirmations", type=int, default=2, metavar="N",
                    help="L1 blocks on top of a deposit / batch before it is used (default 2)")
    l1.add_argument("--batch-interval", type=positive_float, default=2.0, metavar="S",
                    help="seal and post a batch (and its state root) every S seconds (default 2)")
    l1.add_argument("--batcher-key", metavar="LABEL", default=None,
                    help="keystore LABEL (see `optrollup keys`) that posts batches; it must be the inbox's "
                         "sequencer (default: the devnet's public `sequencer` key)")
    l1.add_argument("--proposer-key", metavar="LABEL", default=None,
                    help="keystore LABEL that proposes state roots with the bond; it must be the commitments' "
                         "proposer (default: the devnet's public `proposer` key)")
    l1.add_argument("--keys-dir", metavar="DIR", default=None,
                    help="keys directory for --batcher-key / --proposer-key (default $OPTROLLUP_KEYS_DIR or "
                         "~/.optrollup/keys)")
    l1.add_argument("--password-file", metavar="FILE", default=None,
                    help="passphrase of those keys (else $OPTROLLUP_PASSWORD, else a prompt)")
    l1.add_argument("--l1-head-tag", choices=("latest", "safe", "finalized"), default="latest",
                    help="the L1 block the node reads up to: latest (minus --confirmations), or safe / "
                         "finalized on a proof-of-stake L1 (then --confirmations 0 suffices) (default latest)")
    l1.add_argument("--l1-log-range", type=positive_int, default=L1_DEFAULTS.log_range, metavar="BLOCKS",
                    help=f"blocks per eth_getLogs query (providers cap it; default {L1_DEFAULTS.log_range})")
    l1.add_argument("--l1-tx-confirmations", type=_non_negative_int, default=L1_DEFAULTS.confirmations,
                    metavar="N", help="blocks on top of a batch / root transaction before it counts "
                                      f"(default {L1_DEFAULTS.confirmations})")
    l1.add_argument("--l1-receipt-timeout", type=positive_float, default=L1_DEFAULTS.receipt_timeout_s, metavar="S",
                    help="wait this long for a receipt before reporting the transaction pending (it stays in "
                         f"flight on its nonce, never re-sent on another) (default {L1_DEFAULTS.receipt_timeout_s:g})")
    l1.add_argument("--l1-bump-after", type=positive_float, default=L1_DEFAULTS.bump_after_s, metavar="S",
                    help="re-sign a transaction not mined after S seconds on the same nonce with higher fees "
                         f"(default {L1_DEFAULTS.bump_after_s:g})")
    l1.add_argument("--l1-fee-bump-percent", type=positive_int, default=L1_DEFAULTS.fee_bump_percent, metavar="P",
                    help=f"raise both fee fields by P%% per replacement (at least 10; default "
                         f"{L1_DEFAULTS.fee_bump_percent})")
    l1.add_argument("--l1-max-fee-gwei", type=positive_float, default=L1_DEFAULTS.max_fee_wei / 1e9, metavar="GWEI",
                    help=f"never pay more per gas (default {L1_DEFAULTS.max_fee_wei / 1e9:g})")
    l1.add_argument("--l1-priority-fee-gwei", type=float, default=L1_DEFAULTS.priority_fee_wei / 1e9, metavar="GWEI",
                    help=f"the tip of a first send (default {L1_DEFAULTS.priority_fee_wei / 1e9:g})")
    l1.add_argument("--ignore-queues", action="store_true",
                    help="TEST SWITCH: play a censoring sequencer that takes no L1 deposit or forced transaction "
                         "(derivation brings them in at their L1 deadlines; its own roots are then wrong)")
    dev = parser.add_argument_group("development market (--dev)")
    dev.add_argument("--no-oracle", dest="oracle", action="store_false",
                     help="no built-in dev oracle (by default it signs an index and vol surface update "
                          "per underlying every --oracle-interval seconds, from a seeded random walk)")
    dev.add_argument("--oracle-interval", type=positive_float, default=dev_oracle.DEFAULT_INTERVAL_S, metavar="S",
                     help=f"seconds between dev oracle updates (default {dev_oracle.DEFAULT_INTERVAL_S:g})")
    dev.add_argument("--oracle-seed", type=int, default=dev_oracle.DEFAULT_SEED, metavar="N",
                     help=f"seed of the dev oracle's price path (default {dev_oracle.DEFAULT_SEED})")
    dev.add_argument("--market-maker", action=argparse.BooleanOptionalAction, default=True,
                     help="run the dev market maker (the dev 'maker' account quotes every series "
                          "around its mark, POST_ONLY; default on)")
    web_cli.add_arguments(parser.add_argument_group("web page (issue 15; node/web/API.md)"))
    obs = parser.add_argument_group("observability")
    obs.add_argument("--metrics", type=_metrics_address, default=None, metavar="ADDR",
                     help=f"serve Prometheus metrics on http://ADDR/metrics (default {DEFAULT_METRICS_ADDRESS}; "
                          "'off' to disable; port 0 = any free port)")
    obs.add_argument("--log-format", choices=logs.FORMATS, default="text",
                     help="log lines on stderr as text (default) or JSON lines")
    obs.add_argument("--log-level", choices=logs.LEVELS, default="INFO", type=str.upper,
                     help="log level (default INFO; DEBUG logs every block and oracle update)")
    obs.add_argument("--slow-block-ms", type=positive_float, default=logs.DEFAULT_SLOW_BLOCK_S * 1000, metavar="MS",
                     help=f"log a block slower than this at WARNING (default {logs.DEFAULT_SLOW_BLOCK_S * 1000:g})")
    parser.set_defaults(func=run, parser=parser)  # ``--config`` checks a file against these flags



def _at_least_one(text: str) -> float:
    value = float(text)
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text}")
    return value


def _batch_burst(text: str) -> float:
    value = float(text)
    if not value >= MAX_BATCH_TXS:
        raise argparse.ArgumentTypeError(f"must be >= {MAX_BATCH_TXS} (a batch is admitted whole): {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value



def _serve_options(args: argparse.Namespace) -> dict:
    """The API limits of ``serve`` from the command line."""
    return dict(rate_per_s=args.rate, burst=args.burst, sender_limits=SenderLimits(
        max_pending=args.max_pending_per_account, rate_per_s=args.account_rate, burst=args.account_burst))


async def _serve_or_close(args: argparse.Namespace, sequencer: Sequencer, store, metrics_server, **kwargs):
    """``serve`` on ``--listen``; if it cannot bind, stop what was started and raise ``OSError``."""
    try:
        return await serve(sequencer, args.listen, **_serve_options(args), **kwargs)
    except OSError:
        await sequencer.stop(drain=False)
        if metrics_server is not None:
            metrics_server.close()
        if store is not None:
            store.close()
        raise


def _metrics_address(text: str) -> str:
    if text == "off":
        return text
    try:
        parse_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _operator_key(args: argparse.Namespace, option: str, devnet_role: str) -> bytes:
    """The L1 key of an operator role: a keystore label given on the command line, or the
    devnet's public key for ``devnet_role`` (development only)."""
    label = getattr(args, option, None)
    if label is None:
        from devnet.accounts import devnet_key

        return devnet_key(devnet_role)
    from node.keystore import Keystore, read_passphrase

    return Keystore(args.keys_dir).load(label, read_passphrase(args.password_file, prompt=f"passphrase for {label}: "))


def _start_metrics_or_close(args: argparse.Namespace, sequencer, store):
    """``_start_metrics``, closing the store if the metrics port cannot be bound."""
    try:
        return _start_metrics(args, sequencer, store)
    except OSError:
        if store is not None:
            store.close()
        raise


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


def _open_sequencer(args: argparse.Namespace, chain, *, l1: bool = False) -> tuple[Sequencer, bool, object | None]:
    """A sequencer on a fresh chain or on the store in ``--data-dir``: (sequencer, fresh, store).
    Without ``l1`` (no root is ever final) the store keeps the last ``--keep-blocks`` states."""
    options = {"block_time_ms": args.block_time_ms, "max_block_txs": args.max_block_txs,
               "recovery_workers": getattr(args, "recovery_workers", DEFAULT_RECOVERY_WORKERS)}
    if args.data_dir is None:
        return Sequencer.from_genesis(chain.genesis, **options), True, None
    from node.store.lmdb_backend import LmdbBackend
    from node.store.lmdb_store import BlockStore, StoreCorrupted
    from node.store.sink import LmdbBlockSink

    store = BlockStore(args.data_dir, durability=args.durability)
    backend = LmdbBackend(store)
    keep = getattr(args, "keep_blocks", None)
    sink = LmdbBlockSink(backend, keep_blocks=None if l1 else DEFAULT_KEEP_BLOCKS if keep is None else keep)
    if store.head() is None:
        store.set_genesis(chain.genesis)  # stored with block 0, so the store replays from it
        return Sequencer.from_genesis(chain.genesis, backend=backend, sink=sink, **options), True, store
    state = State(backend)
    genesis = store.genesis()  # None for a store made before genesis was stored
    if genesis is not None and state.get(keys.CONFIG) != genesis.config():
        store.close()
        raise StoreCorrupted(f"{args.data_dir}: the state's config is not the stored genesis's")
    return Sequencer(state, sink=sink, **options), False, store


@dataclass
class L1Link:
    """The L1 the node talks to (JSON-RPC only) and the deployment it uses."""

    url: str
    w3: object
    deployment: object
    reader: object
    genesis: Genesis | None
    settings: object = L1_DEFAULTS


def l1_settings(args: argparse.Namespace):
    """``bridge.l1.L1Settings`` from the ``--l1-*`` flags (``L1Error`` if inconsistent)."""
    from bridge.l1 import L1Settings

    try:
        return L1Settings(confirmations=args.l1_tx_confirmations, head_tag=args.l1_head_tag,
                          log_range=args.l1_log_range, receipt_timeout_s=args.l1_receipt_timeout,
                          bump_after_s=args.l1_bump_after, fee_bump_percent=args.l1_fee_bump_percent,
                          max_fee_wei=int(args.l1_max_fee_gwei * 10**9),
                          priority_fee_wei=int(args.l1_priority_fee_gwei * 10**9))
    except ValueError as exc:
        raise L1Error(f"L1 settings: {exc}") from None


def _connect_l1(args: argparse.Namespace) -> L1Link | None:
    """``--l1`` and ``--deployment``: the L1 link (``None`` without them); ``L1Error`` if unusable."""
    if args.l1 is None and args.deployment is None:
        if args.follow:
            raise L1Error("--follow derives the chain from L1: pass --l1 URL and --deployment FILE")
        return None
    if args.l1 is None or args.deployment is None:
        raise L1Error("an L1 needs both --l1 URL and --deployment FILE")
    from web3 import Web3

    from bridge.deploy import Deployment
    from node.l1.reader import L1Reader
    from node.store.codec import decode_genesis

    try:
        deployment = Deployment.load(args.deployment)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise L1Error(f"cannot read the deployment file {args.deployment}: {exc}") from None
    w3 = Web3(Web3.HTTPProvider(args.l1, request_kwargs={"timeout": 30}))
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:  # connection refused, not JSON-RPC...
        raise L1Error(f"cannot reach the L1 at {args.l1}: {exc}") from None
    if chain_id != deployment.chain_id:
        raise L1Error(f"the L1 at {args.l1} has chain id {chain_id}, the deployment is for {deployment.chain_id}")
    if not w3.eth.get_code(deployment.portal):
        raise L1Error(f"no portal contract at {deployment.portal} on {args.l1} (a stale deployment file?)")
    try:
        genesis = decode_genesis(bytes.fromhex(deployment.l2_genesis)) if deployment.l2_genesis else None
    except ValueError as exc:
        raise L1Error(f"{args.deployment}: the L2 genesis does not decode: {exc}") from None
    if genesis is None and args.follow:
        raise L1Error(f"{args.deployment} holds no L2 genesis: a follower cannot derive the chain")
    if genesis is not None and genesis.verifying_contract != bytes.fromhex(deployment.portal[2:]):
        raise L1Error(f"{args.deployment}: the L2 genesis signs for the portal 0x{genesis.verifying_contract.hex()}, "
                      f"not this deployment's {deployment.portal}")
    settings = l1_settings(args)
    return L1Link(args.l1, w3, deployment, L1Reader(w3, deployment, settings), genesis, settings)


def _check_stored_genesis(store, genesis: Genesis) -> None:
    stored = store.genesis() if store is not None else None
    if stored is not None and stored != genesis:
        store.close()
        raise L1Error("the data directory holds another chain than the deployment's L2 genesis "
                      "(a data directory of an older devnet?)")


def _check_l1_genesis(l1: L1Link, sequencer: Sequencer, store) -> None:
    """Refuse to run unless this chain's genesis is the one the L1 contracts committed to."""
    from node.l1.genesis_anchor import GenesisMismatch, check_genesis

    try:
        try:
            committed = l1.reader.genesis_root()
        except Exception as exc:  # unreachable, or contracts of an older version (no genesis root)
            raise L1Error(f"cannot read the L2 genesis root from the state commitments at "
                          f"{l1.deployment.commitments}: {exc}") from None
        check_genesis(committed, sequencer.state_root_at(0))
    except (L1Error, GenesisMismatch) as exc:
        if store is not None:
            store.close()
        raise L1Error(str(exc)) from None


def _start_finality(l1: L1Link, store) -> asyncio.Task:
    """Prune the store as roots become final on L1 (``node.l1.finality``; on this loop, which commits)."""
    from node.l1.finality import L1Finality, follow_finality

    return asyncio.get_running_loop().create_task(follow_finality(L1Finality(l1.reader), store), name="finality")


class _LoopChain:
    """The replica as the follower's ``ReplicaChain`` from a worker thread: imports run on the
    event loop (where the gRPC services read the chain), everything else is a read."""

    def __init__(self, sequencer: Sequencer, loop: asyncio.AbstractEventLoop) -> None:
        self.sequencer = sequencer
        self.loop = loop

    @property
    def state(self):
        return self.sequencer.state

    def tip(self):
        return self.sequencer.tip()

    def tip_at(self, number: int):
        return self.sequencer.tip_at(number)

    def get_block(self, number: int):
        return self.sequencer.get_block(number)

    def state_root_at(self, number: int) -> bytes | None:
        return self.sequencer.state_root_at(number)

    def import_block(self, block) -> bytes:
        async def apply() -> bytes:
            return self.sequencer.import_block(block)
        return asyncio.run_coroutine_threadsafe(apply(), self.loop).result()


async def _wait_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _follow(args: argparse.Namespace, l1: L1Link) -> int:
    """``--follow``: a read replica deriving the chain from L1 alone."""
    from types import SimpleNamespace

    from node.derivation.follower import Follower, L1Reorged, StoreDiverged
    from node.derivation.progress import StoreDerivationLog
    from node.l1.genesis_anchor import GenesisMismatch
    from node.l1.watcher import L1Inconsistent
    from node.l1.withdrawals import ProofBook

    sequencer, fresh, store = _open_sequencer(args, SimpleNamespace(genesis=l1.genesis), l1=True)
    _check_stored_genesis(store, l1.genesis)
    await asyncio.to_thread(_check_l1_genesis, l1, sequencer, store)
    sequencer.set_replica(args.sequencer_node or "")  # (no BlockLogger: its "slow block" timing means nothing for imported blocks)
    proofs = ProofBook(os.path.join(args.data_dir, "withdrawals") if args.data_dir else None)
    try:
        follower = Follower(l1.reader, _LoopChain(sequencer, asyncio.get_running_loop()),
                            confirmations=args.confirmations, proofs=proofs,
                            progress=StoreDerivationLog(store) if store is not None else None)
    except StoreDiverged as exc:
        if store is not None:
            store.close()
        raise L1Error(f"cannot resume derivation: {exc}") from None
    metrics, metrics_server = _start_metrics_or_close(args, sequencer, store)
    await sequencer.start()
    info = NodeInfo(data_dir=args.data_dir or "", durability=args.durability if args.data_dir else "memory",
                    dev=False, metrics_url=metrics_server.url if metrics_server else "")
    from node.rpc.rollup import RollupView

    rollup = RollupView(l1.reader, lambda: follower.deposits, lambda: follower.forced)
    server = await _serve_or_close(args, sequencer, store, metrics_server, dev=False, info=info, proofs=proofs,
                                   rollup=rollup)
    host = args.listen.rsplit(":", 1)[0]
    print(f"optrollup follower: chain id {sequencer.chain_id}, L1 {l1.url} (chain id {l1.deployment.chain_id}), "
          f"{'new' if fresh else 'resumed at block %d' % sequencer.head_number}; "
          f"{args.confirmations} confirmations; read-only (Trading answers UNAVAILABLE)", flush=True)
    web = await web_cli.start_for_node(args, server.port)
    print(f"listening on {host}:{server.port}", flush=True)

    state = {"last_error": "", "stopped": False}

    def l1_status() -> dict:
        status = follower.status
        last = status.mismatches[-1] if status.mismatches else None
        return dict(role="follower", l1_url=l1.url, l1_block=max(status.l1_block, 0), deposits=len(follower.deposits),
                    forced=len(follower.forced), batches=status.batches, roots=status.roots_checked,
                    mismatches=len(status.mismatches), last_error=state["last_error"], stopped=state["stopped"],
                    last_mismatch="" if last is None else (
                        f"root {last.index}: posted 0x{last.posted.hex()} at L2 block {last.last_l2_block}, "
                        f"derived 0x{last.ours.hex()} at L2 block {last.derived_l2_block}"))

    info.l1 = l1_status

    async def follow_loop() -> None:
        while True:
            try:
                imported = await asyncio.to_thread(follower.step)
                state["last_error"] = ""
            except (L1Reorged, L1Inconsistent, StoreDiverged, GenesisMismatch) as exc:
                log.error("follower: stopped: %s", exc)
                state["last_error"], state["stopped"] = str(exc), True
                return
            except Exception as exc:  # L1 down or slow: retry
                if str(exc) != state["last_error"]:
                    log.warning("follower: L1 read failed (retrying): %s", exc)
                state["last_error"], imported = str(exc), 0
            status = follower.status
            if imported:
                log.info("follower: imported %d blocks, head %d; roots checked %d, mismatches %d",
                         imported, sequencer.head_number, status.roots_checked, len(status.mismatches),
                         extra={"head": sequencer.head_number, "roots_checked": status.roots_checked,
                                "mismatches": len(status.mismatches)})
            await asyncio.sleep(0 if imported else 1.0)

    tasks = [asyncio.get_running_loop().create_task(follow_loop(), name="follower")]
    if store is not None:
        tasks.append(_start_finality(l1, store))
    await _wait_signal()
    print("stopping...", flush=True)
    for task in tasks:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    if web is not None:
        await web.stop()
    await server.stop(2.0)
    await sequencer.stop()
    if metrics_server is not None:
        metrics_server.close()
    if store is not None:
        store.close()
    return 0


async def _main(args: argparse.Namespace) -> int:
    check_free(args.listen)  # before any start-up work: a busy port fails at once
    web_cli.check_web_free(args)
    l1 = await asyncio.to_thread(_connect_l1, args)
    if args.follow:
        return await _follow(args, l1)
    if not args.dev:  # an operator's sequencer: the deployment's genesis, no dev set-up or keys
        if l1 is None or l1.genesis is None:
            raise L1Error("a sequencer without --dev runs on a deployment: pass --l1 URL and --deployment FILE "
                          "(written by `optrollup deploy`, with its L2 genesis)")
        for option in ("batcher_key", "proposer_key"):
            if getattr(args, option) is None:
                raise L1Error(f"a sequencer without --dev signs with keystore keys: pass --{option.replace('_', '-')} "
                              "LABEL (`optrollup keys import`)")
        chain = DevChain(l1.genesis, (), {}, (), 0)
        args.oracle = args.market_maker = False  # the dev oracle and maker sign with dev keys
    elif l1 is not None and l1.genesis is not None:
        chain = dev_chain(l1.genesis.genesis_time, l1.genesis.domain, oracle_time=int(time.time()))
        if chain.genesis != l1.genesis:
            raise L1Error("the deployment's L2 genesis is not a dev genesis of this version: run without --dev "
                          "(an operator's sequencer, with --batcher-key and --proposer-key)")
    else:
        chain = dev_chain(int(time.time()))
    sequencer, fresh, store = _open_sequencer(args, chain, l1=l1 is not None)
    if l1 is not None:
        _check_stored_genesis(store, chain.genesis)
        await asyncio.to_thread(_check_l1_genesis, l1, sequencer, store)
        from bridge.l1 import Transactor
        from node.l1.batcher import Batcher
        from node.l1.watcher import L1Watcher
        from node.l1.withdrawals import ProofBook

        watcher = L1Watcher(l1.reader, confirmations=args.confirmations, ignore_queues=args.ignore_queues,
                            on_new_entries=sequencer.wake)
        await asyncio.to_thread(watcher.poll)
        sequencer.set_l1(watcher)
        # the devnet's sequencer and proposer keys (public development keys)
        batcher_tx = Transactor(l1.w3, _operator_key(args, "batcher_key", "sequencer"), l1.settings)
        proposer_tx = Transactor(l1.w3, _operator_key(args, "proposer_key", "proposer"), l1.settings)
        for role, sender, expected in (("batcher", batcher_tx, l1.deployment.sequencer),
                                       ("proposer", proposer_tx, l1.deployment.proposer)):
            if sender.address.lower() != expected.lower():
                raise L1Error(f"the {role} key is {sender.address}, but the contracts accept {expected}")
        batcher = Batcher(sequencer, l1.reader, batcher_tx, proposer_tx,
                          interval_s=args.batch_interval,
                          proofs=ProofBook(os.path.join(args.data_dir, "withdrawals") if args.data_dir else None))
        try:  # the sequencer is not running yet
            await asyncio.to_thread(batcher.catch_up)
        except Exception as exc:  # L1 slow or holding something unexpected: ``run`` catches up later
            batcher.status.last_error = f"cannot catch up with L1 yet (will retry): {exc}"
            log.error("batcher: %s", batcher.status.last_error)
            print(f"L1: {batcher.status.last_error}", flush=True)
        sequencer.add_observer(batcher)
        chain = replace(chain, setup_txs=tuple(raw for raw in chain.setup_txs if raw[0] != TxType.DEPOSIT))
    logs.BlockLogger(sequencer, slow_block_s=getattr(args, "slow_block_ms", 250.0) / 1000)
    metrics, metrics_server = _start_metrics_or_close(args, sequencer, store)
    await sequencer.start()
    if fresh:
        await bootstrap(sequencer, chain)
    else:
        print(f"resumed from {args.data_dir} at block {sequencer.head_number}", flush=True)
    info = NodeInfo(data_dir=args.data_dir or "", durability=args.durability if args.data_dir else "memory",
                    dev=args.dev, metrics_url=metrics_server.url if metrics_server else "")
    if l1 is not None:
        info.l1 = lambda: dict(
            role="sequencer", l1_url=l1.url, l1_block=max(watcher.l1_block, 0), deposits=len(watcher.deposits),
            forced=len(watcher.forced), batches=batcher.status.batches_posted, roots=batcher.status.roots_proposed,
            last_batched_l2_block=batcher.status.last_posted_l2_block, roots_final=batcher.next_bond,
            bonds_returned=batcher.status.bonds_returned,
            l1_txs_in_flight=len(batcher.in_flight) + len(batcher.proposing) + len(batcher.returning),
            fee_bumps=batcher_tx.replacements + proposer_tx.replacements,
            last_error=sequencer.paused or batcher.status.last_error or watcher.last_error)
    rollup = None
    if l1 is not None:
        from node.rpc.rollup import RollupView

        rollup = RollupView(l1.reader, lambda: watcher.deposits, lambda: watcher.forced)
    server = await _serve_or_close(args, sequencer, store, metrics_server, dev=l1 is None, info=info,
                                   proofs=batcher.proofs if l1 is not None else None, rollup=rollup)
    l1_tasks = []
    if l1 is not None:
        loop = asyncio.get_running_loop()
        l1_tasks = [loop.create_task(watcher.run(), name="l1-watcher"), loop.create_task(batcher.run(), name="batcher")]
    finality = _start_finality(l1, store) if l1 is not None and store is not None else None
    if getattr(server, "events", None) is not None:
        metrics.watch_subscribers(server.events.subscriber_count)
    host = args.listen.rsplit(":", 1)[0]
    if getattr(args, "oracle", True):
        info.oracle = dev_oracle.DevOracle(sequencer, interval_s=args.oracle_interval, seed=args.oracle_seed)
        info.oracle.start()
    if getattr(args, "market_maker", True):
        info.market_maker = dev_market.DevMarketMaker(sequencer)
        info.market_maker.start()
    if args.dev:
        print(f"optrollup dev node: chain id {sequencer.chain_id}, {chain.series_count} series listed, "
              f"head block {sequencer.head_number}", flush=True)
        print("dev accounts (development keys, public: never use them elsewhere):")
        for name, key in chain.accounts.items():
            print(f"  {name:6s} address 0x{address_of(key).hex()}  key 0x{key.hex()}")
    else:
        print(f"optrollup node: chain id {sequencer.chain_id} (the deployment's genesis), head block "
              f"{sequencer.head_number}; series are listed by the admin, prices signed by the oracles", flush=True)
    if l1 is not None:
        s = l1.deployment.settings
        print(f"L1: {l1.url} (chain id {l1.deployment.chain_id}), portal {l1.deployment.portal}; deposits after "
              f"{args.confirmations} confirmations, a batch and state root every {args.batch_interval:g}s, "
              f"challenge window {s.challenge_window_s}s; the dev faucet is off (deposit on L1)", flush=True)
    print(f"dev oracle: {'every %gs' % args.oracle_interval if info.oracle else 'off'}; "
          f"dev market maker: {'on' if info.market_maker else 'off'}", flush=True)
    if metrics_server is not None:
        print(f"metrics on {metrics_server.url}", flush=True)
    web = await web_cli.start_for_node(args, server.port, dict(chain.accounts) if args.dev else None)
    log.info("node started", extra={"chain_id": sequencer.chain_id, "grpc": f"{host}:{server.port}",
                                    "metrics": info.metrics_url, "head": sequencer.head_number,
                                    "data_dir": info.data_dir, "durability": info.durability,
                                    "oracle": info.oracle is not None, "market_maker": info.market_maker is not None})
    print(f"listening on {host}:{server.port}", flush=True)
    await _wait_signal()
    print("stopping...", flush=True)
    for task in (info.market_maker, info.oracle):
        if task is not None:
            await task.stop()
    if web is not None:
        await web.stop()
    await server.stop(2.0)
    if finality is not None:  # nothing to finish: what is pending is pruned after a restart
        finality.cancel()
        await asyncio.gather(finality, return_exceptions=True)
    await sequencer.stop()
    if l1 is not None:  # blocks not posted yet are in the store: a restart's catch_up posts them
        watcher.stop()
        batcher.stop()
        done, pending = await asyncio.wait(l1_tasks, timeout=10)
        for task in pending:
            task.cancel()
    if metrics_server is not None:
        metrics_server.close()
    if store is not None:
        store.close()
    return 0


def run(args: argparse.Namespace) -> int:
    if getattr(args, "config", None):
        from node.cli.config_file import ConfigError, apply

        try:
            apply(args.parser, args, args.config)
        except ConfigError as exc:
            print(f"optrollup node: {exc}", file=sys.stderr)
            return 2
        if args.dev and args.follow:
            print("optrollup node: --dev and --follow exclude each other", file=sys.stderr)
            return 2
    logs.setup_logging(getattr(args, "log_format", "text"), getattr(args, "log_level", "INFO"))
    try:
        return asyncio.run(_main(args))
    except (OSError, StoreError, L1Error, KeystoreError) as exc:
        print(f"optrollup node: {exc}", file=sys.stderr)
        return 1
