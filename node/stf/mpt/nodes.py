"""In-memory trie nodes, their RLP encoding, hashing and decoding.

Every node caches ``ref``: its *reference* as it appears inside its parent's RLP, i.e.
the node's own RLP encoding when that is shorter than 32 bytes (an embedded node), else
the RLP encoding of its keccak-256 hash (``b"\\xa0" + hash``). ``ref is None`` marks a
dirty node. Invariant: if ``ref`` is set, it is correct for the node's current subtree;
every mutation clears ``ref`` on the whole path from the root to the change, so
``commit`` only re-encodes and re-hashes dirty nodes.

Because children's references are already RLP encoded, a node's encoding is the list
prefix (``rlp.codec.length_prefix``) plus the concatenation of its items, each encoded
with ``rlp.codec.encode_raw`` or taken from a child's cached ``ref``. ``rlp.encode`` on
the decoded structure gives the same bytes (tested), at a fraction of the cost.
"""

from __future__ import annotations

from typing import Final, Union

import rlp
from rlp.codec import encode_raw, length_prefix

from node.stf.mpt.errors import BadProof
from node.stf.mpt.hashing import Hasher
from node.stf.mpt.nibbles import decode_hex_prefix, hex_prefix, leaf_hex_prefix

BLANK_ITEM: Final = encode_raw(b"")  # b"\x80": an empty slot or an absent value
HASH_PREFIX: Final = length_prefix(32, 0x80)  # b"\xa0": RLP prefix of a 32-byte string

# RLP length prefixes (from ``rlp.codec.length_prefix``) for the lengths nodes and values
# usually have (a branch with 16 hashed children is 16 * 33 + 1 = 529 bytes); other
# lengths go through ``rlp.codec`` directly.
_LIST_PREFIXES: Final = tuple(length_prefix(n, 0xC0) for n in range(1024))
_STRING_PREFIXES: Final = tuple(length_prefix(n, 0x80) for n in range(1024))


def encode_bytes(data: bytes) -> bytes:
    """``rlp.codec.encode_raw(data)`` for a byte string, with a table for common lengths.

    A single byte below 0x80 is its own encoding, so lengths 0 and 1 (and long strings)
    are left to ``encode_raw``.
    """
    n = len(data)
    if 1 < n < 1024:
        return _STRING_PREFIXES[n] + data
    return encode_raw(data)


class Empty:
    """The empty subtree: an unused branch slot or an empty trie (a singleton)."""

    __slots__ = ("ref",)

    def __init__(self) -> None:
        self.ref: bytes | None = BLANK_ITEM


EMPTY: Final = Empty()


class Leaf:
    """A leaf: the rest of a key's nibble path and its (non-empty) value.

    ``path`` never changes (restructuring makes new leaves), so its RLP-encoded
    hex-prefix form is cached in ``path_item`` on first use.
    """

    __slots__ = ("path", "value", "ref", "path_item")

    def __init__(self, path: bytes, value: bytes) -> None:
        self.path = path
        self.value = value
        self.ref: bytes | None = None
        self.path_item: bytes | None = None


class Extension:
    """A shared path segment (at least one nibble) leading to a branch."""

    __slots__ = ("path", "child", "ref")

    def __init__(self, path: bytes, child: Node) -> None:
        self.path = path
        self.child = child
        self.ref: bytes | None = None


class Branch:
    """Sixteen child slots (``EMPTY`` when unused) and the value of a key ending here.

    ``parts`` caches the 17 encoded items (children's references, then the value) of the
    last encoding; ``stale`` lists the slots (16 = the value) changed since. Whoever
    changes or dirties a child, or the value, appends its slot to ``stale``, so ``commit``
    looks only at those instead of all sixteen children.
    """

    __slots__ = ("children", "value", "ref", "parts", "stale")

    def __init__(self) -> None:
        self.children: list[Node] = [EMPTY] * 16
        self.value = b""  # b"" = no key ends at this branch
        self.ref: bytes | None = None
        self.parts: list[bytes] | None = None  # None: recompute every item
        self.stale: list[int] = []


class HashRef:
    """A subtree of a partial trie known only by its hash (never dirty)."""

    __slots__ = ("hash", "ref")

    def __init__(self, node_hash: bytes) -> None:
        self.hash = node_hash
        self.ref: bytes | None = HASH_PREFIX + node_hash


Node = Union[Empty, Leaf, Extension, Branch, HashRef]


def _list(payload: bytes) -> bytes:
    """RLP encoding of a list given the concatenated encodings of its items."""
    n = len(payload)
    return (_LIST_PREFIXES[n] if n < 1024 else length_prefix(n, 0xC0)) + payload


