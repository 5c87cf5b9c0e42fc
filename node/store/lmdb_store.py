"""The node's block store: one LMDB environment, one write transaction per block.

Layout: a directory holding one LMDB environment with named sub-databases (keys are bytes,
LMDB orders them bytewise, as Python does):

| sub-database | key | value |
|---|---|---|
| ``meta``       | ``b"head"``, ``b"version"``, ``b"genesis"`` | ``codec.Head``: ``rlp([number, block_hash, state_root])``; ``b"1"``; ``codec.encode_genesis`` |
| ``meta``       | ``b"batch/"`` ‖ index (8 bytes, big-endian) | a follower's record of a derived L1 batch (``node.derivation.progress``) |
| ``blocks``     | number (8 bytes, big-endian) | ``codec.encode_block``: ``rlp([header_fields, [raw_tx, ...]])`` |
| ``receipts``   | number (8) ‖ index (4) | ``rlp([receipt.encode(), detail_utf8])`` |
| ``tx_index``   | tx hash (32) | number (8) ‖ index (4) of the transaction's *first* inclusion |
| ``state``      | state key | canonical record bytes (the flat state at the head) |
| ``trie_nodes`` | keccak-256 of a node | the node's RLP (every hashed node of every retained state) |
| ``meta``       | ``b"final"`` | the finalized-through block (8 bytes, big-endian): older states are pruned |
| ``pending``, ``revived``, ``key_log`` | see ``node.store.retention`` | what finality will prune; key history |
| ``account_log`` | address (20) ‖ position (8, big-endian) | empty: the transaction at ``position`` (block x 2^32 + index x 2^8) concerns the account (``node.sequencer.touched``); written with the block |

**Retained states.** Every state from the finalized-through block ``F`` to the head can be
read (``state_backend_at``): a block's dead trie nodes are recorded, not deleted, and
``finalized_through(F)`` prunes those of blocks ``<= F`` (``node.store.retention``).

**Atomicity.** ``commit_block`` writes the block, its receipts, its transactions' index
entries, the state changes, the new trie nodes, the list of nodes it made dead and the
head pointer in ONE LMDB write transaction: LMDB's copy-on-write B-trees and its double meta
page make a transaction visible all at once or not at all, so a process crash (even
SIGKILL in the middle of a commit) leaves the store at the previous block, never between
two. The head pointer, the last block and the state root are therefore always consistent.

**Genesis.** A chain's ``Genesis`` is stored with block 0: ``set_genesis`` on a store
without blocks keeps it, and ``commit_block`` writes it in block 0's write transaction (a
store has both or neither), so a store can always be replayed from its own genesis
(``node.store.replay``). ``genesis()`` reads it (``None`` for a store made before it was
stored).

**Durability** (``durability=``), i.e. what a *system* crash or power loss may cost. A
process crash never loses a committed block in any mode: the data is in the OS page cache.

- ``"full"`` (default; LMDB's default flags): ``commit_block`` returns after LMDB has
  fsync'd the data pages and then the meta page. A returned commit survives power loss (if
  the disk honours fsync). The sequencer sends a soft confirmation only after
  ``commit_block`` returns, so a confirmed transaction is never lost.
- ``"nometasync"`` (``MDB_NOMETASYNC``, opt-in): data pages are fsync'd, the meta page
  write is not (it is flushed by the next commit's fsync, by ``sync()`` or by the OS).
  LMDB guarantees integrity (ACI): a system crash may undo the *last* committed block,
  never corrupt the store. One fsync per block instead of two.
- ``"nosync"`` (``MDB_NOSYNC``, opt-in, fastest): no fsync at commit; the OS writes pages
  back when it likes (call ``sync()`` periodically to bound the loss). A system crash may
  undo every block committed since the last flush, and LMDB keeps integrity only if the
  filesystem writes pages back in the order they were written (LMDB's documented caveat;
  we never set ``MDB_WRITEMAP``). Page-cache writeback on common Linux filesystems does
  not promise that order, so after a *system* crash in this mode treat the store as
  suspect: the check at open catches a head whose trie or last block is damaged
  (``StoreCorrupted``), not every damaged page; restore from a copy or re-derive from L1.
  For a store that must survive power loss without ever corrupting, use ``"nometasync"``.

With either opt-in, a soft confirmation may precede durability: after a power loss the
sequencer restarts from an earlier block and may order the lost transactions differently.

**Growth.** The map (the largest the file may grow) starts at ``map_size`` (64 GiB of
address space by default: the file only grows as it is used) and doubles when full.

**One writer.** ``BlockStore`` takes an exclusive ``flock`` on ``writer.lock`` in the
directory (released by the OS when the process dies); a second writer gets
``StoreLocked``. ``readonly=True`` opens without it, for tools.

**Threads.** The public read methods (``head``, ``block``, ``receipt`` ...) may be called
from any thread, and so may ``state_backend_at`` and the backend it returns.
``commit_block``, ``finalized_through``, ``prune`` and the ``cached_*`` reads (one
long-lived read transaction, renewed after each commit: what the state backend uses)
belong to the thread that commits.
"""

