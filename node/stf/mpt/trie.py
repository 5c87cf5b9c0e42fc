"""Ethereum's hexary Merkle Patricia trie, incremental, with proofs and partial tries.

``Trie`` produces the same roots as py-trie's ``HexaryTrie`` (yellow paper, appendix D):
leaves, extensions and 17-slot branches, hex-prefix paths, nodes whose RLP is shorter than
32 bytes embedded in their parent, keccak-256 everywhere else.

- **Incremental.** Nodes are mutable objects that cache their reference (hash); ``set``
  and ``delete`` dirty one path and ``root_hash`` re-hashes only dirty nodes, and in a
  branch only its changed slots (see ``node.stf.mpt.nodes``).
- **Leaf index.** ``key -> Leaf`` for the leaves the trie has seen a key for: updating an
  existing key sets the value and dirties the path upwards through parent pointers,
  stopping at the first ancestor that is already dirty (no walk down from the root).
- **Partial tries.** ``Trie.from_nodes(root, nodes)`` keeps subtrees that are not in
  ``nodes`` as hash references; touching one raises ``MissingTrieNode``. An operation that
  raises leaves the trie's contents unchanged.
- **Witnesses.** Between ``start_witness()`` and ``take_witness()`` the trie records the
  pre-state encoding of every hashed node an operation reads (at its first touch),
  including the sibling a delete needs to collapse a branch; ``Trie.from_nodes(old_root,
  witness)`` can then replay the same operations and reaches the same roots.
- **Proofs.** ``get_proof`` returns the RLP nodes along a key's path, embedded nodes
  included, as py-trie does; ``node.stf.mpt.proof.verify_proof`` checks them.

A ``Trie`` is not thread-safe (it may own a keccak state, see ``node.stf.mpt.hashing``).
Recursion depth is bounded by the number of nibbles in a key (64 for 32-byte keys).
"""

from __future__ import annotations

from typing import Final, Iterable, Iterator

from node.stf.mpt.decode import load_hashed
from node.stf.mpt.errors import EmptyValue, MissingTrieNode
from node.stf.mpt.hashing import keccak256, new_hasher
from node.stf.mpt.nibbles import common_prefix_length, key_to_nibbles, nibbles_to_key
from node.stf.mpt.nodes import (
    EMPTY,
    Branch,
    Extension,
    HashRef,
    Leaf,
    Node,
    attach,
    commit,
    encode_node,
)

BLANK_ROOT: Final = keccak256(b"\x80")  # 0x56e8...b421, the root of the empty trie

_UNCHANGED: Final = object()  # returned by ``_delete`` when the key was absent


