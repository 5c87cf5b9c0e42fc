"""In-memory trie nodes and their incremental RLP encoding and hashing.

Every node caches ``ref``: its *reference* as it appears inside its parent's RLP, i.e.
the node's own RLP encoding when that is shorter than 32 bytes (an embedded node), else
the RLP encoding of its keccak-256 hash (``b"\\xa0" + hash``). ``ref is None`` marks a
dirty node. Invariants:

- a clean node's ``ref`` is correct for its current subtree, and the ancestors of a dirty
  node are dirty (every change dirties the path from the root down to it);
- a branch's ``parts`` (when not ``None``) holds the 17 encoded items of its last encoding,
  and every slot whose item may have changed since (a child replaced or dirtied, or the
  value, slot 16) is listed in ``stale``;
- ``parent`` / ``slot`` point to the node's parent (``None`` for the root) and its slot in
  the parent's children (-1 under an extension), so a change can dirty its path upwards.

Because children's references are already RLP encoded, a node's encoding is a list
prefix plus the concatenation of its items. The prefixes and byte-string encodings come
from the ``rlp`` package (``rlp.codec.length_prefix`` / ``encode_raw``, the former cached
in tables); ``rlp.encode`` of the decoded structure gives the same bytes (tested).
"""

from __future__ import annotations

from typing import Final, Union

from rlp.codec import encode_raw, length_prefix

from node.stf.mpt.hashing import Hasher
from node.stf.mpt.nibbles import hex_prefix, leaf_hex_prefix

BLANK_ITEM: Final = encode_raw(b"")  # b"\x80": an empty slot or an absent value
HASH_PREFIX: Final = length_prefix(32, 0x80)  # b"\xa0": RLP prefix of a 32-byte string

# Prefixes for the lengths nodes and values usually have (a branch with 16 hashed
# children has a 529-byte payload); other lengths go through ``rlp.codec`` directly.
_LIST_PREFIXES: Final = tuple(length_prefix(n, 0xC0) for n in range(1024))
_STRING_PREFIXES: Final = tuple(length_prefix(n, 0x80) for n in range(1024))


def encode_bytes(data: bytes) -> bytes:
    """``rlp.codec.encode_raw(data)`` for a byte string, using the prefix table.

    A single byte below 0x80 is its own encoding, so lengths 0 and 1 (and long strings)
    are left to ``encode_raw``.
    """
    n = len(data)
    if 1 < n < 1024:
        return _STRING_PREFIXES[n] + data
    return encode_raw(data)


def encode_list(payload: bytes) -> bytes:
    """RLP encoding of a list, given the concatenated encodings of its items."""
    n = len(payload)
    return (_LIST_PREFIXES[n] if n < 1024 else length_prefix(n, 0xC0)) + payload


class Empty:
    """The empty subtree: an unused branch slot or an empty trie (a singleton)."""

    __slots__ = ("ref",)

    def __init__(self) -> None:
        self.ref: bytes | None = BLANK_ITEM


EMPTY: Final = Empty()


class Leaf:
    """A leaf: the rest of a key's nibble path and its (non-empty) value.

    ``path_item`` caches the RLP of the hex-prefixed path (reset when ``path`` changes);
    ``key`` is the full key when known (the trie's leaf index maps it to this leaf).
    """

    __slots__ = ("path", "value", "ref", "path_item", "parent", "slot", "key")

    def __init__(self, path: bytes, value: bytes, key: bytes | None = None) -> None:
        self.path = path
        self.value = value
        self.ref: bytes | None = None
        self.path_item: bytes | None = None
        self.parent: Branch | Extension | None = None
        self.slot = -1
        self.key = key


class Extension:
    """A shared path segment (at least one nibble) leading to a branch."""

    __slots__ = ("path", "child", "ref", "parent", "slot")

    def __init__(self, path: bytes, child: Node) -> None:
        self.path = path
        self.ref: bytes | None = None
        self.parent: Branch | Extension | None = None
        self.slot = -1
        self.child = child
        if child is not EMPTY:
            child.parent = self  # type: ignore[union-attr]
            child.slot = -1  # type: ignore[union-attr]