def encode_node(node: Node) -> bytes:
    """RLP encoding of a node whose children are all clean (their ``ref`` is set)."""
    cls = node.__class__
    if cls is Branch:
        parts = [child.ref for child in node.children]  # type: ignore[union-attr]
        parts.append(encode_bytes(node.value))  # type: ignore[union-attr]
        return _list(b"".join(parts))  # type: ignore[arg-type]
    if cls is Leaf:
        return _list(encode_bytes(leaf_hex_prefix(node.path)) + encode_bytes(node.value))  # type: ignore[union-attr]
    if cls is Extension:
        return _list(encode_bytes(hex_prefix(node.path, False)) + node.child.ref)  # type: ignore[union-attr,operator]
    raise TypeError(f"{cls.__name__} has no encoding of its own")


def commit(node: Node, keccak: Hasher) -> bytes:
    """Compute (and cache) ``node.ref``, re-encoding and re-hashing only dirty nodes."""
    cls = node.__class__
    if cls is Branch:
        parts = node.parts  # type: ignore[union-attr]
        if parts is None:
            parts = [child.ref or commit(child, keccak) for child in node.children]  # type: ignore[union-attr]
            value = node.value  # type: ignore[union-attr]
            parts.append(encode_bytes(value) if value else BLANK_ITEM)
            node.parts = parts  # type: ignore[union-attr]
            node.stale = []  # type: ignore[union-attr]
        else:
            stale = node.stale  # type: ignore[union-attr]
            children = node.children  # type: ignore[union-attr]
            for slot in stale:
                if slot == 16:
                    value = node.value  # type: ignore[union-attr]
                    parts[16] = encode_bytes(value) if value else BLANK_ITEM
                else:
                    child = children[slot]
                    parts[slot] = child.ref or commit(child, keccak)  # type: ignore[union-attr]
            stale.clear()
        payload = b"".join(parts)
    elif cls is Leaf:
        path_item = node.path_item  # type: ignore[union-attr]
        if path_item is None:
            path_item = node.path_item = encode_bytes(leaf_hex_prefix(node.path))  # type: ignore[union-attr]
        payload = path_item + encode_bytes(node.value)  # type: ignore[union-attr]
    elif cls is Extension:
        child = node.child  # type: ignore[union-attr]
        payload = encode_bytes(hex_prefix(node.path, False)) + (child.ref or commit(child, keccak))  # type: ignore[union-attr]
    else:  # Empty and HashRef are always clean
        return node.ref  # type: ignore[return-value]
    n = len(payload)
    encoded = (_LIST_PREFIXES[n] if n < 1024 else length_prefix(n, 0xC0)) + payload
    ref = encoded if len(encoded) < 32 else HASH_PREFIX + keccak(encoded)
    node.ref = ref
    return ref


# --------------------------------------------------------------------------- decoding


def decode_node_item(item: object) -> tuple[str, list]:
    """Classify a decoded RLP node and check its shape.

    Returns ``("branch", items)``, ``("leaf", [nibbles, value])`` or
    ``("extension", [nibbles, child_item])``. Raises ``BadProof`` for anything that is
    not a well-formed node.
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
        if second == b"":
            raise BadProof("extension without a child")
        if isinstance(second, list) and len(second) != 17:
            raise BadProof("extension child is not a branch")
        return "extension", [nibbles, second]
    raise BadProof(f"trie node with {len(item)} items")


def _check_child_item(child: object) -> None:
    if isinstance(child, bytes):
        if len(child) not in (0, 32):
            raise BadProof("child reference is neither empty, a hash nor a node")
    elif not isinstance(child, list):
        raise BadProof("child reference of unknown type")


def decode_rlp(encoded: bytes) -> object:
    """``rlp.decode`` with decoding errors turned into ``BadProof``."""
    try:
        return rlp.decode(encoded)
    except rlp.DecodingError as exc:
        raise BadProof(f"invalid RLP: {exc}") from exc


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


def _build(item: object, store: dict[bytes, bytes]) -> Node:
    kind, fields = decode_node_item(item)
    if kind == "leaf":
        return Leaf(fields[0], fields[1])
    if kind == "extension":
        child = _child(fields[1], store)
        if child.__class__ is not Branch and child.__class__ is not HashRef:
            raise BadProof("extension child is not a branch")
        return Extension(fields[0], child)
    branch = Branch()
    branch.children = [_child(child, store) for child in fields[:16]]
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
    if node.ref is not None and len(node.ref) < 32:
        raise BadProof("node shorter than 32 bytes referenced by hash")
    return node
