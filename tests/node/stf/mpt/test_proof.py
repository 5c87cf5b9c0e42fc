"""Merkle proofs: ours against py-trie's, inclusion and absence, tampering."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from trie.exceptions import ValidationError

from node.stf.mpt import BLANK_ROOT, BadProof, Trie, verify_proof

SHORT_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0x11, 0xFF]), max_size=3).map(bytes)
LONG_KEYS = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0xAB]), min_size=32, max_size=32).map(bytes)
KEYS = st.one_of(SHORT_KEYS, LONG_KEYS, st.binary(min_size=32, max_size=32))
VALUES = st.one_of(st.binary(min_size=1, max_size=3), st.binary(min_size=1, max_size=80))


def _build(items: dict[bytes, bytes]) -> tuple[Trie, HexaryTrie]:
    ours, reference = Trie(), HexaryTrie({})
    for key, value in items.items():
        ours.set(key, value)
        reference.set(key, value)
    return ours, reference


def _py_trie_get(reference: HexaryTrie, key: bytes) -> bytes | None | str:
    """py-trie's own lookup; it fails on some paths through embedded nodes (its bug)."""
    try:
        return reference.get(key) or None
    except ValidationError:
        return "py-trie cannot traverse this path"


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=12), st.lists(KEYS, max_size=4))
def test_proofs_match_py_trie(items: dict[bytes, bytes], absent: list[bytes]) -> None:
    ours, reference = _build(items)
    root = ours.root_hash()
    assert root == reference.root_hash
    for key in list(items) + absent:
        expected = items.get(key)
        proof = ours.get_proof(key)
        assert proof == [rlp.encode(node) for node in reference.get_proof(key)]
        assert verify_proof(root, key, proof) == expected
        if _py_trie_get(reference, key) != "py-trie cannot traverse this path":
            decoded = [rlp.decode(node) for node in proof]
            assert (HexaryTrie.get_from_proof(root, key, decoded) or None) == expected


def test_large_trie_proofs_both_ways() -> None:
    rng = random.Random(5)
    items = {rng.randbytes(32): rng.randbytes(rng.randrange(1, 100)) for _ in range(500)}
    ours, reference = _build(items)
    root = ours.root_hash()
    keys = list(items)[:100] + [rng.randbytes(32) for _ in range(50)]
    for key in keys:
        proof = ours.get_proof(key)
        assert verify_proof(root, key, proof) == items.get(key)
        assert (HexaryTrie.get_from_proof(root, key, [rlp.decode(n) for n in proof]) or None) == items.get(key)
        theirs = [rlp.encode(node) for node in reference.get_proof(key)]
        assert verify_proof(root, key, theirs) == items.get(key)


def test_absence_proofs_of_every_kind() -> None:
    items = {
        b"\x12\x34": b"a" * 40,  # leaf under an extension + branch
        b"\x12\x35": b"b" * 40,
        b"\x12": b"c" * 40,  # key ending at a branch (prefix of the others)
        b"\x56\x78": b"d" * 40,
    }
    ours, _ = _build(items)
    root = ours.root_hash()
    for absent in (
        b"\x12\x36",  # empty branch slot
        b"\x12\x34\x00",  # past a leaf
        b"\x56\x79",  # leaf with another path
        b"\x13",  # diverges inside the extension / empty root slot
        b"",  # ends at the root branch, which has no value
        b"\x56",  # ends inside a leaf's path
    ):
        proof = ours.get_proof(absent)
        assert proof, absent
        assert verify_proof(root, absent, proof) is None
    for key, value in items.items():
        assert verify_proof(root, key, ours.get_proof(key)) == value


def test_embedded_nodes_in_proofs() -> None:
    """Tiny values make embedded nodes; py-trie lists them as their own proof items."""
    items = {b"\x01\x01": b"a", b"\x01\x02": b"b", b"\x02": b"c" * 40}
    ours, reference = _build(items)
    root = ours.root_hash()
    for key in (b"\x01\x01", b"\x01\x02", b"\x01\x03", b"\x02"):
        proof = ours.get_proof(key)
        assert proof == [rlp.encode(node) for node in reference.get_proof(key)]
        assert any(len(node) < 32 for node in proof[1:]) or key == b"\x02"
        assert verify_proof(root, key, proof) == items.get(key)
        # Without the embedded items the proof is still valid (they are in the parent).
        hashed_only = [proof[0]] + [node for node in proof[1:] if len(node) >= 32]
        assert verify_proof(root, key, hashed_only) == items.get(key)


