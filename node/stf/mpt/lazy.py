"""A trie that loads its nodes on demand from a node source: the state trie of a node store.

``LoadingTrie.attach(root_hash, load)`` starts from nothing but a root hash (a ``HashRef``).
``load(node_hash) -> bytes | None`` returns a node's RLP encoding; whoever attaches the
trie injects it (the node's LMDB store does): this module does no I/O.

**Loading.** When ``get``, ``set``, ``delete`` or ``get_proof`` reaches a subtree known only
by its hash (``MissingTrieNode`` from the base ``Trie``), the nodes along the key's path are
loaded, each checked — keccak-256 of the encoding must be the hash it was referenced by,
and the encoding canonical (``decode.load_hashed``) — and grafted in place of its
reference; then the operation is retried. A failed operation leaves the trie's contents
unchanged (a ``Trie`` guarantee), so the retry sees the trie as it was. Results are
therefore exactly those of a full ``Trie`` holding the same keys, and every node held was
proven against the root the trie was attached at. A node the source lacks, or that does
not hash to its reference, raises ``MissingTrieNode`` / ``BadProof``.

**Persisting.** ``root_hash()`` also collects the ``(hash, encoding)`` of every node it
re-hashed (those referenced by hash, plus a root shorter than 32 bytes, stored under its
hash); ``take_new_nodes()`` hands them over. So no node can be hashed without being
offered to the store.

**Pruning.** ``prepare(key, deleting)``, called just before ``set(key)`` / ``delete(key)``
(``deleting`` only for a key that exists), loads what the change will need (the path, and
the sibling a delete moves up when it collapses a branch) and returns the hashes of the
*committed* nodes the change replaces: every node on the path that is still clean (a
change dirties or detaches all of them), and that sibling when it is a leaf or an
extension (which absorb the branch's nibble). After ``root_hash()``, those hashes minus
the ones just written are exactly the committed nodes no longer referenced by the new root
(a property test checks the store then holds precisely the nodes reachable from the root).
Nodes already dirty were either recorded by an earlier ``prepare`` in the same batch or
created in it (never committed). This assumes no two positions of the trie hold
byte-identical hashed nodes; with keys hashed by keccak-256 (the state trie) that would
take two keys sharing the last 50-odd nibbles of their hashes.
"""

from __future__ import annotations

from typing import Callable

from node.stf.mpt.decode import load_hashed
from node.stf.mpt.errors import BadProof, MissingTrieNode
from node.stf.mpt.nibbles import key_to_nibbles
from node.stf.mpt.nodes import EMPTY, Branch, Extension, HashRef, Leaf, Node, encode_bytes, encode_list, encode_node
from node.stf.mpt.trie import BLANK_ROOT, Trie

NodeLoader = Callable[[bytes], "bytes | None"]