from __future__ import annotations

import fcntl
import os
import threading
from enum import Enum
from pathlib import Path
from typing import Final, Iterable, Iterator, Mapping, Sequence

import lmdb

from node.stf.genesis import Genesis
from node.stf.hashing import keccak256
from node.stf.receipts import Receipt, receipts_hash_of_encodings
from node.store import retention
from node.store.codec import (
    ZERO_HASH,
    BlockHeader,
    Head,
    StoredBlock,
    decode_block,
    decode_genesis,
    encode_genesis,
    decode_stored_receipt,
    encode_block,
    encode_stored_receipt,
    txs_hash,
)

DEFAULT_MAP_SIZE: Final = 64 << 30
FORMAT_VERSION: Final = b"2"  # 2: block headers carry the L1 queue positions
_DBS: Final = (b"meta", b"blocks", b"receipts", b"tx_index", b"state", b"trie_nodes",
               b"pending", b"revived", b"key_log")
_OPTIONAL_DBS: Final = (b"account_log",)  # added later: a store made before has none until opened for writing
_HEAD: Final = b"head"
_GENESIS: Final = b"genesis"
_BATCH: Final = b"batch/"
_FINAL: Final = b"final"


class StoreError(Exception):
    """Base class of the store's errors."""


class StoreCorrupted(StoreError):
    """The store's contents contradict each other (e.g. the trie does not hash to the head's root)."""


class StoreLocked(StoreError):
    """Another process has the store open for writing."""


class StatePruned(StoreError):
    """The state at a block older than the finalized-through block: its trie nodes are pruned."""


class BlockRejected(StoreError, ValueError):
    """``commit_block`` was given a block that does not follow the head or is inconsistent."""


class Durability(str, Enum):
    FULL = "full"
    NO_METASYNC = "nometasync"
    NO_SYNC = "nosync"


def _number_key(number: int) -> bytes:
    return number.to_bytes(8, "big")


def _location(number: int, index: int) -> bytes:
    return number.to_bytes(8, "big") + index.to_bytes(4, "big")


