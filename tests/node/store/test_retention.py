"""Deferred pruning: every state from the finalized-through block to the head keeps its trie
nodes; finality deletes exactly the nodes no retained root reaches."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf.mpt.trie import BLANK_ROOT
from node.store import BlockStore, LmdbBackend
from tests.node.stf.mpt.test_lazy import reachable
from tests.node.store.workload import apply_and_commit, make_blocks, open_chain

BLOCKS = make_blocks(30, per_block=25, seed=11)


def node_hashes(store: BlockStore) -> set[bytes]:
    with store.env.begin() as txn:
        return {bytes(key) for key, _ in txn.cursor(db=store._trie)}


def retained_nodes(store: BlockStore, first: int) -> set[bytes]:
    """Hashes of the nodes reachable from the state roots of blocks ``first``..head."""
    nodes = {h: store.trie_node(h) for h in node_hashes(store)}
    out: set[bytes] = set()
    for number in range(first, store.head().number + 1):
        out |= reachable(nodes, store.header(number).state_root)
    return out


def run_chain(path: Path, blocks: list[list[bytes]], start: int = 1, **options) -> tuple[BlockStore, LmdbBackend]:
    store = BlockStore(path)
    backend = LmdbBackend(store, **options)
    state = open_chain(backend)
    for number, txs in enumerate(blocks, start):
        apply_and_commit(state, backend, number, txs)
    return store, backend


def empty_block(backend: LmdbBackend, changes: dict[bytes, bytes | None]) -> bytes:
    """Apply raw ``changes`` and commit them as a block without transactions; the new root."""
    root = backend.apply(changes)
    head = backend.store.head()
    number = 0 if head is None else head.number + 1
    backend.commit_block(number, 1_000 + number, [], [])
    return root


def test_finality_deletes_exactly_the_nodes_no_retained_root_reaches(tmp_path: Path) -> None:
    store, _ = run_chain(tmp_path / "db", BLOCKS)
    head = store.head().number
    everything = node_hashes(store)
    assert everything == retained_nodes(store, 0)  # nothing pruned yet: every state is whole
    for final in (5, 12, 12, 20, head):
        handled = store.finalized_through(final)
        assert node_hashes(store) == retained_nodes(store, final), f"finalized through {final}"
        assert store.finalized_through_block() == final
        if final == 12:
            assert handled == 0 or store.finalized_through(12) == 0  # a repeat has nothing left to do
    assert len(node_hashes(store)) < len(everything) // 2  # nodes were actually deleted
    store.finalized_through(3)  # finality never goes back
    assert store.finalized_through_block() == head
    store.close()


def test_a_node_made_dead_then_recreated_is_kept_while_a_retained_root_needs_it(tmp_path: Path) -> None:
    """Block 2 kills the nodes of key ``a``'s path, block 3 re-creates them byte for byte
    (a value set back): finalising block 2 must not delete what block 3's root reaches."""
    store = BlockStore(tmp_path / "db")
    backend = LmdbBackend(store)
    others = {bytes([0x10, i]): b"x" * 40 for i in range(40)}  # a trie a few levels deep
    empty_block(backend, {**others, b"a": b"v1" * 20})                  # block 0
    root1 = empty_block(backend, {b"b": b"w" * 40})                       # block 1
    empty_block(backend, {b"a": b"v2" * 20})                              # block 2: a's path dies
    root3 = empty_block(backend, {b"a": b"v1" * 20, b"b": None})          # block 3: re-created
    assert root3 != root1 and reachable({h: store.trie_node(h) for h in node_hashes(store)}, root1)
    store.finalized_through(2)
    nodes = {h: store.trie_node(h) for h in node_hashes(store)}
    assert reachable(nodes, root3) <= set(nodes)  # block 3's state is whole
    assert store.state_backend_at(3).get(b"a") == b"v1" * 20
    empty_block(backend, {b"a": b"v3" * 20})                              # block 4: dead again
    store.finalized_through(3)
    assert store.state_backend_at(3).get(b"a") == b"v1" * 20  # still needed by block 3
    store.finalized_through(4)
    assert node_hashes(store) == retained_nodes(store, 4)  # and deleted once block 4 is final
    store.close()


