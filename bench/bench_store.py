"""Store benchmark: restart time of a node whose LMDB store holds N transactions, and the
cost of committing one block.

Set-up: genesis (stored), 50 ETH option series, 1,000 funded accounts, an oracle update;
then blocks of ``BUILD_BLOCK_SIZE`` signed transactions — resting quotes around the marks,
orders crossing the spread, cancels by client order id (market makers keeping about
``RESTING_PER_ACCOUNT`` quotes each) — each applied with the STF on an ``LmdbBackend`` and
committed to the store straight (no gRPC, no sequencer), with ``nosync`` durability (one
``sync()`` at the end), the transactions signed ahead in a second process, until the store holds ``TARGET_TRANSACTIONS`` (1,000,000, the
issue's figure; ``BENCH_STORE_TXS=N`` overrides) or ``BUILD_BUDGET_S`` is spent. N is what
was built; the figures are measured on that store, not extrapolated. The build time is
reported (``build_s``): on this shared 2-core machine 1,000,000 transactions took 351 s
(~2,900 tx/s: the STF and the commit in this process, signing in the other); the default
budget (600 s) lets it reach the full million, and ``BENCH_STORE_BUDGET_S`` lowers it. The restart does not grow with N (LMDB
opens in O(1); the checks read the head block, the root node and two records): 0.30 s at
1,000,000 transactions, 0.38 s at 30,000. Signatures are made with a cached coincurve key (the
same bytes as ``node.wallet.sign_tx``, checked); senders are not re-recovered (the
sequencer's mempool does that before a block).

Figures:

- ``node.restart_s``: a fresh Python process that imports the node, opens the store,
  verifies the head (``LmdbBackend(verify="root")``), reads the head state's
  ``Globals``/``Config`` and answers a first query (the receipt of the last transaction,
  by hash) — ready to sequence and to serve. Extra fields: ``open_verify_s`` (the same
  open + verify inside a running process), ``first_block_ms`` (the first 1,000-transaction
  block after the restart, cold trie: its paths load from LMDB), ``build_block_ms_p50``
  (a ``BUILD_BLOCK_SIZE`` block during the build), and ``full_verify_s`` (the optional
  rebuild of the whole trie from the flat state, for comparison).
- ``store.commit_ms_p50``: ``BlockStore.commit_block`` of one 1,000-transaction block
  (block, receipts, tx index, state changes, trie nodes, the dead-node list and key
  history, head; one write transaction, fsync'd), median over ``COMMIT_BLOCKS`` blocks on
  the built store; p90 and the same median for the opt-in ``nometasync`` / ``nosync``
  modes as extra fields.
- ``store.retained_kb_per_block``: what a store keeps per 1,000-transaction block while
  the block is not final on L1 (its dead trie nodes and their pending entries, its
  re-created nodes' entries, its key history: keys and values, before LMDB's page overhead), over those ``COMMIT_BLOCKS``
  blocks (the build itself finalises every block at once).

The store lives in a temporary directory, removed at the end. The OS page cache is warm
(the store was just written): a restart after a reboot also reads the few pages it needs
from disk.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rlp
from coincurve import PrivateKey

from bench.bench_stf import (
    DOMAIN, N_ACCOUNTS, T0, TICK_E6, account_key, dev_genesis, market_setup_txs, tick_marks,
)
from bench.common import emit
from node.stf.block import BlockEnv, apply_block
from node.stf.eip712 import signing_digest
from node.stf.genesis import initialise
from node.stf.hashing import keccak256
from node.stf.recover import SECP256K1_HALF_N, SECP256K1_N
from node.stf.state import State
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import CancelOrder, PlaceOrder, SignedTx
from node.store import BlockStore, LmdbBackend
from node.wallet import address_of, sign_tx

TARGET_TRANSACTIONS = int(os.environ.get("BENCH_STORE_TXS", 1_000_000))
BUILD_BUDGET_S = float(os.environ.get("BENCH_STORE_BUDGET_S", 600.0))
BUILD_BLOCK_SIZE = 5_000
COMMIT_BLOCKS = 16
BLOCK_SIZE = 1_000
RESTING_PER_ACCOUNT = 24
ROOT = Path(__file__).resolve().parents[1]

_RESTART_CHILD = r"""
import sys, time
from node.stf import keys
from node.stf.state import State
from node.store import BlockStore, LmdbBackend
store = BlockStore(sys.argv[1])
backend = LmdbBackend(store)
state = State(backend)
assert state.get(keys.GLOBALS).last_block_number == store.head().number
assert state.get(keys.CONFIG) is not None
assert store.receipt(bytes.fromhex(sys.argv[4])) is not None  # a first query answered
ready = time.time()
import rlp
from node.stf.block import BlockEnv, apply_block
from node.stf.tx_codec import decode_tx
domain = state.get(keys.CONFIG).domain
txs = [decode_tx(raw, domain) for raw in rlp.decode(open(sys.argv[2], "rb").read())]
head = store.head().number
t = time.perf_counter()
result = apply_block(state, BlockEnv(head + 1, int(sys.argv[3])), txs)
backend.commit_block(head + 1, int(sys.argv[3]), [tx.raw for tx in txs], result.receipts)
first = time.perf_counter() - t
store.close()
print(ready, first, backend.trie.loaded)
"""


class _Signer:
    """``node.wallet.sign_tx`` with the coincurve key objects cached (3x faster)."""

    def __init__(self, addresses: list[bytes]) -> None:
        self.keys: dict[int, PrivateKey] = {}
        self.addresses = addresses

    def sign(self, account: int, body) -> SignedTx:
        key = self.keys.get(account)
        if key is None:
            key = self.keys[account] = PrivateKey(account_key(account))
        signature = key.sign_recoverable(signing_digest(body, DOMAIN), hasher=None)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        y_parity = signature[64]
        if s > SECP256K1_HALF_N:
            s, y_parity = SECP256K1_N - s, y_parity ^ 1
        raw = encode_tx(body, (y_parity, r, s))
        return SignedTx(body, raw, keccak256(raw), self.addresses[account])


class _Traffic:
    """Blocks of signed orders and cancels from ``N_ACCOUNTS`` market makers."""

    def __init__(self, marks: dict[int, int]) -> None:
        self.rng = random.Random(1)
        self.marks = marks
        self.instruments = sorted(marks)
        self.nonces = [0] * N_ACCOUNTS
        self.resting: list[list[int]] = [[] for _ in range(N_ACCOUNTS)]  # client order ids
        self.next_client_id = 1
        self.signer = _Signer([address_of(account_key(i)) for i in range(N_ACCOUNTS)])

    def block(self, size: int = BLOCK_SIZE) -> list[SignedTx]:
        rng, out = self.rng, []
        for _ in range(size):
            account = rng.randrange(N_ACCOUNTS)
            resting = self.resting[account]
            roll = rng.random()
            if resting and (len(resting) >= RESTING_PER_ACCOUNT or roll < 0.25):
                body = CancelOrder(self.nonces[account], 0, resting.pop(rng.randrange(len(resting))))
            else:
                inst = rng.choice(self.instruments)
                mid = self.marks[inst]
                side = rng.randrange(2)
                cid = self.next_client_id
                self.next_client_id += 1
                if roll < 0.50:  # crossing: one to three ticks through the mark
                    offset = rng.randint(1, 3) * TICK_E6
                    price = mid + offset if side == 0 else max(mid - offset, TICK_E6)
                    tif = 1 if rng.random() < 0.5 else 0
                else:  # a resting quote away from the mark
                    offset = rng.randint(1, 20) * TICK_E6
                    price = max(mid - offset if side == 0 else mid + offset, TICK_E6)
                    tif = 0
                if tif == 0:
                    resting.append(cid)
                body = PlaceOrder(self.nonces[account], inst, side, price, rng.randint(1, 20) * TICK_E6,
                                  tif, False, cid, 0)
            self.nonces[account] += 1
            out.append(self.signer.sign(account, body))
        return out


def _produce(marks: dict[int, int], count: int, out, stop) -> None:
    """Producer process of the build: signs ``count`` transactions of ``_Traffic`` in blocks of
    ``BUILD_BLOCK_SIZE`` (while the parent applies and commits the previous ones), then
    sends its final state so the parent's ``_Traffic`` goes on from there."""
    traffic = _Traffic(marks)
    while count > 0 and not stop.is_set():
        size = min(BUILD_BLOCK_SIZE, count)
        out.put(traffic.block(size))
        count -= size
    out.put(("end", traffic.nonces, traffic.resting, traffic.next_client_id, traffic.rng.getstate()))


