"""The node's persistent store: LMDB blocks, receipts, flat state and state-trie nodes.

- ``lmdb_store.BlockStore``: one LMDB environment, one write transaction per block.
- ``lmdb_backend.LmdbBackend``: the STF's ``StateBackend`` over it (lazily loaded trie).
- ``retention``: deferred pruning, so every state not yet final on L1 stays readable;
  ``history.HistoricalBackend``: a read-only backend at one of them (``state_backend_at``).
- ``codec``: the canonical encodings of headers, blocks, receipts and the head pointer.

Unlike ``node.stf`` this package does I/O.
"""

from node.store.codec import BlockHeader, Head, StoredBlock
from node.store.lmdb_backend import LmdbBackend
from node.store.lmdb_store import (
    BlockRejected,
    BlockStore,
    Durability,
    StatePruned,
    StoreCorrupted,
    StoreError,
    StoreLocked,
)

__all__ = [
    "BlockHeader",
    "BlockRejected",
    "BlockStore",
    "Durability",
    "Head",
    "StatePruned",
    "LmdbBackend",
    "StoreCorrupted",
    "StoreError",
    "StoreLocked",
    "StoredBlock",
]