def test_restart_keeps_the_pending_lists(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store, _ = run_chain(path, BLOCKS[:15])
    store.close()
    store, _ = run_chain(path, BLOCKS[15:], start=16)  # reopened: the lists of blocks 1..15 are on disk
    assert node_hashes(store) == retained_nodes(store, 0)
    store.finalized_through(10)
    store.close()
    store = BlockStore(path)
    assert store.finalized_through_block() == 10
    assert node_hashes(store) == retained_nodes(store, 10)
    store.finalized_through(store.head().number)
    assert node_hashes(store) == retained_nodes(store, store.head().number)
    store.close()


def test_the_store_stops_growing_when_finality_follows_the_head(tmp_path: Path) -> None:
    """Blocks that rewrite the same keys: with a fixed window of retained states the node
    count levels off; without finality it grows with every block."""
    keys = [bytes([0x20, i]) for i in range(200)]
    counts: dict[str, list[int]] = {}
    for mode in ("final", "none"):
        store = BlockStore(tmp_path / mode)
        backend = LmdbBackend(store)
        empty_block(backend, {k: b"0" * 40 for k in keys})
        counts[mode] = []
        for number in range(1, 61):
            empty_block(backend, {k: number.to_bytes(2, "big") * 20 for k in keys[number % 4::4]})
            if mode == "final":
                store.finalized_through(number - 5)  # keep the last five states
            counts[mode].append(store.stats()["trie_nodes"])
        if mode == "final":
            assert node_hashes(store) == retained_nodes(store, 55)
        store.close()
    assert max(counts["final"][20:]) == max(counts["final"][10:20])  # level: bounded by the window
    assert counts["none"][-1] > 3 * counts["final"][-1]


def test_prune_works_in_bounded_chunks(tmp_path: Path) -> None:
    store, _ = run_chain(tmp_path / "db", BLOCKS[:10])
    store.finalized_through(8, prune=False)
    chunks = []
    while done := store.prune(budget=50):
        chunks.append(done)
    assert len(chunks) > 2 and min(chunks[:-1]) >= 50  # whole lists per chunk, until the budget is spent
    assert node_hashes(store) == retained_nodes(store, 8)
    store.close()


def test_an_archive_backend_records_nothing_to_prune(tmp_path: Path) -> None:
    store, _ = run_chain(tmp_path / "db", BLOCKS[:8], prune=False)
    before = node_hashes(store)
    assert store.stats()["pending"] > 0  # key history only
    store.finalized_through(8)
    assert node_hashes(store) == before and store.stats()["pending"] == 0
    store.close()


KEYS = st.sampled_from([bytes([0x30, i]) for i in range(12)] + [b"\x31", b"\x31\x00", b"\x31\x00\x01"])
VALUES = st.one_of(st.none(), st.sampled_from([b"s", b"t" * 40, b"u" * 33]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(st.dictionaries(KEYS, VALUES, max_size=6), min_size=2, max_size=12),
       finals=st.lists(st.integers(0, 12), max_size=4))
def test_random_changes_and_finality(tmp_path_factory, blocks, finals) -> None:
    """Small alphabets, so values and whole subtrees come back: whatever the order, the
    store holds exactly the nodes of the retained roots, and each retained state reads back."""
    store = BlockStore(tmp_path_factory.mktemp("db"))
    backend = LmdbBackend(store)
    states: list[dict[bytes, bytes]] = []
    current: dict[bytes, bytes] = {}
    for changes in [{b"\x01": b"g"}] + blocks:
        empty_block(backend, changes)
        for key, value in changes.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        states.append(dict(current))
    head = store.head().number
    final = 0
    for number in sorted(finals):
        final = max(final, min(number, head))
        store.finalized_through(final)
        assert node_hashes(store) == retained_nodes(store, final) - {BLANK_ROOT}
    for number in range(final, head + 1):
        old = store.state_backend_at(number)
        for key in list(states[number]) + [bytes([0x30, 0])]:
            assert old.get(key) == states[number].get(key)
        for prefix in (b"\x30", b"\x31", b"\x31\x00", b""):
            assert list(old.keys_with_prefix(prefix)) == sorted(k for k in states[number] if k.startswith(prefix))
    store.close()
