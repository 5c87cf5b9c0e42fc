"""LoadingTrie: a trie loaded on demand from a node store, persisted and pruned per batch."""

from __future__ import annotations

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf.mpt import BLANK_ROOT, BadProof, MissingTrieNode, Trie, verify_proof
from node.stf.mpt.lazy import LoadingTrie
from node.stf.mpt.nibbles import decode_hex_prefix
from node.stf.hashing import keccak256

SHORT_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0x11, 0xFF]), max_size=3).map(bytes)
LONG_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0xAB]), min_size=32, max_size=32).map(bytes)
KEYS = st.one_of(SHORT_KEYS, LONG_KEYS, st.binary(min_size=32, max_size=32))
VALUES = st.one_of(st.binary(min_size=1, max_size=3), st.binary(min_size=1, max_size=80))


def reachable(store: dict[bytes, bytes], root: bytes) -> set[bytes]:
    """Hashes of the nodes reachable from ``root`` (each must be in ``store``)."""
    if root == BLANK_ROOT:
        return set()
    seen: set[bytes] = set()
    stack = [root]

    def refs(item: object):
        if isinstance(item, list):
            if len(item) == 17:
                for child in item[:16]:
                    yield from child_refs(child)
            elif not decode_hex_prefix(item[0])[1]:
                yield from child_refs(item[1])

    def child_refs(child: object):
        if isinstance(child, list):
            yield from refs(child)
        elif len(child) == 32:  # type: ignore[arg-type]
            yield child

    while stack:
        node_hash = stack.pop()
        if node_hash in seen:
            continue
        assert node_hash in store, f"node 0x{node_hash.hex()} missing"
        seen.add(node_hash)
        stack.extend(refs(rlp.decode(store[node_hash])))
    return seen


class NodeStore:
    """What the LMDB backend does with a LoadingTrie, over a dict."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, bytes] = {}
        self.values: dict[bytes, bytes] = {}
        self.trie = LoadingTrie.attach(BLANK_ROOT, self.nodes.get)

    def reopen(self) -> None:
        self.trie = LoadingTrie.attach(self.trie.root_hash(), self.nodes.get)

    def apply(self, batch: list[tuple[bytes, bytes | None]], prune: bool = True) -> bytes:
        replaced: list[bytes] = []
        for key, value in batch:
            if value is None:
                if key not in self.values:
                    continue
                if prune:
                    replaced += self.trie.prepare(key, True)
                self.trie.delete(key)
                del self.values[key]
            else:
                if prune:
                    replaced += self.trie.prepare(key, False)
                self.trie.set(key, value)
                self.values[key] = value
        root = self.trie.root_hash()
        new = dict(self.trie.take_new_nodes())
        for node_hash in set(replaced) - set(new):
            del self.nodes[node_hash]  # KeyError: pruned a node that was never stored
        self.nodes.update(new)
        return root


@st.composite
def batches(draw: st.DrawFn) -> list[list[tuple[bytes, bytes | None]]]:
    pool = draw(st.lists(KEYS, min_size=1, max_size=16, unique=True))
    op = st.tuples(st.sampled_from(pool), st.one_of(VALUES, st.none()))
    return draw(st.lists(st.lists(op, max_size=12), min_size=1, max_size=6))


@settings(max_examples=150, deadline=None)
@given(batches(), st.booleans())
def test_roots_match_a_full_trie_and_the_store_holds_exactly_the_live_nodes(
    plan: list[list[tuple[bytes, bytes | None]]], reopen_each_batch: bool
) -> None:
    store = NodeStore()
    reference = Trie()
    for batch in plan:
        for key, value in batch:
            if value is None:
                reference.delete(key)
            else:
                reference.set(key, value)
        root = store.apply(batch)
        assert root == reference.root_hash()
        assert set(store.nodes) == reachable(store.nodes, root)  # pruned exactly the dead nodes
        if reopen_each_batch:
            store.reopen()
    fresh = LoadingTrie.attach(store.trie.root_hash(), store.nodes.get)
    for key, value in store.values.items():
        assert fresh.get(key) == value
        assert verify_proof(root, key, fresh.get_proof(key)) == value
    assert fresh.root_hash() == reference.root_hash()


@settings(max_examples=60, deadline=None)
@given(batches())
def test_without_pruning_every_root_stays_readable(plan: list[list[tuple[bytes, bytes | None]]]) -> None:
    store = NodeStore()
    history = []
    for batch in plan:
        root = store.apply(batch, prune=False)
        history.append((root, dict(store.values)))
        store.reopen()
    for root, values in history:
        trie = LoadingTrie.attach(root, store.nodes.get)
        for key, value in values.items():
            assert trie.get(key) == value


def test_nodes_are_checked_against_their_hash() -> None:
    store = NodeStore()
    keys = [keccak256(bytes([i])) for i in range(40)]
    root = store.apply([(k, b"v" * 40) for k in keys])
    victim = next(h for h in store.nodes if h != root)
    store.nodes[victim] = store.nodes[root]  # wrong bytes under that hash
    trie = LoadingTrie.attach(root, store.nodes.get)
    with pytest.raises(BadProof):
        for key in keys:
            trie.get(key)
    del store.nodes[victim]
    trie = LoadingTrie.attach(root, store.nodes.get)
    with pytest.raises(MissingTrieNode):
        for key in keys:
            trie.get(key)


def test_attach_loads_nothing_until_needed() -> None:
    store = NodeStore()
    keys = [keccak256(i.to_bytes(4, "big")) for i in range(2000)]
    root = store.apply([(k, b"x" * 50) for k in keys])
    trie = LoadingTrie.attach(root, store.nodes.get)
    assert trie.root_hash() == root and trie.loaded == 0
    trie.load_root()
    assert trie.loaded == 1
    assert trie.get(keys[5]) == b"x" * 50
    assert trie.loaded <= 5
