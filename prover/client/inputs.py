"""Batch and queue inputs of the block steps: in memory, recorded per step, and from a proof.

Every read of a step goes through a ``BatchInputs`` (``node.stf.l1_inputs``). A trace reads
through ``RecordingInputs`` to learn what one step's proof must carry; a proof's check
reads through ``ProofInputs``, which holds only those pieces and refuses anything else.
Whether the pieces are what L1 committed is checked against the batch's record
(``prover.client.proof``), not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from node.stf.l1_inputs import BatchRecord, L1Deposit, L1Forced


class MissingInput(LookupError):
    """A step read a batch byte or queue entry its proof does not carry (or one out of range)."""


@dataclass
class MemoryInputs:
    """A batch's data and the L1 queues, all in memory (the host's view of L1)."""

    record: BatchRecord
    batch_data: bytes
    deposits: Sequence[L1Deposit]
    forced_txs: Sequence[L1Forced]

    def data(self, start: int, end: int) -> bytes:
        if not 0 <= start <= end <= self.record.length:
            raise MissingInput(f"bytes [{start}, {end}) of a {self.record.length}-byte batch")
        return self.batch_data[start:end]

    def deposit(self, index: int) -> L1Deposit:
        if not 0 <= index < self.record.deposits_seen:
            raise MissingInput(f"deposit {index}: the batch sees {self.record.deposits_seen}")
        return self.deposits[index]

    def forced(self, index: int) -> L1Forced:
        if not 0 <= index < self.record.forced_seen:
            raise MissingInput(f"forced transaction {index}: the batch sees {self.record.forced_seen}")
        return self.forced_txs[index]


@dataclass
class RecordingInputs:
    """Reads through ``inner`` and remembers what the current step read."""

    inner: MemoryInputs
    ranges: list[tuple[int, int]] = field(default_factory=list)
    deposit_indices: set[int] = field(default_factory=set)
    forced_indices: set[int] = field(default_factory=set)

    @property
    def record(self) -> BatchRecord:
        return self.inner.record

    def reset(self) -> None:
        self.ranges, self.deposit_indices, self.forced_indices = [], set(), set()

    def data(self, start: int, end: int) -> bytes:
        out = self.inner.data(start, end)
        self.ranges.append((start, end))
        return out

    def deposit(self, index: int) -> L1Deposit:
        out = self.inner.deposit(index)
        self.deposit_indices.add(index)
        return out

    def forced(self, index: int) -> L1Forced:
        out = self.inner.forced(index)
        self.forced_indices.add(index)
        return out


@dataclass
class ProofInputs:
    """Only the pieces a proof carries: ``pieces`` maps a start offset to the bytes there."""

    record: BatchRecord
    pieces: dict[int, bytes]
    deposits: dict[int, L1Deposit]
    forced_txs: dict[int, L1Forced]

    def data(self, start: int, end: int) -> bytes:
        if not 0 <= start <= end <= self.record.length:
            raise MissingInput(f"bytes [{start}, {end}) of a {self.record.length}-byte batch")
        for offset, piece in self.pieces.items():
            if offset <= start and end <= offset + len(piece):
                return piece[start - offset:end - offset]
        raise MissingInput(f"the proof does not carry batch bytes [{start}, {end})")

    def deposit(self, index: int) -> L1Deposit:
        if index >= self.record.deposits_seen or index not in self.deposits:
            raise MissingInput(f"the proof does not carry deposit {index}")
        return self.deposits[index]

    def forced(self, index: int) -> L1Forced:
        if index >= self.record.forced_seen or index not in self.forced_txs:
            raise MissingInput(f"the proof does not carry forced transaction {index}")
        return self.forced_txs[index]
