"""A read-only state backend at a retained older block: what a challenger re-executes on.

``BlockStore.state_backend_at(number)`` returns a ``HistoricalBackend``: the STF's
``StateBackend`` at the state after block ``number``, for any block from the store's
finalized-through block to the head (``node.store.retention``).

- ``get(key)`` walks a ``LoadingTrie`` attached to the block's state root, loading nodes
  from the store (each checked against the hash that references it), so every value is
  proven against that root; nothing is read from the head's flat state.
- ``keys_with_prefix(prefix)`` is the store's key history (``BlockStore.keys_at``: the
  head's flat key index corrected by the creations and deletions logged after the block),
  plus the changes applied here. The trie cannot serve it: its paths are keccak-256 of the
  keys, so keys sharing a prefix are scattered over the whole trie.
- ``apply(changes)`` updates the in-memory trie and returns the new root; nothing ever
  reaches LMDB (new nodes are dropped, the store is never written).

The store may prune while a backend is in use (finality advanced past its block): a read
then raises ``StatePruned``, never a wrong value. Reads open their own LMDB read
transactions, so the backend may be used from any thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from node.stf.backends import StateBackend
from node.stf.hashing import keccak256
from node.stf.mpt.errors import MissingTrieNode
from node.stf.mpt.lazy import LoadingTrie
from node.store.lmdb_store import StoreCorrupted

if TYPE_CHECKING:
    from node.store.lmdb_store import BlockStore



def overlay_keys(present: set[bytes], changes: Mapping[bytes, bytes | None], prefix: bytes) -> None:
    """Update ``present`` (keys with ``prefix``) by uncommitted ``changes`` (``None`` deletes)."""
    for key, value in changes.items():
        if key.startswith(prefix):
            if value is None:
                present.discard(key)
            else:
                present.add(key)

class HistoricalBackend(StateBackend):
    """The state after block ``number`` (root ``state_root``), read-only (see module docstring)."""

    def __init__(self, store: BlockStore, number: int, state_root: bytes) -> None:
        self.store = store
        self.number = number
        self.state_root = state_root
        self.trie = LoadingTrie.attach(state_root, store.trie_node)
        self.changes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        try:
            return self.trie.get(keccak256(key))
        except MissingTrieNode as exc:
            raise self._missing(exc) from exc

    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        present = set(self.store.keys_at(prefix, self.number))
        overlay_keys(present, self.changes, prefix)
        return sorted(present)

    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        trie = self.trie
        try:
            for key in sorted(changes):
                value = changes[key]
                if value is None:
                    if self.get(key) is None:
                        continue  # deleting an absent key: nothing changes
                    trie.delete(keccak256(key))
                else:
                    trie.set(keccak256(key), value)
                self.changes[key] = value
        except MissingTrieNode as exc:
            raise self._missing(exc) from exc
        return self.root()

    def root(self) -> bytes:
        root = self.trie.root_hash()
        self.trie.take_new_nodes()  # never stored
        return root

    def _missing(self, exc: MissingTrieNode) -> Exception:
        """``StatePruned`` if finality moved past this block meanwhile, else ``StoreCorrupted``."""
        self.store.check_retained(self.number)
        return StoreCorrupted(f"state at block {self.number}: trie node 0x{exc.node_hash.hex()} is missing")