class Trie:
    """A hexary Merkle Patricia trie mapping byte keys to non-empty byte values."""

    __slots__ = ("_root", "_keccak", "_index", "_witness", "_seen")

    def __init__(self) -> None:
        self._root: Node = EMPTY
        self._keccak = new_hasher()
        self._index: dict[bytes, Leaf] = {}  # key -> its leaf (leaves whose key is known)
        self._witness: set[bytes] | None = None
        self._seen: dict[int, Node] | None = None  # id -> node touched in this window

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_nodes(cls, root_hash: bytes, nodes: Iterable[bytes]) -> Trie:
        """A partial trie with root ``root_hash`` made of whichever ``nodes`` it reaches.

        ``nodes`` are RLP-encoded trie nodes (e.g. a witness or proofs); unreachable ones
        are ignored, absent subtrees are kept as hash references. Raises ``BadProof`` if a
        reachable node is malformed or not canonically encoded.
        """
        if len(root_hash) != 32:
            raise ValueError("root hash must be 32 bytes")
        trie = cls()
        if root_hash != BLANK_ROOT:
            keccak = trie._keccak
            trie._root = load_hashed(root_hash, {keccak(encoded): encoded for encoded in nodes})
        return trie

    # ------------------------------------------------------------------ reading

    def get(self, key: bytes) -> bytes | None:
        """The value stored at ``key``, or ``None``."""
        seen = self._seen
        if seen is None:
            leaf = self._index.get(key)
            if leaf is not None:
                return leaf.value
        path = key_to_nibbles(key)
        end = len(path)
        node = self._root
        pos = 0
        while True:
            if seen is not None and id(node) not in seen:
                self._record(node)
            cls = node.__class__
            if cls is Branch:
                if pos == end:
                    return node.value or None  # type: ignore[union-attr]
                node = node.children[path[pos]]  # type: ignore[union-attr]
                pos += 1
            elif cls is Leaf:
                if node.path != path[pos:]:  # type: ignore[union-attr]
                    return None
                node.key = key  # type: ignore[union-attr]
                self._index[key] = node  # type: ignore[assignment]
                return node.value  # type: ignore[union-attr]
            elif cls is Extension:
                ext = node.path  # type: ignore[union-attr]
                stop = pos + len(ext)
                if path[pos:stop] != ext:
                    return None
                node = node.child  # type: ignore[union-attr]
                pos = stop
            elif node is EMPTY:
                return None
            else:
                raise MissingTrieNode(node.hash)  # type: ignore[union-attr]

    def root_hash(self) -> bytes:
        """The 32-byte root hash, re-hashing only the nodes changed since the last call."""
        root = self._root
        if root is EMPTY:
            return BLANK_ROOT
        ref = root.ref or commit(root, self._keccak)
        if len(ref) == 33:
            return ref[1:]
        return self._keccak(ref)  # a root shorter than 32 bytes is still hashed

    def get_proof(self, key: bytes) -> list[bytes]:
        """RLP nodes from the root along ``key``'s path: a proof of its value or absence.

        Same nodes as py-trie's ``HexaryTrie.get_proof`` (which returns them decoded),
        embedded nodes included. Raises ``MissingTrieNode`` on a partial trie if the path
        leaves the known nodes.
        """
        self.root_hash()
        path = key_to_nibbles(key)
        proof: list[bytes] = []
        node = self._root
        pos = 0
        while node is not EMPTY:
            cls = node.__class__
            if cls is HashRef:
                raise MissingTrieNode(node.hash)  # type: ignore[union-attr]
            proof.append(encode_node(node))
            if cls is Branch:
                if pos == len(path):
                    break
                node = node.children[path[pos]]  # type: ignore[union-attr]
                pos += 1
            elif cls is Extension:
                ext = node.path  # type: ignore[union-attr]
                if path[pos : pos + len(ext)] != ext:
                    break
                node = node.child  # type: ignore[union-attr]
                pos += len(ext)
            else:
                break
        return proof

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """All ``(key, value)`` pairs in key order (on a partial trie, ``MissingTrieNode``
        when the walk reaches an unknown subtree)."""
        stack: list[tuple[bytes, Node]] = [(b"", self._root)]
        while stack:
            prefix, node = stack.pop()
            cls = node.__class__
            if cls is Leaf:
                yield nibbles_to_key(prefix + node.path), node.value  # type: ignore[union-attr]
            elif cls is Extension:
                stack.append((prefix + node.path, node.child))  # type: ignore[union-attr]
            elif cls is Branch:
                for nibble in range(15, -1, -1):
                    child = node.children[nibble]  # type: ignore[union-attr]
                    if child is not EMPTY:
                        stack.append((prefix + bytes((nibble,)), child))
                if node.value:  # type: ignore[union-attr]
                    yield nibbles_to_key(prefix), node.value  # type: ignore[union-attr]
            elif cls is HashRef:
                raise MissingTrieNode(node.hash)  # type: ignore[union-attr]

    # ------------------------------------------------------------------ writing

    def set(self, key: bytes, value: bytes) -> None:
        """Store ``value`` (non-empty bytes) at ``key``."""
        if not value:
            raise EmptyValue("trie values must be non-empty; use delete()")
        seen = self._seen
        if seen is None:
            leaf = self._index.get(key)
            if leaf is not None:  # an existing key: no walk down
                leaf.value = value
                if leaf.ref is not None:  # dirty it and its clean ancestors
                    leaf.ref = None
                    node = leaf
                    parent = leaf.parent
                    while parent is not None:
                        if parent.__class__ is Branch:
                            parent.stale.append(node.slot)
                        if parent.ref is None:
                            break
                        parent.ref = None
                        node = parent
                        parent = node.parent
                return
        path = key_to_nibbles(key)
        end = len(path)
        node = self._root
        parent: Branch | Extension | None = None
        slot = -1  # index of ``node`` in ``parent.children``, or -1 under an extension
        pos = 0
        # Dirtying on the way down is safe even if a ``MissingTrieNode`` stops the walk:
        # a node marked dirty but unchanged just re-hashes to the same reference.
        while True:
            if seen is not None and id(node) not in seen:
                self._record(node)
            cls = node.__class__
            if cls is Branch:
                node.ref = None
                if pos == end:
                    node.value = value  # type: ignore[union-attr]
                    node.stale.append(16)  # type: ignore[union-attr]
                    return
                slot = path[pos]
                pos += 1
                node.stale.append(slot)  # type: ignore[union-attr]
                child = node.children[slot]  # type: ignore[union-attr]
                if child is EMPTY:
                    leaf = Leaf(path[pos:], value, key)
                    leaf.parent = node  # type: ignore[assignment]
                    leaf.slot = slot
                    node.children[slot] = leaf  # type: ignore[union-attr]
                    self._index[key] = leaf
                    return
                parent = node  # type: ignore[assignment]
                node = child
            elif cls is Leaf:
                rest = path[pos:]
                if node.path == rest:  # type: ignore[union-attr]
                    node.value = value  # type: ignore[union-attr]
                    node.ref = None
                    node.key = key  # type: ignore[union-attr]
                    self._index[key] = node  # type: ignore[assignment]
                    return
                replacement = self._split_leaf(node, rest, value, key)  # type: ignore[arg-type]
                break
            elif cls is Extension:
                ext = node.path  # type: ignore[union-attr]
                stop = pos + len(ext)
                if path[pos:stop] == ext:
                    node.ref = None
                    parent = node  # type: ignore[assignment]
                    slot = -1
                    node = node.child  # type: ignore[union-attr]
                    pos = stop
                    continue
                replacement = self._split_extension(node, path[pos:], value, key)  # type: ignore[arg-type]
                break
            elif node is EMPTY:  # only the root of an empty trie
                leaf = Leaf(path, value, key)
                self._index[key] = leaf
                self._root = leaf
                return
            else:
                raise MissingTrieNode(node.hash)  # type: ignore[union-attr]
        if parent is None:
            self._set_root(replacement)
        elif slot < 0:
            parent.child = replacement  # type: ignore[union-attr]
            replacement.parent = parent  # type: ignore[union-attr]
            replacement.slot = -1  # type: ignore[union-attr]
        else:
            attach(parent, slot, replacement)  # type: ignore[arg-type]

    def delete(self, key: bytes) -> None:
        """Remove ``key``; a no-op (nothing re-hashed) if it is absent."""
        result = self._delete(self._root, key_to_nibbles(key), 0)
        if result is not _UNCHANGED:
            self._set_root(result)  # type: ignore[arg-type]
            self._index.pop(key, None)  # only now: the delete can no longer fail

    # ------------------------------------------------------------------ witnesses

    def start_witness(self) -> None:
        """Start recording the nodes that operations read (see ``take_witness``).

        Commits pending changes first, so the recorded nodes are those of the trie whose
        root is ``root_hash()`` at this point: the witness's pre-state root.
        """
        self.root_hash()
        self._witness = set()
        self._seen = {}
        root = self._root
        if root.__class__ in (Leaf, Extension, Branch) and len(root.ref) < 32:  # type: ignore[arg-type]
            self._witness.add(root.ref)  # type: ignore[arg-type]  # a short root is hashed too

    def take_witness(self) -> set[bytes]:
        """Stop recording; return the pre-state RLP nodes read since ``start_witness``.

        ``Trie.from_nodes(pre_root, witness)`` can replay every ``get``/``set``/``delete``
        made in the window (in the same order) and reach the same root hashes.
        """
        if self._witness is None:
            raise RuntimeError("take_witness() without start_witness()")
        witness = self._witness
        self._witness = None
        self._seen = None
        return witness

    def _record(self, node: Node) -> None:
        """First touch of ``node`` in this window: keep its encoding if it is pre-state.

        A node still clean at its first touch is unchanged since ``start_witness`` (any
        change goes through, and first touches, the whole path). Nodes created in the
        window are dirty or, after an intermediate ``root_hash``, recorded harmlessly.
        Embedded nodes are inside their parent's encoding and need no entry.
        """
        self._seen[id(node)] = node  # type: ignore[index]  # keeps ids unique too
        ref = node.ref
        if ref is not None and len(ref) == 33 and node.__class__ is not HashRef:
            self._witness.add(encode_node(node))  # type: ignore[union-attr]

    # ------------------------------------------------------------------ internals

    def _set_root(self, node: Node) -> None:
        self._root = node
        if node is not EMPTY:
            node.parent = None  # type: ignore[union-attr]
            node.slot = -1  # type: ignore[union-attr]

    def _resolve(self, node: Node) -> Leaf | Extension | Branch | Node:
        """``node``, read for its content (recorded; ``MissingTrieNode`` if unknown)."""
        if self._seen is not None and id(node) not in self._seen:
            self._record(node)
        if node.__class__ is HashRef:
            raise MissingTrieNode(node.hash)  # type: ignore[union-attr]
        return node

    def _split_leaf(self, leaf: Leaf, rest: bytes, value: bytes, key: bytes) -> Node:
        """Insert ``rest -> value`` where ``leaf`` (whose path differs) sits."""
        old = leaf.path
        common = common_prefix_length(old, rest)
        branch = Branch()
        if common == len(old):  # the old key ends at the new branch
            branch.value = leaf.value
            if leaf.key is not None:
                del self._index[leaf.key]
        else:
            leaf.path = old[common + 1 :]
            leaf.path_item = None
            leaf.ref = None
            attach(branch, old[common], leaf)
        self._add(branch, rest[common:], value, key)
        return Extension(rest[:common], branch) if common else branch

    def _split_extension(self, ext: Extension, rest: bytes, value: bytes, key: bytes) -> Node:
        """Insert ``rest -> value`` where ``ext`` sits, ``rest`` leaving ``ext.path``."""
        old = ext.path
        common = common_prefix_length(old, rest)
        branch = Branch()
        if common + 1 == len(old):
            attach(branch, old[common], ext.child)
        else:
            ext.path = old[common + 1 :]
            ext.ref = None
            attach(branch, old[common], ext)
        self._add(branch, rest[common:], value, key)
        return Extension(rest[:common], branch) if common else branch

    def _add(self, branch: Branch, rest: bytes, value: bytes, key: bytes) -> None:
        """Add ``key`` (with ``rest`` left of its path) to a new ``branch``."""
        if not rest:
            branch.value = value
            return
        leaf = Leaf(rest[1:], value, key)
        attach(branch, rest[0], leaf)
        self._index[key] = leaf

    def _delete(self, node: Node, path: bytes, pos: int) -> Node | object:
        """Delete ``path[pos:]`` below ``node``: the node replacing it, or ``_UNCHANGED``.

        Nothing is mutated before everything the change needs is resolved, so a
        ``MissingTrieNode`` leaves the trie as it was.
        """
        node = self._resolve(node)
        cls = node.__class__
        if cls is Leaf:
            return EMPTY if node.path == path[pos:] else _UNCHANGED  # type: ignore[union-attr]
        if cls is Extension:
            ext = node.path  # type: ignore[union-attr]
            stop = pos + len(ext)
            if path[pos:stop] != ext:
                return _UNCHANGED
            new_child = self._delete(node.child, path, stop)  # type: ignore[union-attr]
            if new_child is _UNCHANGED:
                return _UNCHANGED
            if new_child.__class__ is Branch:  # the same branch, one entry fewer
                node.ref = None
                return node
            return _prepend(ext, new_child)  # type: ignore[arg-type]  # the branch collapsed
        if cls is Branch:
            children = node.children  # type: ignore[union-attr]
            if pos == len(path):
                if not node.value:  # type: ignore[union-attr]
                    return _UNCHANGED
                remaining = [i for i in range(16) if children[i] is not EMPTY]
                if len(remaining) == 1:
                    only = remaining[0]
                    return _prepend(bytes((only,)), self._resolve(children[only]))
                node.value = b""  # type: ignore[union-attr]
                node.stale.append(16)  # type: ignore[union-attr]
                node.ref = None
                return node
            nibble = path[pos]
            child = children[nibble]
            if child is EMPTY:
                return _UNCHANGED
            new_child = self._delete(child, path, pos + 1)
            if new_child is _UNCHANGED:
                return _UNCHANGED
            if new_child is EMPTY:
                remaining = [i for i in range(16) if i != nibble and children[i] is not EMPTY]
                if not remaining:  # only the branch's own value is left
                    return Leaf(b"", node.value)  # type: ignore[union-attr]
                if len(remaining) == 1 and not node.value:  # type: ignore[union-attr]
                    only = remaining[0]
                    return _prepend(bytes((only,)), self._resolve(children[only]))
            if new_child is child:
                node.stale.append(nibble)  # type: ignore[union-attr]
            else:
                attach(node, nibble, new_child)  # type: ignore[arg-type]
            node.ref = None
            return node
        return _UNCHANGED  # EMPTY: the trie is empty


def _prepend(path: bytes, node: Node) -> Node:
    """``node`` moved up under ``path``: what replaces a branch or extension above it.

    Leaves and extensions absorb ``path`` (in place, so a leaf stays in the index); a
    branch gets a new extension.
    """
    cls = node.__class__
    if cls is Leaf:
        node.path = path + node.path  # type: ignore[union-attr]
        node.path_item = None  # type: ignore[union-attr]
        node.ref = None
        return node
    if cls is Extension:
        node.path = path + node.path  # type: ignore[union-attr]
        node.ref = None
        return node
    return Extension(path, node)
