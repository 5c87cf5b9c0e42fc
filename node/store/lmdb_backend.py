"""The node's state backend: the STF's key-value interface over the LMDB block store.

``LmdbBackend(store)`` implements ``node.stf.backends.StateBackend``, so ``State`` and
``apply_block`` run on it unchanged and give the same roots as on ``MemoryBackend``.

**Flow of a block** (the sequencer, or anything that extends the chain)::

    result = apply_block(state, BlockEnv(n, t), txs)     # State.commit_block -> backend.apply(changes)
    backend.commit_block(n, t, raw_txs, result.receipts)  # ONE LMDB write transaction
    # only now: soft confirmations

- ``apply(changes)`` updates the in-memory state trie and returns the new root, but writes
  nothing to LMDB: it *stages* the block's state changes, the trie nodes it created and the
  committed nodes it made unreachable. ``get`` / ``keys_with_prefix`` see staged changes
  (so the next block could even be executed before this one is stored).
- ``commit_block(number, timestamp, raw_txs, receipts)`` takes the oldest staged changes,
  builds the header (parent hash from the head, the receipts and transactions hashes) and
  hands everything — block, receipts, transaction index, state changes, trie nodes and the
  head pointer — to ``BlockStore.commit_block``, one write transaction. A crash before it
  returns leaves the store at the previous block, and the node resumes from there.
- Genesis is block 0: ``initialise(state, genesis)`` stages the genesis state, then
  ``commit_block(0, genesis_time, [], [])``.

If ``commit_block`` raises, the in-memory trie is ahead of the store: discard the backend
and reopen the store (it is still at the previous block).

**The trie on disk and at restart.** Every hashed node of every retained state trie is
stored by its hash (``trie_nodes``), the nodes a block creates written in its transaction.
With ``prune=True`` (default) the nodes a block made unreachable (``node.stf.mpt.lazy``
explains how they are found) are recorded in the same transaction and deleted once the
block is final (``BlockStore.finalized_through``; ``node.store.retention``), so the store
holds exactly the tries of the states from the finalized-through block to the head, each
readable through ``BlockStore.state_backend_at``. ``prune=False`` records nothing and keeps
every node ever written (an archive: the store grows by the nodes of each block's paths).

Opening attaches a ``LoadingTrie`` to the head's state root: nothing is rebuilt. Nodes are
loaded from LMDB when a block first touches their path, each checked against the hash that
references it, so the trie in memory is always proven against the head's root. The check
at open (``verify="root"``, default, milliseconds whatever the store's size):

- the head pointer, the last block and its header agree (number, hash, state root), and
  no block beyond the head exists;
- the root node is in the store and hashes to the head's state root;
- the ``Globals`` and ``Config`` records of the flat state equal what the trie proves for
  them, and ``Globals.last_block_number`` is the head's number.

``verify="full"`` also rebuilds a trie from the whole flat state and compares its root
with the head's (seconds per hundred thousand keys: a tool's check, not the default).
Any mismatch raises ``StoreCorrupted``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from node.stf import keys
from node.stf.backends import StateBackend
from node.stf.hashing import keccak256
from node.stf.mpt.errors import TrieError
from node.stf.mpt.lazy import LoadingTrie
from node.stf.mpt.trie import BLANK_ROOT, Trie
from node.stf.receipts import Receipt, receipts_hash_of_encodings
from node.stf.records import decode_record
from node.store.codec import ZERO_HASH, BlockHeader, Head, txs_hash
from node.store.history import overlay_keys
from node.store.lmdb_store import BlockStore, StoreCorrupted, StoreError


@dataclass(slots=True)
class StagedBlock:
    """What ``apply`` produced and the next ``commit_block`` writes."""

    changes: dict[bytes, bytes | None]
    new_nodes: list[tuple[bytes, bytes]]
    dead_nodes: list[bytes]
    root: bytes


class LmdbBackend(StateBackend):
    """Committed state in LMDB, with a lazily loaded state trie (see module docstring)."""

    def __init__(self, store: BlockStore, *, prune: bool = True, verify: str = "root") -> None:
        if verify not in ("root", "full", "none"):
            raise ValueError("verify: 'root', 'full' or 'none'")
        self.store = store
        self.prune = prune
        self.staged: deque[StagedBlock] = deque()
        head = store.head()
        root = BLANK_ROOT if head is None else head.state_root
        self.trie = LoadingTrie.attach(root, store.cached_trie_node)
        if head is not None and verify != "none":
            try:
                self._verify(head, full=verify == "full")
            except (ValueError, TrieError) as exc:  # undecodable records or nodes
                raise StoreCorrupted(f"store damaged: {exc}") from exc

    # ------------------------------------------------------------------ StateBackend

    def get(self, key: bytes) -> bytes | None:
        for staged in reversed(self.staged):
            changes = staged.changes
            if key in changes:
                return changes[key]
        return self.store.cached_get(key)

    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        found = self.store.cached_keys_with_prefix(prefix)
        if not self.staged:
            return found
        present = set(found)
        for staged in self.staged:
            overlay_keys(present, staged.changes, prefix)
        return sorted(present)

    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        trie, prune = self.trie, self.prune
        replaced: list[bytes] = []
        effective: dict[bytes, bytes | None] = {}
        for key in sorted(changes):
            value = changes[key]
            path = keccak256(key)
            if value is None:
                if self.get(key) is None:
                    continue  # deleting an absent key: nothing changes
                if prune:
                    replaced.extend(trie.prepare(path, True))
                trie.delete(path)
            else:
                if prune:
                    replaced.extend(trie.prepare(path, False))
                trie.set(path, value)
            effective[key] = value
        root = trie.root_hash()
        new_nodes = trie.take_new_nodes()
        dead: list[bytes] = []
        if replaced:
            written = {node_hash for node_hash, _ in new_nodes}
            dead = [h for h in set(replaced) if h not in written]
        self.staged.append(StagedBlock(effective, new_nodes, dead, root))
        return root

    def root(self) -> bytes:
        return self.trie.root_hash()

    # ------------------------------------------------------------------ blocks

    def commit_block(self, number: int, timestamp: int, raw_txs: Sequence[bytes],
                     receipts: Sequence[Receipt], *, deposits_through: int = 0, forced_through: int = 0,
                     l1_tx_count: int = 0, accounts: Sequence[Sequence[bytes]] = ()) -> BlockHeader:
        """Store block ``number`` with the oldest staged state changes, in one write
        transaction (see module docstring); returns its header once committed. ``accounts``:
        per transaction, the addresses it concerns (the store's ``account_log``)."""
        if not self.staged:
            raise StoreError(f"block {number}: no staged state changes (run the block first)")
        staged = self.staged[0]
        head = self.store.head()
        encodings = [r.encode() for r in receipts]
        header = BlockHeader(
            number, timestamp, ZERO_HASH if head is None else head.block_hash, staged.root,
            receipts_hash_of_encodings(encodings), txs_hash(raw_txs), deposits_through, forced_through, l1_tx_count,
        )
        self.store.commit_block(
            header, raw_txs, receipts, staged.changes, staged.new_nodes, staged.root,
            dead_nodes=staged.dead_nodes, receipt_encodings=encodings, accounts=accounts,
        )
        self.staged.popleft()
        return header

    def head(self) -> Head | None:
        return self.store.head()

    # ------------------------------------------------------------------ verification

    def _verify(self, head: Head, full: bool) -> None:
        store = self.store
        block = store.block(head.number)
        if block is None:
            raise StoreCorrupted(f"head block {head.number} is missing")
        if block.hash != head.block_hash or block.header.state_root != head.state_root:
            raise StoreCorrupted(f"head block {head.number} does not match the head pointer")
        last = store.last_block_number()
        if last != head.number:
            raise StoreCorrupted(f"block {last} stored beyond the head {head.number}")
        try:
            self.trie.load_root()
            if self.trie.root_hash() != head.state_root:
                raise StoreCorrupted("state trie root differs from the head's state root")
            for key in (keys.GLOBALS, keys.CONFIG):
                flat = store.cached_get(key)
                if self.trie.get(keccak256(key)) != flat:
                    raise StoreCorrupted(f"flat state of key 0x{key.hex()} differs from the trie")
        except TrieError as exc:
            raise StoreCorrupted(f"state trie at the head's root is damaged: {exc}") from exc
        raw_globals = store.cached_get(keys.GLOBALS)
        if raw_globals is None:
            raise StoreCorrupted("the state has no Globals record")
        globals_ = decode_record(keys.GLOBALS, raw_globals)
        if globals_.last_block_number != head.number:
            raise StoreCorrupted(
                f"state is at block {globals_.last_block_number}, the head is block {head.number}"
            )
        if full:
            rebuilt = Trie()
            for key, value in store.iter_state():
                rebuilt.set(keccak256(key), value)
            if rebuilt.root_hash() != head.state_root:
                raise StoreCorrupted("the flat state does not hash to the head's state root")
