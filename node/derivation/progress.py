"""Where derivation stands: one record per derived L1 batch, kept with the chain.

A ``BatchRecord`` says: L1 batch ``index``, posted in L1 block ``l1_block`` (hash
``l1_block_hash``), is derived, and the L2 chain then ends at ``last_l2_block`` (the tip
after the batch: the previous batch's if this one derived no block). The follower writes
it once the batch's blocks are imported, so after a crash the log holds every batch up to
some index and the store holds at least their blocks (perhaps some of the next batch's):
a restarted follower resumes at the next batch index, from the tip the last record names
(``node.derivation.follower``). Records never decrease in ``last_l2_block``.

``MemoryDerivationLog`` is a follower's log in memory; ``StoreDerivationLog`` keeps it in
the LMDB store beside the blocks (``BlockStore.put_batch_record``), one write per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import rlp


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """Batch ``index`` is derived (module docstring)."""

    index: int
    l1_block: int
    l1_block_hash: bytes
    last_l2_block: int

    def encode(self) -> bytes:
        """``rlp([l1_block, l1_block_hash, last_l2_block])`` (the index is the key)."""
        return rlp.encode([self.l1_block, self.l1_block_hash, self.last_l2_block])

    @classmethod
    def decode(cls, index: int, data: bytes) -> BatchRecord:
        l1_block, block_hash, last = rlp.decode(data)
        return cls(index, int.from_bytes(l1_block, "big"), bytes(block_hash), int.from_bytes(last, "big"))


class DerivationLog(Protocol):
    """Where a follower keeps its ``BatchRecord``s."""

    def put(self, record: BatchRecord) -> None:
        """Keep ``record`` (replacing one with the same index)."""

    def records(self) -> list[BatchRecord]:
        """Every record kept, in index order."""


class MemoryDerivationLog:
    """A ``DerivationLog`` in memory (a follower whose chain lives in memory too)."""

    def __init__(self) -> None:
        self._records: dict[int, BatchRecord] = {}

    def put(self, record: BatchRecord) -> None:
        self._records[record.index] = record

    def records(self) -> list[BatchRecord]:
        return [self._records[i] for i in sorted(self._records)]


class BatchRecordStore(Protocol):
    """What ``StoreDerivationLog`` needs of the store (``node.store.lmdb_store.BlockStore``)."""

    def put_batch_record(self, index: int, value: bytes) -> None: ...

    def batch_records(self) -> list[tuple[int, bytes]]: ...


class StoreDerivationLog:
    """A ``DerivationLog`` in the node's LMDB store, next to the blocks it describes."""

    def __init__(self, store: BatchRecordStore) -> None:
        self.store = store

    def put(self, record: BatchRecord) -> None:
        self.store.put_batch_record(record.index, record.encode())

    def records(self) -> list[BatchRecord]:
        return [BatchRecord.decode(index, value) for index, value in self.store.batch_records()]
