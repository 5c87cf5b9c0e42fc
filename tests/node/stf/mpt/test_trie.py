"""The trie's roots against py-trie, its encodings, its incrementality and invariants."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from node.stf.mpt import BLANK_ROOT, EmptyValue, Trie
from node.stf.mpt.hashing import new_hasher
from node.stf.mpt.nibbles import (
    common_prefix_length,
    decode_hex_prefix,
    hex_prefix,
    key_to_nibbles,
    nibbles_to_key,
)
from node.stf.mpt.nodes import EMPTY, Branch, Extension, HashRef, Leaf, encode_bytes, encode_node

# Keys: short ones over a few byte values (shared nibbles, keys that are prefixes of
# others), 32-byte ones with long shared prefixes, and random 32-byte ones.
SHORT_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0x11, 0x12, 0xFF]), max_size=3).map(bytes)
LONG_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0xAB]), min_size=32, max_size=32).map(bytes)
KEYS = st.one_of(SHORT_KEYS, LONG_KEYS, st.binary(min_size=32, max_size=32))
# Values: tiny ones (embedded nodes) and longer ones (hashed nodes).
VALUES = st.one_of(st.binary(min_size=1, max_size=3), st.binary(min_size=1, max_size=80))


@st.composite
def scenarios(draw: st.DrawFn) -> list[tuple[bytes, bytes | None, bool]]:
    """Operations ``(key, value or None for delete, commit afterwards)`` on a key pool."""
    pool = draw(st.lists(KEYS, min_size=1, max_size=12, unique=True))
    return draw(
        st.lists(st.tuples(st.sampled_from(pool), st.none() | VALUES, st.booleans()), max_size=40)
    )


def check_invariants(trie: Trie) -> None:
    """Parent pointers, the leaf index and (after a commit) cached parts are consistent."""
    indexed = 0
    stack = [(trie._root, None, -1, b"")]
    while stack:
        node, parent, slot, prefix = stack.pop()
        if node is EMPTY or node.__class__ is HashRef:
            continue
        assert node.parent is parent and node.slot == slot
        if node.ref is None and parent is not None:
            assert parent.ref is None, "a dirty node under a clean parent"
        if isinstance(node, Leaf):
            if node.key is not None:
                assert key_to_nibbles(node.key) == prefix + node.path
                assert trie._index[node.key] is node
                indexed += 1
        elif isinstance(node, Extension):
            assert node.path and isinstance(node.child, (Branch, HashRef))
            stack.append((node.child, node, -1, prefix + node.path))
        else:
            entries = sum(child is not EMPTY for child in node.children) + bool(node.value)
            assert entries >= 2, "a branch with fewer than two entries"
            if node.ref is not None and node.parts is not None:
                assert node.parts[:16] == [child.ref for child in node.children]
            for nibble, child in enumerate(node.children):
                stack.append((child, node, nibble, prefix + bytes((nibble,))))
    assert indexed == len(trie._index)


def apply_all(ops: list[tuple[bytes, bytes | None, bool]]) -> tuple[Trie, HexaryTrie, dict]:
    ours, reference, model = Trie(), HexaryTrie({}), {}
    for key, value, do_commit in ops:
        if value is None:
            ours.delete(key)
            reference.delete(key)
            model.pop(key, None)
        else:
            ours.set(key, value)
            reference.set(key, value)
            model[key] = value
        if do_commit:
            assert ours.root_hash() == reference.root_hash
        check_invariants(ours)
    return ours, reference, model


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_same_roots_as_py_trie(ops: list[tuple[bytes, bytes | None, bool]]) -> None:
    ours, reference, model = apply_all(ops)
    assert ours.root_hash() == reference.root_hash
    check_invariants(ours)
    assert dict(ours.items()) == model
    assert [key for key, _ in ours.items()] == sorted(model)
    for key, _, _ in ops:
        assert ours.get(key) == model.get(key)
    # The same contents inserted afresh in another order give the same root.
    fresh = Trie()
    for key in sorted(model, reverse=True):
        fresh.set(key, model[key])
    assert fresh.root_hash() == ours.root_hash()


def test_empty_trie() -> None:
    trie = Trie()
    assert trie.root_hash() == BLANK_ROOT == keccak(rlp.encode(b""))
    assert BLANK_ROOT.hex() == "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    assert trie.get(b"x") is None
    trie.delete(b"x")
    assert list(trie.items()) == []
    trie.set(b"x", b"1")
    trie.delete(b"x")
    assert trie.root_hash() == BLANK_ROOT


def test_known_roots() -> None:
    """Vectors from Ethereum's trie tests (also checked against py-trie)."""
    cases = [
        ({b"do": b"verb", b"horse": b"stallion", b"doge": b"coin", b"dog": b"puppy"},
         "5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84"),
        ({b"doe": b"reindeer", b"dog": b"puppy", b"dogglesworth": b"cat"},
         "8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"),
    ]
    for items, root in cases:
        trie, reference = Trie(), HexaryTrie({})
        for key, value in items.items():
            trie.set(key, value)
            reference.set(key, value)
        assert trie.root_hash().hex() == root == reference.root_hash.hex()