class Branch:
    """Sixteen child slots (``EMPTY`` when unused) and the value of a key ending here."""

    __slots__ = ("children", "value", "ref", "parts", "stale", "parent", "slot")

    def __init__(self) -> None:
        self.children: list[Node] = [EMPTY] * 16
        self.value = b""  # b"" = no key ends at this branch
        self.ref: bytes | None = None
        self.parts: list[bytes] | None = None  # None: recompute every item
        self.stale: list[int] = []
        self.parent: Branch | Extension | None = None
        self.slot = -1


class HashRef:
    """A subtree of a partial trie known only by its hash (never dirty)."""

    __slots__ = ("hash", "ref", "parent", "slot")

    def __init__(self, node_hash: bytes) -> None:
        self.hash = node_hash
        self.ref: bytes | None = HASH_PREFIX + node_hash
        self.parent: Branch | Extension | None = None
        self.slot = -1


Node = Union[Empty, Leaf, Extension, Branch, HashRef]


def attach(parent: Branch, slot: int, child: Node) -> None:
    """Put ``child`` in ``parent``'s slot ``slot`` and mark that slot stale."""
    parent.children[slot] = child
    parent.stale.append(slot)
    if child is not EMPTY:
        child.parent = parent  # type: ignore[union-attr]
        child.slot = slot  # type: ignore[union-attr]


def encode_node(node: Node) -> bytes:
    """RLP encoding of a node whose children are all clean (their ``ref`` is set)."""
    cls = node.__class__
    if cls is Branch:
        parts = [child.ref for child in node.children]  # type: ignore[union-attr]
        parts.append(encode_bytes(node.value))  # type: ignore[arg-type,union-attr]
        return encode_list(b"".join(parts))  # type: ignore[arg-type]
    if cls is Leaf:
        return encode_list(encode_bytes(leaf_hex_prefix(node.path)) + encode_bytes(node.value))  # type: ignore[union-attr]
    if cls is Extension:
        return encode_list(encode_bytes(hex_prefix(node.path, False)) + node.child.ref)  # type: ignore[operator,union-attr]
    raise TypeError(f"{cls.__name__} has no encoding of its own")


def commit(node: Node, keccak: Hasher) -> bytes:
    """Compute (and cache) ``node.ref``, re-encoding and re-hashing only dirty nodes.

    Branches re-read only their ``stale`` slots; dirty leaves below a branch (the bulk of
    the work) are encoded inline rather than through a recursive call.
    """
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
            children = node.children  # type: ignore[union-attr]
            stale = node.stale  # type: ignore[union-attr]
            for slot in stale:
                if slot == 16:
                    value = node.value  # type: ignore[union-attr]
                    parts[16] = encode_bytes(value) if value else BLANK_ITEM
                    continue
                child = children[slot]
                ref = child.ref
                if ref is None:
                    if child.__class__ is Leaf:  # same as the Leaf case below
                        path_item = child.path_item  # type: ignore[union-attr]
                        if path_item is None:
                            path_item = child.path_item = encode_bytes(leaf_hex_prefix(child.path))  # type: ignore[union-attr]
                        value = child.value  # type: ignore[union-attr]
                        n = len(value)
                        payload = path_item + (_STRING_PREFIXES[n] + value if 1 < n < 1024 else encode_raw(value))
                        n = len(payload)
                        encoded = (_LIST_PREFIXES[n] if n < 1024 else length_prefix(n, 0xC0)) + payload
                        ref = child.ref = encoded if len(encoded) < 32 else HASH_PREFIX + keccak(encoded)
                    else:
                        ref = commit(child, keccak)
                parts[slot] = ref
            stale.clear()
        payload = b"".join(parts)
    elif cls is Leaf:
        path_item = node.path_item  # type: ignore[union-attr]
        if path_item is None:
            path_item = node.path_item = encode_bytes(leaf_hex_prefix(node.path))  # type: ignore[union-attr]
        payload = path_item + encode_bytes(node.value)  # type: ignore[union-attr]
    elif cls is Extension:
        child = node.child  # type: ignore[union-attr]
        payload = encode_bytes(hex_prefix(node.path, False)) + (child.ref or commit(child, keccak))
    else:  # Empty and HashRef are always clean
        return node.ref  # type: ignore[return-value]
    n = len(payload)
    encoded = (_LIST_PREFIXES[n] if n < 1024 else length_prefix(n, 0xC0)) + payload
    ref = encoded if len(encoded) < 32 else HASH_PREFIX + keccak(encoded)
    node.ref = ref
    return ref