def _genesis_and_setup(store: BlockStore) -> tuple[LmdbBackend, State, dict[int, int]]:
    """``bench_stf``'s chain (genesis and market set-up block) committed to ``store``."""
    backend = LmdbBackend(store)
    state = State(backend)
    genesis = dev_genesis()
    store.set_genesis(genesis)
    initialise(state, genesis)
    backend.commit_block(0, T0, [], [])
    txs = market_setup_txs()
    result = apply_block(state, BlockEnv(1, T0 + 1), txs)
    assert all(r.ok for r in result.receipts)
    backend.commit_block(1, T0 + 1, txs, result.receipts)
    return backend, state, tick_marks(state, range(1, 51))


def _commit_timed(backend: LmdbBackend, number: int, timestamp: int, txs: list[SignedTx], receipts,
                  out: list[float]) -> None:
    store = backend.store
    original = store.commit_block

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            out.append(time.perf_counter() - start)

    store.commit_block = timed  # type: ignore[method-assign]
    try:
        backend.commit_block(number, timestamp, [tx.raw for tx in txs], receipts)
    finally:
        del store.commit_block


def _extra_mode_commits(path: Path, traffic: _Traffic, mode: str, blocks: int, all_: bool = False):
    """Median commit time in ms of ``blocks`` 1,000-transaction blocks in ``mode``
    (``all_``: every time, in seconds)."""
    store = BlockStore(path, durability=mode)
    backend = LmdbBackend(store)
    state = State(backend)
    times: list[float] = []
    for _ in range(blocks):
        number = store.head().number + 1
        txs = traffic.block()
        result = apply_block(state, BlockEnv(number, T0 + number), txs)
        _commit_timed(backend, number, T0 + number, txs, result.receipts, times)
    store.close()
    return times if all_ else statistics.median(times) * 1000


