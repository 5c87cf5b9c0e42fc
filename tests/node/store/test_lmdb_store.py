"""The LMDB block store and state backend: same results as memory, restarts, crashes."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rlp
from rlp.codec import encode_raw

from node.stf import keys
from node.stf.block import apply_block
from node.stf.hashing import keccak256
from node.stf.receipts import receipts_hash
from node.stf.state import State
from node.store import BlockRejected, BlockStore, LmdbBackend, StoreCorrupted, StoreLocked
from node.store.codec import ZERO_HASH, decode_receipt
from tests.node.stf.harness import Chain
from tests.node.stf.mpt.test_lazy import reachable
from tests.node.store.workload import Replay, apply_and_commit, env, make_blocks, open_chain

ROOT = Path(__file__).resolve().parents[3]
BLOCKS = make_blocks(36, per_block=25)


def _open(path: Path, **kwargs) -> tuple[BlockStore, LmdbBackend, State]:
    store = BlockStore(path, **{k: v for k, v in kwargs.items() if k in ("durability", "map_size")})
    backend = LmdbBackend(store, **{k: v for k, v in kwargs.items() if k in ("prune", "verify")})
    return store, backend, open_chain(backend)


def _trie_node_hashes(store: BlockStore) -> set[bytes]:
    with store.env.begin() as txn:
        return {key for key, _ in txn.cursor(db=store._trie)}


def _check_store_matches(store: BlockStore, reference: Replay) -> None:
    """The store's head, flat state and trie are the reference chain's."""
    head = store.head()
    assert head.number == reference.number
    assert head.state_root == reference.backend.root()
    assert dict(store.iter_state()) == reference.backend.values


def _check_blocks_whole(store: BlockStore, blocks: list[list[bytes]]) -> None:
    """Every block up to the head is complete: header chain, txs, receipts, tx index; nothing beyond."""
    head = store.head()
    parent = ZERO_HASH
    for number in range(head.number + 1):
        block = store.block(number)
        assert block is not None, f"block {number} missing"
        assert block.header.parent_hash == parent
        parent = block.hash
        expected_txs = blocks[number - 1] if number else []
        assert list(block.txs) == expected_txs
        encodings = store.receipt_encodings(number)
        assert len(encodings) == len(block.txs), f"block {number}: receipts missing"
        assert keccak256(encode_raw(encodings)) == block.header.receipts_hash
        for index, raw in enumerate(block.txs):
            location = store.tx_location(keccak256(raw))
            assert location is not None and location <= (number, index), f"block {number}: tx index missing"
    assert parent == head.block_hash
    assert store.last_block_number() == head.number
    assert store.block(head.number + 1) is None
    assert store.receipt_at(head.number + 1, 0) is None


# ---------------------------------------------------------------------------- equivalence


def test_same_roots_and_receipts_as_the_memory_backend(tmp_path: Path) -> None:
    store, backend, state = _open(tmp_path / "db")
    reference = Replay.fresh()
    assert store.head().state_root == reference.backend.root()  # genesis, block 0
    fills = 0
    for number, txs in enumerate(BLOCKS, 1):
        ours = apply_and_commit(state, backend, number, txs)
        theirs = reference.apply(txs)
        assert ours.state_root == theirs.state_root
        assert [(r.encode(), r.detail) for r in ours.receipts] == [(r.encode(), r.detail) for r in theirs.receipts]
        stored = store.receipts(number)
        assert [(r.encode(), r.detail) for r in stored] == [(r.encode(), r.detail) for r in theirs.receipts]
        assert store.header(number).receipts_hash == receipts_hash(list(theirs.receipts))
        fills += sum(len(r.fills) for r in ours.receipts)
    assert fills > 20 and len({r.code for r in store.receipts(len(BLOCKS))}) > 1  # the workload trades and fails
    _check_store_matches(store, reference)
    _check_blocks_whole(store, BLOCKS)
    assert store.finalized_through(store.head().number) > 0  # nothing older is needed any more
    nodes = {h: store.trie_node(h) for h in _trie_node_hashes(store)}
    assert set(nodes) == reachable(nodes, store.head().state_root)  # exactly the head's trie
    store.close()


def test_harness_chain_with_invariants_runs_on_lmdb(tmp_path: Path) -> None:
    """The harness's own checks (which read through ``keys_with_prefix`` before the block is stored)."""
    store = BlockStore(tmp_path / "db")
    backend = LmdbBackend(store)

    class StoredChain(Chain):
        def block(self, txs, dt=1, check=True):
            result = super().block(txs, dt, check)
            backend.commit_block(self.number, self.time, list(txs), result.receipts)
            return result

    chain = StoredChain(backend=backend)
    backend.commit_block(0, chain.genesis_time, [], [])
    memory = Chain()
    for c in (chain, memory):
        alice, bob = c.trader("alice"), c.trader("bob")
        (call,) = c.market()
        c.run(c.order(alice, call, 1, 150, 2), c.order(bob, call, 0, 150, 1), c.cancel_all(alice))
    assert chain.roots == memory.roots
    store.close()