def test_many_random_32_byte_keys_match_py_trie() -> None:
    rng = random.Random(7)
    trie, reference = Trie(), HexaryTrie({})
    keys = [rng.randbytes(32) for _ in range(600)]
    for key in keys:
        value = rng.randbytes(rng.randrange(1, 120))
        trie.set(key, value)
        reference.set(key, value)
    assert trie.root_hash() == reference.root_hash
    for key in keys[:150]:
        if rng.random() < 0.5:
            trie.delete(key)
            reference.delete(key)
        else:
            value = rng.randbytes(rng.randrange(1, 120))
            trie.set(key, value)
            reference.set(key, value)
    assert trie.root_hash() == reference.root_hash
    check_invariants(trie)


def test_empty_value_is_rejected() -> None:
    trie = Trie()
    with pytest.raises(EmptyValue):
        trie.set(b"k", b"")


class _CountingHasher:
    def __init__(self) -> None:
        self.inner = new_hasher()
        self.calls = 0

    def __call__(self, data: bytes) -> bytes:
        self.calls += 1
        return self.inner(data)


def test_only_dirty_nodes_are_rehashed() -> None:
    rng = random.Random(3)
    trie = Trie()
    keys = [rng.randbytes(32) for _ in range(2000)]
    for key in keys:
        trie.set(key, rng.randbytes(64))
    root = trie.root_hash()
    counter = _CountingHasher()
    trie._keccak = counter
    assert trie.root_hash() == root and counter.calls == 0
    trie.delete(b"\x00" * 32)  # absent: nothing to do
    trie.get(keys[0])
    assert trie.root_hash() == root and counter.calls == 0
    trie.set(keys[0], b"new value" * 5)
    trie.root_hash()
    # The leaf plus the branches above it: 2000 keys are about three levels deep.
    assert 2 <= counter.calls <= 6
    counter.calls = 0
    for key in keys[:10]:
        trie.set(key, b"another" * 8)
    trie.root_hash()
    assert counter.calls <= 10 * 6


def test_updates_between_commits_and_reverts() -> None:
    trie = Trie()
    trie.set(b"\x01" * 32, b"a" * 40)
    trie.set(b"\x02" * 32, b"b" * 40)
    before = trie.root_hash()
    trie.set(b"\x01" * 32, b"c" * 40)
    middle = trie.root_hash()
    trie.set(b"\x01" * 32, b"a" * 40)
    assert trie.root_hash() == before != middle
    trie.set(b"\x03" * 32, b"x")
    trie.delete(b"\x03" * 32)
    assert trie.root_hash() == before


def test_node_encodings_are_rlp() -> None:
    """Our composed encodings are exactly ``rlp.encode`` of the decoded structure."""
    rng = random.Random(11)
    trie = Trie()
    for i in range(300):
        trie.set(rng.randbytes(rng.choice([1, 2, 32])), rng.randbytes(rng.choice([1, 2, 40, 70])))
    trie.root_hash()
    stack = [trie._root]
    while stack:
        node = stack.pop()
        if node is EMPTY:
            continue
        encoded = encode_node(node)
        assert rlp.encode(rlp.decode(encoded)) == encoded
        if isinstance(node, Branch):
            stack.extend(node.children)
        elif isinstance(node, Extension):
            stack.append(node.child)


@pytest.mark.parametrize("length", [0, 1, 2, 31, 32, 55, 56, 57, 255, 256, 1023, 1024, 70000])
def test_encode_bytes_matches_rlp(length: int) -> None:
    for fill in (b"\x00", b"\x7f", b"\x80", b"\xff"):
        data = fill * length
        assert encode_bytes(data) == rlp.encode(data)


def test_nibbles_and_hex_prefix() -> None:
    assert key_to_nibbles(b"\xab\x01") == b"\x0a\x0b\x00\x01"
    assert nibbles_to_key(b"\x0a\x0b\x00\x01") == b"\xab\x01"
    with pytest.raises(ValueError):
        nibbles_to_key(b"\x01")
    # Yellow paper appendix C examples.
    assert hex_prefix(b"\x01\x02\x03\x04\x05", False) == bytes.fromhex("112345")
    assert hex_prefix(b"\x00\x01\x02\x03\x04\x05", False) == bytes.fromhex("00012345")
    assert hex_prefix(b"\x00\x0f\x01\x0c\x0b\x08", True) == bytes.fromhex("200f1cb8")
    assert hex_prefix(b"\x0f\x01\x0c\x0b\x08", True) == bytes.fromhex("3f1cb8")
    assert hex_prefix(b"", True) == b"\x20"
    for nibbles in (b"", b"\x01", b"\x01\x02", b"\x0f" * 7):
        for leaf in (True, False):
            assert decode_hex_prefix(hex_prefix(nibbles, leaf)) == (nibbles, leaf)
    for bad in (b"", b"\x40", b"\x21", b"\x05"):
        with pytest.raises(ValueError):
            decode_hex_prefix(bad)
    assert common_prefix_length(b"\x01\x02\x03", b"\x01\x02\x04") == 2
    assert common_prefix_length(b"\x01", b"") == 0


def test_hashers_are_keccak() -> None:
    hasher = new_hasher()
    for data in (b"", b"abc", bytes(range(256)) * 5, bytearray(b"xyz") * 50):
        assert hasher(bytes(data)) == keccak(bytes(data))