class LoadingTrie(Trie):
    """A ``Trie`` whose unknown subtrees are loaded through ``load`` (see module docstring)."""

    __slots__ = ("_load", "_new_nodes", "loaded")

    def __init__(self, load: NodeLoader | None = None) -> None:
        super().__init__()
        self._load = load
        self._new_nodes: list[tuple[bytes, bytes]] = []
        self.loaded = 0  # nodes loaded so far (a statistic)

    @classmethod
    def attach(cls, root_hash: bytes, load: NodeLoader) -> LoadingTrie:
        """A trie with root ``root_hash`` whose nodes all come from ``load`` when needed."""
        if len(root_hash) != 32:
            raise ValueError("root hash must be 32 bytes")
        trie = cls(load)
        if root_hash != BLANK_ROOT:
            trie._root = HashRef(root_hash)
        return trie

    # ------------------------------------------------------------------ operations

    def get(self, key: bytes) -> bytes | None:
        while True:
            try:
                return Trie.get(self, key)
            except MissingTrieNode as exc:
                self._load_after_miss(key, exc)

    def set(self, key: bytes, value: bytes) -> None:
        while True:
            try:
                return Trie.set(self, key, value)
            except MissingTrieNode as exc:
                self._load_after_miss(key, exc)

    def delete(self, key: bytes) -> None:
        while True:
            try:
                return Trie.delete(self, key)
            except MissingTrieNode as exc:
                self._load_after_miss(key, exc)

    def get_proof(self, key: bytes) -> list[bytes]:
        while True:
            try:
                return Trie.get_proof(self, key)
            except MissingTrieNode as exc:
                self._load_after_miss(key, exc)

    def load_root(self) -> None:
        """Load the root node (checks that the source holds the root the trie was attached at)."""
        root = self._root
        if root.__class__ is HashRef:
            self._graft(root)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ persisting

    def root_hash(self) -> bytes:
        """The root hash; nodes re-hashed by this call are kept for ``take_new_nodes``."""
        root = self._root
        if root.ref is not None:
            return Trie.root_hash(self)
        dirty: list[Node] = []
        stack: list[Node] = [root]
        while stack:  # the dirty nodes: the dirty root and, below it, dirty children
            node = stack.pop()
            dirty.append(node)
            cls = node.__class__
            if cls is Branch:
                children = node.children  # type: ignore[union-attr]
                slots = range(16) if node.parts is None else set(node.stale)  # type: ignore[union-attr]
                for slot in slots:
                    if slot < 16:
                        child = children[slot]
                        if child.ref is None:
                            stack.append(child)
            elif cls is Extension:
                child = node.child  # type: ignore[union-attr]
                if child.ref is None:
                    stack.append(child)
        root_hash = Trie.root_hash(self)
        out = self._new_nodes
        for node in dirty:
            ref = node.ref
            if len(ref) == 33:  # type: ignore[arg-type]
                out.append((ref[1:], _encoding(node)))  # type: ignore[index]
        if len(root.ref) < 33:  # type: ignore[arg-type]  # a short root is stored under its hash
            out.append((root_hash, root.ref))  # type: ignore[arg-type]
        return root_hash

    def take_new_nodes(self) -> list[tuple[bytes, bytes]]:
        """``(hash, RLP encoding)`` of the nodes hashed since the last call (call ``root_hash`` first)."""
        nodes, self._new_nodes = self._new_nodes, []
        return nodes

    def prepare(self, key: bytes, deleting: bool) -> list[bytes]:
        """Load what ``set(key)`` (or, with ``deleting``, ``delete(key)`` of an existing key)
        needs; return the hashes of the committed nodes that change will replace."""
        leaf = self._index.get(key)
        if leaf is not None and not deleting:  # a known leaf: its ancestors are all loaded
            replaced = []
            node: Node | None = leaf
            while node is not None:
                ref = node.ref
                if ref is None:
                    break  # dirty, and so is every ancestor (recorded when first dirtied)
                self._note_replaced(node, ref, replaced)
                node = node.parent  # type: ignore[union-attr]
            return replaced
        path = key_to_nibbles(key)
        end = len(path)
        replaced = []
        node = self._root
        pos = 0
        last_branch: Branch | None = None
        while True:
            cls = node.__class__
            if cls is HashRef:
                node = self._graft(node)  # type: ignore[arg-type]
                continue
            ref = node.ref
            if ref is not None:
                self._note_replaced(node, ref, replaced)
            if cls is Branch:
                if pos == end:
                    found = bool(node.value)  # type: ignore[union-attr]
                    break
                last_branch = node  # type: ignore[assignment]
                node = node.children[path[pos]]  # type: ignore[union-attr]
                pos += 1
            elif cls is Extension:
                ext = node.path  # type: ignore[union-attr]
                stop = pos + len(ext)
                if path[pos:stop] != ext:
                    found = False
                    break
                node = node.child  # type: ignore[union-attr]
                pos = stop
            else:
                found = cls is Leaf and node.path == path[pos:]  # type: ignore[union-attr]
                break
        if not deleting:
            return replaced
        if not found:
            return []  # deleting an absent key changes nothing
        # A delete collapses a branch left with a single entry; the entry moves up.
        if node.__class__ is Branch:  # the key's value sits in this branch (keys of mixed lengths)
            branch: Branch | None = node  # type: ignore[assignment]
            others = [i for i in range(16) if node.children[i] is not EMPTY]  # type: ignore[union-attr]
        else:
            branch = last_branch if node.parent is last_branch else None  # type: ignore[union-attr]
            others = [] if branch is None else [
                i for i in range(16) if i != path[pos - 1] and branch.children[i] is not EMPTY
            ]
            if branch is not None and branch.value:
                others.append(16)
        if branch is not None and len(others) == 1 and others[0] < 16:
            sibling = branch.children[others[0]]
            if sibling.__class__ is HashRef:
                sibling = self._graft(sibling)  # type: ignore[arg-type]
            if sibling.__class__ is not Branch and sibling.ref is not None:
                self._note_replaced(sibling, sibling.ref, replaced)
        return replaced

    # ------------------------------------------------------------------ internals

    def _note_replaced(self, node: Node, ref: bytes, out: list[bytes]) -> None:
        if len(ref) == 33:
            out.append(ref[1:])
        elif node is self._root and node is not EMPTY:  # a short root, stored under its hash
            out.append(self._keccak(ref))

    def _load_after_miss(self, key: bytes, exc: MissingTrieNode) -> None:
        """Load the hash references on ``key``'s path, and the one ``exc`` names if it is a
        child of a branch on the path (the sibling a delete needs); re-raise if neither."""
        missing = exc.node_hash
        path = key_to_nibbles(key)
        end = len(path)
        node = self._root
        pos = 0
        loaded = False
        while True:
            cls = node.__class__
            if cls is HashRef:
                node = self._graft(node)  # type: ignore[arg-type]
                loaded = True
                continue
            if cls is Branch:
                for child in node.children:  # type: ignore[union-attr]
                    if child.__class__ is HashRef and child.hash == missing:  # type: ignore[union-attr]
                        self._graft(child)  # type: ignore[arg-type]
                        loaded = True
                        break
                if pos == end:
                    break
                node = node.children[path[pos]]  # type: ignore[union-attr]
                pos += 1
            elif cls is Extension:
                ext = node.path  # type: ignore[union-attr]
                stop = pos + len(ext)
                if path[pos:stop] != ext:
                    break
                node = node.child  # type: ignore[union-attr]
                pos = stop
            else:
                break
        if not loaded:
            raise exc

    def _graft(self, ref: HashRef) -> Leaf | Extension | Branch:
        """Load the node ``ref`` stands for, check it, and put it where ``ref`` was."""
        node_hash = ref.hash
        if self._load is None:
            raise MissingTrieNode(node_hash)
        encoded = self._load(node_hash)
        if encoded is None:
            raise MissingTrieNode(node_hash)
        if self._keccak(encoded) != node_hash:
            raise BadProof(f"node source returned bytes that do not hash to 0x{node_hash.hex()}")
        node = load_hashed(node_hash, {node_hash: encoded})
        parent = ref.parent
        if parent is not None and len(node.ref) < 32:  # type: ignore[arg-type]
            raise BadProof("node shorter than 32 bytes referenced by hash")
        if parent is None:
            self._root = node
            node.parent = None  # type: ignore[union-attr]
            node.slot = -1  # type: ignore[union-attr]
        elif parent.__class__ is Branch:
            parent.children[ref.slot] = node  # type: ignore[union-attr]
            node.parent = parent  # type: ignore[union-attr]
            node.slot = ref.slot  # type: ignore[union-attr]
        else:
            if node.__class__ is not Branch:
                raise BadProof("extension child is not a branch")
            parent.child = node  # type: ignore[union-attr]
            node.parent = parent  # type: ignore[union-attr]
            node.slot = -1  # type: ignore[union-attr]
        self.loaded += 1
        return node  # type: ignore[return-value]


def _encoding(node: Node) -> bytes:
    """The RLP encoding of a node just committed (its caches are current)."""
    cls = node.__class__
    if cls is Branch and node.parts is not None:  # type: ignore[union-attr]
        return encode_list(b"".join(node.parts))  # type: ignore[union-attr]
    if cls is Leaf and node.path_item is not None:  # type: ignore[union-attr]
        return encode_list(node.path_item + encode_bytes(node.value))  # type: ignore[union-attr]
    return encode_node(node)
