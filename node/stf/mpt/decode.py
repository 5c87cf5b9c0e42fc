"""Decoding RLP trie nodes: shape checks, and rebuilding (partial) tries from nodes."""

from __future__ import annotations

import rlp

from node.stf.mpt.errors import BadProof
from node.stf.mpt.nibbles import decode_hex_prefix
from node.stf.mpt.nodes import EMPTY, HASH_PREFIX, Branch, Extension, HashRef, Leaf, Node, encode_node


def decode_rlp(encoded: bytes) -> object:
    """``rlp.decode`` with decoding errors turned into ``BadProof``, and strict: the bytes
    must be the canonical encoding of what they decode to. (The Rust backend accepts a
    list whose last item runs past the list's end inside an outer list, e.g.
    ``c5 c2 80 82 61 62``; pyrlp and the Vyper verifier refuse it, and so must we, so that
    every verifier agrees on every proof.)"""
    try:
        item = rlp.decode(encoded)
    except rlp.DecodingError as exc:
        raise BadProof(f"invalid RLP: {exc}") from exc
    if rlp.encode(item) != encoded:
        raise BadProof("non-canonical RLP")
    return item


def classify(item: object) -> tuple[str, list]:
    """Classify a decoded RLP node and check its shape.

    Returns ``("branch", items)``, ``("leaf", [nibbles, value])`` or
    ``("extension", [nibbles, child_item])``; raises ``BadProof`` for anything that is
    not a well-formed node of a canonical trie (e.g. a branch with a single entry).
    """
    if not isinstance(item, list):
        raise BadProof("trie node is not an RLP list")
    if len(item) == 17:
        for child in item[:16]:
            _check_child_item(child)
        if not isinstance(item[16], bytes):
            raise BadProof("branch value is not a byte string")
        used = sum(1 for child in item[:16] if child != b"") + (1 if item[16] else 0)
        if used < 2:
            raise BadProof("branch with fewer than two entries")
        return "branch", item
    if len(item) == 2:
        path_item, second = item
        if not isinstance(path_item, bytes):
            raise BadProof("node path is not a byte string")
        try:
            nibbles, is_leaf = decode_hex_prefix(path_item)
        except ValueError as exc:
            raise BadProof(str(exc)) from exc
        if is_leaf:
            if not isinstance(second, bytes) or not second:
                raise BadProof("leaf value must be a non-empty byte string")
            return "leaf", [nibbles, second]
        if not nibbles:
            raise BadProof("extension with an empty path")
        _check_child_item(second)
        if second == b"" or (isinstance(second, list) and len(second) != 17):
            raise BadProof("extension child is not a branch")
        return "extension", [nibbles, second]
    raise BadProof(f"trie node with {len(item)} items")


def _check_child_item(child: object) -> None:
    if isinstance(child, bytes):
        if len(child) not in (0, 32):
            raise BadProof("child reference is neither empty, a hash nor a node")
    elif not isinstance(child, list):
        raise BadProof("child reference of unknown type")


def load_hashed(node_hash: bytes, store: dict[bytes, bytes]) -> Node:
    """The subtree with hash ``node_hash`` built from ``store`` (hash -> RLP encoding).

    Subtrees absent from ``store`` become ``HashRef``s. Each node's encoding is checked to
    be canonical (re-encoding it gives the same bytes), so the rebuilt trie hashes to
    ``node_hash`` and later changes hash exactly as in a full trie.
    """
    encoded = store.get(node_hash)
    if encoded is None:
        return HashRef(node_hash)
    node = _build(decode_rlp(encoded), store)
    if encode_node(node) != encoded:
        raise BadProof(f"non-canonical encoding of node 0x{node_hash.hex()}")
    node.ref = encoded if len(encoded) < 32 else HASH_PREFIX + node_hash
    return node


def _build(item: object, store: dict[bytes, bytes]) -> Leaf | Extension | Branch:
    kind, fields = classify(item)
    if kind == "leaf":
        return Leaf(fields[0], fields[1])
    if kind == "extension":
        child = _child(fields[1], store)
        if child.__class__ is not Branch and child.__class__ is not HashRef:
            raise BadProof("extension child is not a branch")
        return Extension(fields[0], child)
    branch = Branch()
    for slot in range(16):
        child = _child(fields[slot], store)
        branch.children[slot] = child
        if child is not EMPTY:
            child.parent = branch  # type: ignore[union-attr]
            child.slot = slot  # type: ignore[union-attr]
    branch.value = fields[16]
    return branch


def _child(item: bytes | list, store: dict[bytes, bytes]) -> Node:
    if isinstance(item, list):
        node = _build(item, store)
        encoded = encode_node(node)
        if len(encoded) >= 32:
            raise BadProof("embedded node of 32 bytes or more")
        node.ref = encoded
        return node
    if not item:
        return EMPTY
    node = load_hashed(item, store)
    if len(node.ref) < 32:  # type: ignore[arg-type]
        raise BadProof("node shorter than 32 bytes referenced by hash")
    return node