def test_blocks_executed_before_the_previous_one_is_stored(tmp_path: Path) -> None:
    """Staged (applied, not yet committed) changes are visible to the next block."""
    store, backend, state = _open(tmp_path / "db")
    reference = Replay.fresh()
    results = []
    for number, txs in enumerate(BLOCKS[:12], 1):
        results.append(apply_block(state, env(number), txs))
        assert results[-1].state_root == reference.apply(txs).state_root
        if number % 3 == 0:  # store three blocks at a time
            for n in range(number - 2, number + 1):
                backend.commit_block(n, env(n).timestamp, BLOCKS[n - 1], results[n - 1].receipts)
    _check_store_matches(store, reference)
    store.close()


# ---------------------------------------------------------------------------- restart


def test_close_and_reopen_resumes(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store, backend, state = _open(path)
    reference = Replay.fresh()
    for number, txs in enumerate(BLOCKS[:20], 1):
        apply_and_commit(state, backend, number, txs)
        reference.apply(txs)
    head = store.head()
    store.close()

    store, backend, state = _open(path, verify="full")
    assert store.head() == head
    assert backend.root() == head.state_root == reference.backend.root()
    assert backend.trie.loaded <= 12  # attached, not rebuilt: only the root and two paths
    for key, value in list(reference.backend.values.items())[:50]:
        assert backend.get(key) == value
    for number, txs in enumerate(BLOCKS[20:], 21):
        assert apply_and_commit(state, backend, number, txs).state_root == reference.apply(txs).state_root
    _check_store_matches(store, reference)
    _check_blocks_whole(store, BLOCKS)
    store.close()


def test_without_pruning_every_state_root_stays_readable(tmp_path: Path) -> None:
    from node.stf.mpt.lazy import LoadingTrie

    store, backend, state = _open(tmp_path / "db", prune=False)
    snapshots = []
    for number, txs in enumerate(BLOCKS[:10], 1):
        apply_and_commit(state, backend, number, txs)
        snapshots.append((store.head().state_root, dict(store.iter_state())))
    for root, values in snapshots:
        trie = LoadingTrie.attach(root, store.trie_node)
        for key, value in values.items():
            assert trie.get(keccak256(key)) == value
    store.close()


@pytest.mark.parametrize("damage", ["root node", "globals", "head", "extra block"])
def test_damage_is_detected_at_open(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "db"
    store, backend, state = _open(path)
    for number, txs in enumerate(BLOCKS[:4], 1):
        apply_and_commit(state, backend, number, txs)
    head = store.head()
    with store.env.begin(write=True) as txn:
        if damage == "root node":
            txn.delete(head.state_root, db=store._trie)
        elif damage == "globals":
            txn.put(keys.GLOBALS, store.get(keys.CONFIG), db=store._state)
        elif damage == "head":
            txn.put(b"head", rlp.encode([3, head.block_hash, head.state_root]), db=store._meta)
        else:
            txn.put((head.number + 1).to_bytes(8, "big"), b"\xc0", db=store._blocks)
    store.close()
    store = BlockStore(path)
    with pytest.raises(StoreCorrupted):
        LmdbBackend(store)
    store.close()


def test_a_second_writer_is_refused_and_tools_may_read(tmp_path: Path) -> None:
    store, backend, state = _open(tmp_path / "db")
    with pytest.raises(StoreLocked):
        BlockStore(tmp_path / "db")
    apply_and_commit(state, backend, 1, BLOCKS[0])
    head = store.head()
    store.close()
    reader = BlockStore(tmp_path / "db", readonly=True)  # (LMDB: one open per process at a time)
    assert reader.head() == head and len(reader.receipts(1)) == len(BLOCKS[0])
    with pytest.raises(Exception):
        reader.commit_block(reader.header(1), [], [], {}, [], head.state_root)
    reader.close()


# ---------------------------------------------------------------------------- reads and writes


def test_reads_by_number_and_by_tx_hash(tmp_path: Path) -> None:
    store, backend, state = _open(tmp_path / "db")
    results = [apply_and_commit(state, backend, n, txs) for n, txs in enumerate(BLOCKS[:8], 1)]
    block = store.block(5)
    assert block.number == 5 and list(block.txs) == BLOCKS[4] and block.header.timestamp == env(5).timestamp
    assert block.header.state_root == results[4].state_root and block.header.parent_hash == store.block(4).hash
    receipt = results[4].receipts[3]
    number, found = store.receipt(receipt.tx_hash)
    first = next(n for n in range(1, 6) if receipt.tx_hash in {keccak256(t) for t in BLOCKS[n - 1]})
    assert number == first  # a replayed transaction keeps the location of its first inclusion
    if first == 5:
        assert (found.encode(), found.detail) == (receipt.encode(), receipt.detail)
    replays = [(n, i, tx) for n in range(2, 9) for i, tx in enumerate(BLOCKS[n - 1]) if tx in BLOCKS[n - 2]]
    assert replays, "the workload replays transactions"
    n, i, tx = replays[0]
    assert store.tx_location(keccak256(tx)) < (n, i)
    assert store.receipt_at(n, i).tx_hash == keccak256(tx)
    assert store.receipt(b"\x01" * 32) is None and store.tx_location(b"\x01" * 32) is None
    assert store.block(99) is None and store.header(99) is None
    account_keys = store.keys_with_prefix(bytes([keys.P_ACCOUNT]))
    assert account_keys == sorted(account_keys) and len(account_keys) >= 8
    assert [k for k, _ in store.iter_state(bytes([keys.P_ORDER]))] == backend.keys_with_prefix(bytes([keys.P_ORDER]))
    assert decode_receipt(receipt.encode()).encode() == receipt.encode()
    store.close()


def test_inconsistent_blocks_are_rejected_and_nothing_is_written(tmp_path: Path) -> None:
    store, backend, state = _open(tmp_path / "db")
    result = apply_and_commit(state, backend, 1, BLOCKS[0])
    head = store.head()
    header = store.header(1)
    from dataclasses import replace

    good = replace(header, number=2, parent_hash=head.block_hash)
    for bad, root in ((replace(header, number=3), header.state_root),
                      (header, header.state_root),  # block 1 again
                      (good, b"\x02" * 32),  # not the new root
                      (replace(good, receipts_hash=b"\x03" * 32), header.state_root),
                      (replace(good, txs_hash=b"\x04" * 32), header.state_root)):
        with pytest.raises(BlockRejected):
            store.commit_block(bad, BLOCKS[0], result.receipts, {}, [], root)
    with pytest.raises(BlockRejected):  # receipts of other transactions
        store.commit_block(good, BLOCKS[1][: len(BLOCKS[0])], result.receipts, {}, [], header.state_root)
    assert store.head() == head and store.block(2) is None
    store.close()


def test_durability_modes_and_map_growth(tmp_path: Path) -> None:
    for mode, (sync, metasync) in {"full": (True, True), "nometasync": (True, False), "nosync": (False, False)}.items():
        store, backend, state = _open(tmp_path / mode, durability=mode, map_size=256 << 10)
        flags = store.env.flags()
        assert (flags["sync"], flags["metasync"]) == (sync, metasync)
        reference = Replay.fresh()
        for number, txs in enumerate(BLOCKS[:10], 1):
            apply_and_commit(state, backend, number, txs)
            reference.apply(txs)
        store.sync()
        assert store.env.info()["map_size"] > 256 << 10  # grew
        _check_store_matches(store, reference)
        store.close()


# ---------------------------------------------------------------------------- crash safety


def test_sigkill_never_leaves_half_a_block(tmp_path: Path) -> None:
    """A child extends the chain; we SIGKILL it at random moments and check the store each time."""
    blocks = make_blocks(500, per_block=20, seed=11)
    blocks_file = tmp_path / "blocks.rlp"
    blocks_file.write_bytes(rlp.encode(blocks))
    path = tmp_path / "db"
    rng = random.Random(5)
    reference = Replay.fresh()
    envvars = dict(os.environ, PYTHONPATH=str(ROOT))
    deadline = time.monotonic() + 20
    kills, heads = 0, []
    while time.monotonic() < deadline and kills < 8:
        durability = ("full", "nosync")[kills % 2]  # a process crash loses nothing in either mode
        # Round 1: the child kills itself inside block 30's write transaction, once all but
        # the head pointer is written. Later rounds: we kill it at a random moment.
        kill_at = ["30"] if kills == 0 else []
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.node.store.crash_writer", str(path), str(blocks_file), durability,
             *kill_at],
            cwd=ROOT, env=envvars, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            ready, _, _ = select.select([child.stdout], [], [], 30)
            assert ready, "writer did not start"
            line = child.stdout.readline().decode()
            assert line.startswith("ready"), (line, child.stderr.read().decode())
            if kill_at:
                assert child.wait(30) == -signal.SIGKILL
            else:
                time.sleep(rng.uniform(0.02, 0.35))
                child.send_signal(signal.SIGKILL)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()
            child.stderr.close()
        kills += 1
        store = BlockStore(path)
        LmdbBackend(store)  # verifies the head: trie root, Globals, last block
        head = store.head()
        assert not heads or head.number >= heads[-1], "a committed block was lost"
        if kills == 1:
            assert head.number == 29  # block 30 was all written but its commit never happened
        heads.append(head.number)
        while reference.number < head.number:
            reference.apply(blocks[reference.number])
        _check_store_matches(store, reference)
        _check_blocks_whole(store, blocks)
        store.close()
    assert kills >= 3 and heads[-1] > heads[0] > 0, heads