def test_empty_trie_proof() -> None:
    trie = Trie()
    assert trie.get_proof(b"k") == []
    assert verify_proof(BLANK_ROOT, b"k", []) is None
    with pytest.raises(BadProof):
        verify_proof(BLANK_ROOT, b"k", [rlp.encode([b"\x20", b"v"])])


def test_single_short_root() -> None:
    trie = Trie()
    trie.set(b"k", b"v")
    root = trie.root_hash()
    proof = trie.get_proof(b"k")
    assert len(proof) == 1 and len(proof[0]) < 32 and keccak(proof[0]) == root
    assert verify_proof(root, b"k", proof) == b"v"
    assert verify_proof(root, b"j", proof) is None


def test_tampered_proofs_are_rejected() -> None:
    rng = random.Random(9)
    items = {rng.randbytes(32): rng.randbytes(50) for _ in range(300)}
    ours, _ = _build(items)
    root = ours.root_hash()
    key = next(iter(items))
    proof = ours.get_proof(key)
    assert len(proof) >= 3
    for index in range(len(proof)):
        for offset in (0, len(proof[index]) // 2, len(proof[index]) - 1):
            node = bytearray(proof[index])
            node[offset] ^= 0x01
            tampered = proof[:index] + [bytes(node)] + proof[index + 1 :]
            with pytest.raises(BadProof):
                verify_proof(root, key, tampered)
    with pytest.raises(BadProof):
        verify_proof(root, key, proof[:-1])  # truncated
    with pytest.raises(BadProof):
        verify_proof(root, key, proof + [proof[-1]])  # extra node
    with pytest.raises(BadProof):
        verify_proof(root, key, [])
    with pytest.raises(BadProof):
        verify_proof(keccak(b"another root"), key, proof)
    with pytest.raises(BadProof):
        verify_proof(keccak(b"\xff\x00"), key, [b"\xff\x00"])  # not RLP
    with pytest.raises(BadProof):
        verify_proof(keccak(rlp.encode([b"a", b"b", b"c"])), key, [rlp.encode([b"a", b"b", b"c"])])
    other = next(ours.get_proof(k) for k in items if ours.get_proof(k)[1] != proof[1])
    with pytest.raises(BadProof):
        verify_proof(root, key, [proof[0], other[1]] + proof[2:])  # a node from elsewhere


def test_malformed_nodes_are_rejected() -> None:
    leaf = rlp.encode([b"\x20" + b"\x00" * 31, b"v" * 40])
    bad_nodes = [
        rlp.encode([b"\x40" + b"\x00" * 31, b"v" * 40]),  # hex-prefix flag 4
        rlp.encode([b"\x21" + b"\x00" * 31, b"v" * 40]),  # non-zero padding nibble
        rlp.encode([b"\x20" + b"\x00" * 31, b""]),  # empty leaf value
        rlp.encode([b"\x20" + b"\x00" * 31, [b"x"]]),  # leaf value is a list
        rlp.encode([b"" for _ in range(16)] + [b"v" * 40]),  # branch with one entry
        rlp.encode([b"\x01" * 5] + [b"" for _ in range(15)] + [b"v" * 40]),  # bad reference
        rlp.encode([b"\x00\x01", b"\x01" * 32, b"x"]),  # three items
    ]
    # An extension over a leaf, and an embedded node that is too long to be embedded.
    bad_nodes.append(rlp.encode([b"\x00\x00", keccak(leaf)]))
    bad_nodes.append(rlp.encode([[b"\x3f", b"x" * 40], [b"\x3f", b"y"]] + [b""] * 15))
    key = b"\x00" * 32
    for node in bad_nodes:
        with pytest.raises(BadProof):
            verify_proof(keccak(node), key, [node, leaf])
    assert verify_proof(keccak(leaf), b"\x00" * 31, [leaf]) == b"v" * 40


def test_non_canonical_rlp_nesting_is_refused_like_the_vyper_verifier_does():
    from node.stf.mpt.decode import decode_rlp

    # an inner list whose item runs past its end but stays inside the outer list
    with pytest.raises(BadProof):
        decode_rlp(bytes.fromhex("c5c2808261 62".replace(" ", "")))
    assert decode_rlp(bytes.fromhex("c3c28080")) == [[b"", b""]]