def _retained_bytes(path: Path, first: int) -> tuple[int, int]:
    """What the store keeps for the states of blocks ``first``..head that it would not keep
    if they were final (``node.store.retention``): every dead trie node (hash + RLP), its
    pending entries, re-created nodes, and the key history; in bytes of keys and values (LMDB's
    page overhead comes on top), and the number of blocks."""
    store = BlockStore(path, readonly=True)
    r = store._retention
    total = 0
    with store.env.begin() as txn:
        cursor = txn.cursor(db=r.pending)
        cursor.set_range(first.to_bytes(8, "big"))
        for key, value in cursor:
            total += len(key) + len(value)  # the block's list
            kind = key[8:]
            if kind == b"k":
                total += sum(len(k) + 8 + 1 for k in rlp.decode(value))  # key log entries
            else:
                hashes = [value[i:i + 32] for i in range(0, len(value), 32)]
                if kind == b"n":  # the dead nodes themselves
                    total += sum(32 + len(txn.get(h, db=r.trie) or b"") for h in hashes)
                else:  # revived index entries
                    total += 40 * len(hashes)
    blocks = store.head().number - first + 1
    store.close()
    return total, blocks


def run() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_store_"))
    try:
        _run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(tmp: Path) -> None:
    path = tmp / "store"
    started = time.perf_counter()
    store = BlockStore(path, durability="nosync")
    backend, state, marks = _genesis_and_setup(store)
    traffic = _Traffic(marks)
    sample = traffic.block()[:3]  # the cached-key signer makes node.wallet's bytes
    assert all(tx.raw == sign_tx(account_key(traffic.signer.addresses.index(tx.sender)), tx.body, DOMAIN) for tx in sample)
    traffic = _Traffic(marks)
    gc.collect()
    gc.freeze()
    to_build = TARGET_TRANSACTIONS - 1_051  # the set-up block holds 1,051
    context = multiprocessing.get_context("spawn")
    blocks_q, stop = context.Queue(maxsize=4), context.Event()
    producer = context.Process(target=_produce, args=(marks, to_build, blocks_q, stop), daemon=True)
    producer.start()
    block_times: list[float] = []
    transactions = succeeded = 0
    number = 1
    while True:
        if time.perf_counter() - started > BUILD_BUDGET_S:
            stop.set()
        item = blocks_q.get()
        if type(item) is tuple:  # the producer's final traffic state
            _, traffic.nonces, traffic.resting, traffic.next_client_id, rng_state = item
            traffic.rng.setstate(rng_state)
            break
        txs = item
        number += 1
        start = time.perf_counter()
        result = apply_block(state, BlockEnv(number, T0 + number), txs)
        backend.commit_block(number, T0 + number, [tx.raw for tx in txs], result.receipts)
        store.finalized_through(number)  # the build keeps only the head's state (all older are final)
        block_times.append(time.perf_counter() - start)
        transactions += len(txs)
        succeeded += sum(1 for r in result.receipts if r.ok)
    producer.join(30)
    store.sync()
    build_s = time.perf_counter() - started
    last_tx_hash = txs[-1].tx_hash
    gc.unfreeze()
    stats = store.stats()
    head = store.head().number
    total_txs = transactions + 1_051  # plus the set-up block
    store.close()

    # In-process open + verify (median of 3), and the optional full verification once.
    opens = []
    for _ in range(3):
        start = time.perf_counter()
        store = BlockStore(path)
        LmdbBackend(store)
        opens.append(time.perf_counter() - start)
        store.close()
    start = time.perf_counter()
    store = BlockStore(path)
    LmdbBackend(store, verify="full")
    full_verify_s = time.perf_counter() - start
    store.close()

    # A fresh process: import, open, verify, read the head state; then one cold block.
    next_block = traffic.block()
    block_file = tmp / "next_block.rlp"
    block_file.write_bytes(rlp.encode([tx.raw for tx in next_block]))
    launched = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _RESTART_CHILD, str(path), str(block_file), str(T0 + head + 1),
         last_tx_hash.hex()],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    ready_at, first_s, loaded = out.stdout.split()
    restart_s = float(ready_at) - launched  # interpreter start to ready to sequence

    emit("store", "node.restart_s", restart_s, "s",
         transactions=total_txs, blocks=head, state_keys=stats["state"], trie_nodes=stats["trie_nodes"],
         ok_share=round(succeeded / max(transactions, 1), 3),
         store_mb=round(stats["used_bytes"] / 2**20, 1), build_s=round(build_s, 1),
         open_verify_s=round(statistics.median(opens), 4),
         first_block_ms=round(float(first_s) * 1000, 1), nodes_loaded_by_first_block=int(loaded),
         build_block_size=BUILD_BLOCK_SIZE, build_durability="nosync",
         build_block_ms_p50=round(statistics.median(block_times) * 1000, 1),
         full_verify_s=round(full_verify_s, 2), target_s=5, target_transactions=1_000_000)

    commits_ms = sorted(t * 1000 for t in _extra_mode_commits(path, traffic, "full", COMMIT_BLOCKS, all_=True))
    retained, retained_blocks = _retained_bytes(path, head + 1)
    emit("store", "store.retained_kb_per_block", retained / retained_blocks / 1024, "KiB",
         block_size=BLOCK_SIZE, blocks=retained_blocks, state_keys=stats["state"])
    nometasync = _extra_mode_commits(path, traffic, "nometasync", 8)
    nosync = _extra_mode_commits(path, traffic, "nosync", 8)
    emit("store", "store.commit_ms_p50", statistics.median(commits_ms), "ms",
         p90_ms=round(commits_ms[int(len(commits_ms) * 0.9)], 2), blocks=len(commits_ms), block_size=BLOCK_SIZE,
         durability="full (fsync per block)", nometasync_p50_ms=round(nometasync, 2),
         nosync_p50_ms=round(nosync, 2))
