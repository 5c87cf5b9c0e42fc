"""Partial tries and witnesses: replay from a witness, and missing nodes."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf.mpt import BLANK_ROOT, BadProof, MissingTrieNode, Trie
from node.stf.mpt.nodes import EMPTY, Branch, Extension, encode_node
from tests.node.stf.mpt.test_trie import check_invariants

SHORT_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0x11, 0xFF]), max_size=3).map(bytes)
LONG_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0xAB]), min_size=32, max_size=32).map(bytes)
KEYS = st.one_of(SHORT_KEYS, LONG_KEYS, st.binary(min_size=32, max_size=32))
VALUES = st.one_of(st.binary(min_size=1, max_size=3), st.binary(min_size=1, max_size=80))

Op = tuple[str, bytes, "bytes | None"]


def _run(trie: Trie, ops: list[Op]) -> list[object]:
    """Apply ``ops`` ("get" / "set" / "delete" / "root"); the observable results."""
    results: list[object] = []
    for kind, key, value in ops:
        if kind == "get":
            results.append(trie.get(key))
        elif kind == "set":
            trie.set(key, value)  # type: ignore[arg-type]
        elif kind == "delete":
            trie.delete(key)
        else:
            results.append(trie.root_hash())
    results.append(trie.root_hash())
    return results


def _all_nodes(trie: Trie) -> set[bytes]:
    """Every hashed node's encoding, plus the root's (of a committed full trie)."""
    trie.root_hash()
    found, stack = {encode_node(trie._root)} if trie._root is not EMPTY else set(), [trie._root]
    while stack:
        node = stack.pop()
        if node is EMPTY:
            continue
        if node.ref is not None and len(node.ref) == 33:
            found.add(encode_node(node))
        if isinstance(node, Branch):
            stack.extend(node.children)
        elif isinstance(node, Extension):
            stack.append(node.child)
    return found


@st.composite
def windows(draw: st.DrawFn) -> tuple[dict[bytes, bytes], list[Op]]:
    pool = draw(st.lists(KEYS, min_size=1, max_size=14, unique=True))
    initial = draw(st.dictionaries(st.sampled_from(pool), VALUES, max_size=len(pool)))
    op = st.one_of(
        st.tuples(st.just("get"), st.sampled_from(pool), st.none()),
        st.tuples(st.just("set"), st.sampled_from(pool), VALUES),
        st.tuples(st.just("delete"), st.sampled_from(pool), st.none()),
        st.tuples(st.just("root"), st.just(b""), st.none()),
    )
    return initial, draw(st.lists(op, max_size=25))


@settings(max_examples=120, deadline=None)
@given(windows())
def test_replay_from_witness(window: tuple[dict[bytes, bytes], list[Op]]) -> None:
    initial, ops = window
    full = Trie()
    for key, value in initial.items():
        full.set(key, value)
    pre_root = full.root_hash()
    pre_nodes = _all_nodes(full)

    full.start_witness()
    expected = _run(full, ops)
    witness = full.take_witness()

    if not any(kind == "root" for kind, _, _ in ops):
        assert witness <= pre_nodes  # only pre-state nodes
    partial = Trie.from_nodes(pre_root, witness)
    assert partial.root_hash() == pre_root
    assert _run(partial, ops) == expected
    check_invariants(full)
    check_invariants(partial)


def test_replay_on_a_large_trie() -> None:
    rng = random.Random(21)
    keys = [rng.randbytes(32) for _ in range(3000)]
    full = Trie()
    for key in keys:
        full.set(key, rng.randbytes(rng.randrange(40, 120)))
    pre_root = full.root_hash()
    ops: list[Op] = []
    for _ in range(400):
        roll = rng.random()
        if roll < 0.3:
            ops.append(("get", rng.choice(keys), None))
        elif roll < 0.7:
            ops.append(("set", rng.choice(keys), rng.randbytes(60)))
        elif roll < 0.85:
            ops.append(("set", rng.randbytes(32), rng.randbytes(60)))
        elif roll < 0.97:
            ops.append(("delete", rng.choice(keys), None))
        else:
            ops.append(("root", b"", None))
    full.start_witness()
    expected = _run(full, ops)
    witness = full.take_witness()
    assert 0 < len(witness) < 3000
    partial = Trie.from_nodes(pre_root, witness)
    assert _run(partial, ops) == expected


def _two_leaf_trie() -> tuple[Trie, bytes, bytes]:
    trie = Trie()
    a, b = b"\x10" + b"\x00" * 31, b"\x20" + b"\x00" * 31
    trie.set(a, b"a" * 40)
    trie.set(b, b"b" * 40)  # a hashed leaf: its content is not in a's proof
    return trie, a, b


def test_delete_collapse_needs_the_sibling() -> None:
    full, a, b = _two_leaf_trie()
    root = full.root_hash()
    sibling = full.get_proof(b)[-1]
    partial = Trie.from_nodes(root, full.get_proof(a))
    assert partial.get(a) == b"a" * 40
    with pytest.raises(MissingTrieNode) as raised:
        partial.delete(a)
    sibling_hash = raised.value.node_hash
    assert sibling_hash == keccak(sibling)
    # The failed delete changed nothing.
    assert partial.root_hash() == root and partial.get(a) == b"a" * 40
    check_invariants(partial)
    partial.set(a, b"z" * 40)
    check_invariants(partial)

    # Recorded through a witness, the sibling is included and the delete replays.
    full.start_witness()
    full.delete(a)
    new_root = full.root_hash()
    witness = full.take_witness()
    assert sibling in witness
    replay = Trie.from_nodes(root, witness)
    replay.delete(a)
    assert replay.root_hash() == new_root


def test_touching_outside_the_witness_raises() -> None:
    rng = random.Random(4)
    keys = [rng.randbytes(32) for _ in range(256)]
    full = Trie()
    for key in keys:
        full.set(key, rng.randbytes(50))
    root = full.root_hash()
    original = full.get(keys[0])
    full.start_witness()
    full.get(keys[0])
    full.set(keys[0], b"changed" * 8)
    witness = full.take_witness()

    partial = Trie.from_nodes(root, witness)
    outside = next(k for k in keys if k[0] >> 4 != keys[0][0] >> 4)
    for action in (
        lambda: partial.get(outside),
        lambda: partial.set(outside, b"x" * 40),
        lambda: partial.delete(outside),
        lambda: partial.get_proof(outside),
    ):
        with pytest.raises(MissingTrieNode):
            action()
    assert partial.root_hash() == root  # nothing changed
    assert partial.get(keys[0]) == original
    partial.set(keys[0], b"changed" * 8)
    assert partial.root_hash() == full.root_hash()
    with pytest.raises(MissingTrieNode):
        list(partial.items())


def test_trie_known_only_by_its_root() -> None:
    full, a, _ = _two_leaf_trie()
    root = full.root_hash()
    partial = Trie.from_nodes(root, [])
    assert partial.root_hash() == root
    with pytest.raises(MissingTrieNode) as raised:
        partial.get(a)
    assert raised.value.node_hash == root
    assert Trie.from_nodes(BLANK_ROOT, [b"ignored"]).root_hash() == BLANK_ROOT
    with pytest.raises(ValueError):
        Trie.from_nodes(b"short", [])


def test_short_root_witness() -> None:
    trie = Trie()
    trie.set(b"\x01", b"x")
    root = trie.root_hash()
    trie.start_witness()
    trie.set(b"\x02", b"y")
    new_root = trie.root_hash()
    witness = trie.take_witness()
    assert len(next(iter(witness))) < 32
    replay = Trie.from_nodes(root, witness)
    assert replay.root_hash() == root
    replay.set(b"\x02", b"y")
    assert replay.root_hash() == new_root


def test_witness_without_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        Trie().take_witness()


def test_non_canonical_witness_nodes_are_rejected() -> None:
    short_leaf = rlp.encode([b"\x3f", b"x"])  # 4 bytes: must be embedded, not hashed
    branch = rlp.encode([keccak(short_leaf), keccak(short_leaf)] + [b""] * 14 + [b""])
    with pytest.raises(BadProof):
        Trie.from_nodes(keccak(branch), [branch, short_leaf])
    with pytest.raises(BadProof):
        Trie.from_nodes(keccak(b"\xff\x00"), [b"\xff\x00"])
    big_embedded = rlp.encode([[b"\x3f", b"x" * 40], [b"\x3f", b"y"]] + [b""] * 14 + [b""])
    with pytest.raises(BadProof):
        Trie.from_nodes(keccak(big_embedded), [big_embedded])


@settings(max_examples=60, deadline=None)
@given(windows(), st.lists(st.tuples(st.sampled_from(["get", "set", "delete"]), KEYS, VALUES), max_size=25))
def test_failed_operations_change_nothing(
    window: tuple[dict[bytes, bytes], list[Op]], others: list[tuple[str, bytes, bytes]]
) -> None:
    """On a partial trie, operations either match a full trie's or raise and do nothing."""
    initial, ops = window
    recorder, reference = Trie(), Trie()
    for key, value in initial.items():
        recorder.set(key, value)
        reference.set(key, value)
    pre_root = recorder.root_hash()
    recorder.start_witness()
    _run(recorder, ops)
    partial = Trie.from_nodes(pre_root, recorder.take_witness())
    for kind, key, value in others:
        try:
            if kind == "get":
                got = partial.get(key)
            elif kind == "set":
                partial.set(key, value)
            else:
                partial.delete(key)
        except MissingTrieNode:
            assert partial.root_hash() == reference.root_hash()
            continue
        if kind == "get":
            assert got == reference.get(key)
        elif kind == "set":
            reference.set(key, value)
        else:
            reference.delete(key)
        assert partial.root_hash() == reference.root_hash()
    check_invariants(partial)