class BlockStore:
    """Blocks, receipts, a transaction index, the flat state and the state trie's nodes."""

    def __init__(self, path: str | os.PathLike, *, durability: Durability | str = Durability.FULL,
                 map_size: int = DEFAULT_MAP_SIZE, readonly: bool = False) -> None:
        self.path = Path(path)
        self.durability = Durability(durability)
        self.readonly = readonly
        self._lock_file = None
        if not readonly:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.path / "writer.lock", "a+b")
            try:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_file.close()
                raise StoreLocked(f"{self.path} is open for writing by another process") from None
        try:
            self._open(map_size)
        except BaseException:
            if getattr(self, "env", None) is not None:
                self.env.close()
            if self._lock_file is not None:
                self._lock_file.close()
            raise

    def _open(self, map_size: int) -> None:
        readonly = self.readonly
        self.env = None
        self.env = lmdb.open(
            str(self.path), map_size=map_size, subdir=True, max_dbs=len(_DBS) + len(_OPTIONAL_DBS), readonly=readonly,
            sync=self.durability is not Durability.NO_SYNC,
            metasync=self.durability is Durability.FULL,
            readahead=False,  # random access over a database that may outgrow RAM
            lock=True,
        )
        self.env.reader_check()  # free reader slots left by dead processes
        self._mutex = threading.RLock()  # readers vs. a map resize
        self._reader: lmdb.Transaction | None = None
        dbs = {}
        if readonly:
            try:
                for name in _DBS:
                    dbs[name] = self.env.open_db(name, create=False)
            except lmdb.NotFoundError:
                raise StoreError(f"{self.path}: made by an older version; open it once for writing") from None
            for name in _OPTIONAL_DBS:
                try:
                    dbs[name] = self.env.open_db(name, create=False)
                except lmdb.NotFoundError:
                    dbs[name] = None
        else:
            with self.env.begin(write=True) as txn:
                for name in _DBS + _OPTIONAL_DBS:
                    dbs[name] = self.env.open_db(name, txn=txn, create=True)
                meta = dbs[b"meta"]
                version = txn.get(b"version", db=meta)
                if version is None:
                    txn.put(b"version", FORMAT_VERSION, db=meta)
                elif version != FORMAT_VERSION:
                    raise StoreError(f"store format {version!r}, this node reads {FORMAT_VERSION!r}")
                if txn.get(_FINAL, db=meta) is None:  # a new store: 0; one that pruned at once: its head
                    head = txn.get(_HEAD, db=meta)
                    txn.put(_FINAL, _number_key(0 if version is None or head is None else Head.decode(head).number),
                            db=meta)
        self._meta, self._blocks, self._receipts = dbs[b"meta"], dbs[b"blocks"], dbs[b"receipts"]
        self._tx_index, self._state, self._trie = dbs[b"tx_index"], dbs[b"state"], dbs[b"trie_nodes"]
        self._account_log = dbs[b"account_log"]
        self._retention = retention.Tables(dbs[b"trie_nodes"], dbs[b"pending"], dbs[b"revived"], dbs[b"key_log"])
        with self.env.begin() as txn:
            raw = txn.get(_HEAD, db=self._meta)
        self._head = None if raw is None else Head.decode(raw)
        self._pending_genesis: bytes | None = None

    # ------------------------------------------------------------------ life cycle

    def close(self) -> None:
        with self._mutex:
            self._drop_reader()
            self.env.close()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None

    def __enter__(self) -> BlockStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sync(self) -> None:
        """Flush everything committed so far to disk (bounds the loss in the opt-in modes)."""
        self.env.sync(True)

    # ------------------------------------------------------------------ reads (any thread)

    def head(self) -> Head | None:
        """The last committed block, or ``None`` for an empty store."""
        if self.readonly:  # another process may be committing
            raw = self._read(self._meta, _HEAD)
            return None if raw is None else Head.decode(raw)
        return self._head

    def genesis(self) -> Genesis | None:
        """The chain's genesis, stored with block 0 (``None``: not stored, or no block yet)."""
        raw = self._read(self._meta, _GENESIS)
        return None if raw is None else decode_genesis(raw)

    def set_genesis(self, genesis: Genesis) -> None:
        """Declare the chain's genesis. On a store without blocks it is written with block 0;
        on a store with blocks it must equal the stored one (``StoreError`` otherwise)."""
        encoded = encode_genesis(genesis)
        if self.head() is None:
            self._pending_genesis = encoded
            return
        stored = self._read(self._meta, _GENESIS)
        if stored != encoded:
            raise StoreError("genesis differs from the store's" if stored is not None
                             else "this store has no stored genesis (made before genesis was stored)")

    def _read(self, db: object, key: bytes) -> bytes | None:
        with self._mutex, self.env.begin() as txn:
            return txn.get(key, db=db)

    def block(self, number: int) -> StoredBlock | None:
        raw = self._read(self._blocks, _number_key(number))
        return None if raw is None else decode_block(raw)

    def header(self, number: int) -> BlockHeader | None:
        block = self.block(number)
        return None if block is None else block.header

    def tx_location(self, tx_hash: bytes) -> tuple[int, int] | None:
        """``(block number, index)`` of the first inclusion of ``tx_hash``."""
        raw = self._read(self._tx_index, tx_hash)
        return None if raw is None else (int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big"))

    def receipt_at(self, number: int, index: int) -> Receipt | None:
        raw = self._read(self._receipts, _location(number, index))
        return None if raw is None else decode_stored_receipt(raw)[1]

    def receipt(self, tx_hash: bytes) -> tuple[int, Receipt] | None:
        """``(block number, receipt)`` of the first inclusion of ``tx_hash``, or ``None``."""
        with self._mutex, self.env.begin() as txn:
            location = txn.get(tx_hash, db=self._tx_index)
            if location is None:
                return None
            raw = txn.get(location, db=self._receipts)
        if raw is None:
            raise StoreCorrupted(f"tx index points to a missing receipt for 0x{tx_hash.hex()}")
        return int.from_bytes(location[:8], "big"), decode_stored_receipt(raw)[1]

    def receipts(self, number: int) -> list[Receipt]:
        """The receipts of block ``number``, in order."""
        return [decode_stored_receipt(raw)[1] for raw in self.receipt_encodings(number, stored=True)]

    def receipt_encodings(self, number: int, stored: bool = False) -> list[bytes]:
        """The canonical encodings of block ``number``'s receipts (``stored``: the stored values)."""
        prefix = _number_key(number)
        out = []
        with self._mutex, self.env.begin() as txn:
            cursor = txn.cursor(db=self._receipts)
            if cursor.set_range(prefix):
                for key, value in cursor:
                    if not key.startswith(prefix):
                        break
                    out.append(value)
        return out if stored else [decode_stored_receipt(v)[0] for v in out]

    def account_positions(self, address: bytes, before: int, limit: int) -> list[int]:
        """Positions in ``account_log`` of ``address`` below ``before`` (0: all), newest first, at most ``limit``."""
        if self._account_log is None or limit <= 0:
            return []
        bound = address + (before.to_bytes(8, "big") if before else b"\xff" * 8)
        out: list[int] = []
        with self.env.begin() as txn:
            cursor = txn.cursor(db=self._account_log)
            found = cursor.set_range(bound)
            found = cursor.prev() if found else cursor.last()
            while found and len(out) < limit:
                key = cursor.key()
                if key[:20] != address:
                    break
                out.append(int.from_bytes(key[20:], "big"))
                found = cursor.prev()
        return out

    def last_block_number(self) -> int | None:
        """The highest block number stored (equals the head's, unless the store is corrupt)."""
        with self._mutex, self.env.begin() as txn:
            cursor = txn.cursor(db=self._blocks)
            return int.from_bytes(cursor.key(), "big") if cursor.last() else None

    def get(self, key: bytes) -> bytes | None:
        """The committed state value of ``key``."""
        return self._read(self._state, key)

    def iter_state(self, prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Committed ``(key, value)`` pairs whose key starts with ``prefix``, ascending (one snapshot)."""
        out = []
        with self._mutex, self.env.begin() as txn:
            cursor = txn.cursor(db=self._state)
            if cursor.set_range(prefix):
                for key, value in cursor:
                    if not key.startswith(prefix):
                        break
                    out.append((key, value))
        return iter(out)

    def keys_with_prefix(self, prefix: bytes) -> list[bytes]:
        return [key for key, _ in self.iter_state(prefix)]

    def trie_node(self, node_hash: bytes) -> bytes | None:
        return self._read(self._trie, node_hash)

    def stats(self) -> dict[str, int]:
        """Entries per sub-database, plus the map size and the bytes in use."""
        out = {}
        with self._mutex, self.env.begin() as txn:
            r = self._retention
            for name, db in ((b"blocks", self._blocks), (b"receipts", self._receipts),
                             (b"tx_index", self._tx_index), (b"state", self._state),
                             (b"trie_nodes", self._trie), (b"pending", r.pending), (b"key_log", r.key_log)):
                out[name.decode()] = txn.stat(db)["entries"]
        info = self.env.info()
        out["map_size"] = info["map_size"]
        out["used_bytes"] = (info["last_pgno"] + 1) * self.env.stat()["psize"]
        return out

    # ------------------------------------------------------------------ derived batches (a follower's)

    def put_batch_record(self, index: int, value: bytes) -> None:
        """Keep a follower's record of derived L1 batch ``index`` (one write transaction;
        any thread but one holding a ``cached_*`` read transaction)."""
        if self.readonly:
            raise StoreError("store opened read-only")
        with self._mutex, self.env.begin(write=True) as txn:
            txn.put(_BATCH + index.to_bytes(8, "big"), value, db=self._meta)

    def batch_records(self) -> list[tuple[int, bytes]]:
        """Every ``(index, value)`` kept by ``put_batch_record``, in index order."""
        out = []
        with self._mutex, self.env.begin() as txn:
            cursor = txn.cursor(db=self._meta)
            if cursor.set_range(_BATCH):
                for key, value in cursor:
                    if not key.startswith(_BATCH):
                        break
                    out.append((int.from_bytes(key[len(_BATCH):], "big"), bytes(value)))
        return out

    # ------------------------------------------------------------------ retained states

    def finalized_through_block(self) -> int:
        """The finalized-through block ``F``: states at blocks ``F``..head are retained."""
        raw = self._read(self._meta, _FINAL)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def finalized_through(self, number: int, *, prune: bool = True) -> int:
        """Learn that the state at L2 block ``number`` is final (its root's challenge window
        passed on L1), so no state before it can be disputed: raise ``F`` to ``number`` (it
        never goes down) and, with ``prune``, delete everything pending of blocks ``<= F``
        (``prune`` until done). Returns the pending entries handled. Committing thread only."""
        if self.readonly:
            raise StoreError("store opened read-only")
        if number > self.finalized_through_block():
            self._drop_reader()
            self._write(lambda txn: txn.put(_FINAL, _number_key(number), db=self._meta))
        handled = 0
        while prune:
            done = self.prune()
            handled += done
            if not done:
                break
        return handled

    def prune(self, budget: int = retention.PRUNE_BUDGET) -> int:
        """One write transaction deleting up to ``budget`` pending entries of blocks ``<= F``
        (dead trie nodes, key history); returns how many (0: nothing due). Committing thread only."""
        if self.readonly:
            raise StoreError("store opened read-only")
        final = self.finalized_through_block()
        self._drop_reader()
        return self._write(lambda txn: retention.prune(txn, self._retention, final, budget))

    def _write(self, work):
        """Run ``work(txn)`` in one write transaction (growing the map if it is full)."""
        while True:
            try:
                with self.env.begin(write=True) as txn:
                    return work(txn)
            except lmdb.MapFullError:
                with self._mutex:
                    self.env.set_mapsize(self.env.info()["map_size"] * 2)

    def keys_at(self, prefix: bytes, number: int) -> list[bytes]:
        """The state keys starting with ``prefix`` after block ``number``, ascending
        (``StatePruned`` if ``number`` is older than the finalized-through block)."""
        with self._mutex, self.env.begin() as txn:
            self._check_retained(txn, number)
            return retention.keys_at(txn, self._state, self._retention, prefix, number)

    def check_retained(self, number: int) -> None:
        """``StatePruned`` unless the state at block ``number`` is retained (``StoreError``
        if there is no such block)."""
        with self._mutex, self.env.begin() as txn:
            self._check_retained(txn, number)

    def _check_retained(self, txn: lmdb.Transaction, number: int) -> None:
        raw = txn.get(_HEAD, db=self._meta)
        if raw is None or number < 0 or number > Head.decode(raw).number:
            raise StoreError(f"no block {number} in the store")
        final = int.from_bytes(txn.get(_FINAL, db=self._meta) or bytes(8), "big")
        if number < final:
            raise StatePruned(f"the state at block {number} is pruned: the store keeps the states "
                              f"from block {final} (finalized-through) to the head")

    def state_backend_at(self, number: int):
        """A read-only ``StateBackend`` at the state after block ``number`` (``node.store.history``):
        reads proven against that block's root, writes kept in memory. ``StatePruned`` for a
        block before the finalized-through block, ``StoreError`` for one not stored. Any thread."""
        from node.store.history import HistoricalBackend

        self.check_retained(number)
        header = self.header(number)
        if header is None:
            raise StoreError(f"no block {number} in the store")
        return HistoricalBackend(self, number, header.state_root)

    # ------------------------------------------------------------------ cached reads (committing thread)

    def _txn(self) -> lmdb.Transaction:
        reader = self._reader
        if reader is None:
            reader = self._reader = self.env.begin(buffers=False)
        return reader

    def _drop_reader(self) -> None:
        if self._reader is not None:
            self._reader.abort()
            self._reader = None

    def cached_get(self, key: bytes) -> bytes | None:
        """``get`` through the long-lived read transaction (committing thread only)."""
        return self._txn().get(key, db=self._state)

    def cached_keys_with_prefix(self, prefix: bytes) -> list[bytes]:
        cursor = self._txn().cursor(db=self._state)
        out = []
        if cursor.set_range(prefix):
            for key in cursor.iternext(keys=True, values=False):
                if not key.startswith(prefix):
                    break
                out.append(key)
        return out

    def cached_trie_node(self, node_hash: bytes) -> bytes | None:
        return self._txn().get(node_hash, db=self._trie)

    # ------------------------------------------------------------------ writing

    def commit_block(
        self,
        header: BlockHeader,
        raw_txs: Sequence[bytes],
        receipts: Sequence[Receipt],
        state_changes: Mapping[bytes, bytes | None],
        trie_node_writes: Iterable[tuple[bytes, bytes]],
        new_root: bytes,
        *,
        dead_nodes: Iterable[bytes] = (),
        receipt_encodings: Sequence[bytes] | None = None,
        accounts: Sequence[Sequence[bytes]] = (),
    ) -> Head:
        """Write one block and everything it changed in one transaction; return the new head.

        ``state_changes``: key -> new value (``None`` deletes). ``trie_node_writes``:
        ``(hash, rlp)`` of the nodes the block created; ``dead_nodes``: hashes of the
        committed nodes it made unreachable, recorded for pruning once the block is final
        (``node.store.retention``). ``new_root`` must be ``header.state_root``.
        ``accounts[i]``: the addresses transaction ``i`` concerns (the ``account_log`` index).
        Checks that the header follows the head and matches the transactions and receipts
        (``BlockRejected`` otherwise, with nothing written). Returns once committed (and,
        in the default mode, fsync'd).
        """
        if self.readonly:
            raise StoreError("store opened read-only")
        head = self._head
        expected = 0 if head is None else head.number + 1
        parent = ZERO_HASH if head is None else head.block_hash
        if header.number != expected:
            raise BlockRejected(f"block {header.number}: the next block is {expected}")
        if header.parent_hash != parent:
            raise BlockRejected(f"block {header.number}: parent hash does not match the head")
        if header.state_root != new_root:
            raise BlockRejected(f"block {header.number}: header state root is not the new root")
        if len(receipts) != len(raw_txs):
            raise BlockRejected(f"block {header.number}: {len(raw_txs)} transactions, {len(receipts)} receipts")
        if receipt_encodings is None:
            receipt_encodings = [r.encode() for r in receipts]
        if header.receipts_hash != receipts_hash_of_encodings(receipt_encodings):
            raise BlockRejected(f"block {header.number}: receipts hash does not match the receipts")
        if header.txs_hash != txs_hash(raw_txs):
            raise BlockRejected(f"block {header.number}: transactions hash does not match")
        number = header.number
        tx_hashes = [r.tx_hash for r in receipts]
        for raw, tx_hash in zip(raw_txs, tx_hashes):
            if keccak256(raw) != tx_hash:
                raise BlockRejected(f"block {number}: a receipt's tx hash is not its transaction's")
        block_hash = header.hash()
        new_head = Head(number, block_hash, new_root)
        block_value = encode_block(header, raw_txs)
        base = number << 32
        locations = [(base + i).to_bytes(12, "big") for i in range(len(receipts))]  # number(8) || index(4)
        receipt_items = [
            (loc, encode_stored_receipt(enc, r.detail))
            for loc, enc, r in zip(locations, receipt_encodings, receipts)
        ]
        index_items = list(zip(tx_hashes, locations))
        account_items = sorted({address + ((number << 32) | (i << 8)).to_bytes(8, "big")
                                for i, addresses in enumerate(accounts) for address in addresses})
        puts = sorted((k, v) for k, v in state_changes.items() if v is not None)
        deletes = sorted(k for k, v in state_changes.items() if v is None)
        node_writes = sorted(trie_node_writes)
        dead = list(dead_nodes)
        tables = self._retention
        self._drop_reader()
        while True:
            try:
                with self.env.begin(write=True) as txn:
                    txn.put(_number_key(number), block_value, db=self._blocks, append=True)
                    if receipt_items:
                        txn.cursor(db=self._receipts).putmulti(receipt_items, append=True)
                    if index_items:  # first inclusion wins: a replayed tx keeps its first location
                        txn.cursor(db=self._tx_index).putmulti(index_items, overwrite=False)
                    if account_items:
                        txn.cursor(db=self._account_log).putmulti([(k, b"") for k in account_items])
                    state = self._state
                    deleted = [key for key in deletes if txn.delete(key, db=state)]
                    created = [key for key, _ in puts if txn.get(key, db=state) is None]
                    if puts:
                        txn.cursor(db=state).putmulti(puts)
                    retention.record_block(txn, tables, number, dead, created, deleted)
                    retention.write_nodes(txn, tables, number, node_writes)
                    txn.put(_HEAD, new_head.encode(), db=self._meta)
                    if number == 0 and self._pending_genesis is not None:
                        txn.put(_GENESIS, self._pending_genesis, db=self._meta)
                break
            except lmdb.MapFullError:
                with self._mutex:  # no read transaction may be open in this process
                    self.env.set_mapsize(self.env.info()["map_size"] * 2)
        self._head = new_head
        self._pending_genesis = None
        return new_head
