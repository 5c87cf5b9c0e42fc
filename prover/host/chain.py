"""The prover's view of the chain: everything read from L1, and the L2 state derived from it.

``L1Snapshot.read`` takes, from one deployment, every posted batch (data and inbox record),
both queues and the proposed roots, up to an L1 block. ``HostChain`` derives the L2 chain
from that alone, as a follower does (``node.derivation.rules`` + ``apply_block``, from the
deployment's L2 genesis), and hands the client what a batch's trace needs: the state before
the batch and the batch's inputs. It trusts no node: a challenger needs only L1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from node.derivation.rules import ChainTip, derive_batch
from node.l1.batch_codec import decode_batch
from node.l1.reader import L1Reader, PostedBatch, Proposal
from node.stf import keys
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.genesis import Genesis, initialise
from node.stf.l1_inputs import BatchRecord, L1Deposit, L1Forced
from node.stf.records import Globals
from node.stf.state import State
from prover.client.inputs import MemoryInputs


class HostError(RuntimeError):
    """What the prover cannot do with the chain it read (a batch that does not exist, ...)."""


@dataclass(frozen=True)
class L1Snapshot:
    """A deployment's L1 data up to ``l1_block`` (inclusive)."""

    l1_block: int
    batches: Sequence[PostedBatch]
    deposits: Sequence[L1Deposit]
    forced: Sequence[L1Forced]
    proposals: Sequence[Proposal]

    @classmethod
    def read(cls, reader: L1Reader, l1_block: int | None = None) -> L1Snapshot:
        last = reader.head() if l1_block is None else l1_block
        first = reader.first_block
        return cls(last, reader.batches(first, last), reader.deposits(first, last), reader.forced(first, last),
                   reader.proposals(first, last))

    def batch(self, index: int) -> PostedBatch:
        if not 0 <= index < len(self.batches):
            raise HostError(f"batch {index} does not exist: L1 holds batches 0-{len(self.batches) - 1}"
                            if self.batches else f"batch {index} does not exist: L1 holds no batch yet")
        return self.batches[index]


def record_of(batch: PostedBatch) -> BatchRecord:
    """The block steps' view of a batch's inbox record."""
    return BatchRecord(batch.index, len(batch.data), batch.l1_time, batch.deposits_seen, batch.forced_seen,
                       batch.last_l2_block)


class HostChain:
    """The L2 chain derived from an ``L1Snapshot`` and the L2 ``genesis``."""

    def __init__(self, genesis: Genesis, l1: L1Snapshot) -> None:
        self.genesis = genesis
        self.l1 = l1

    def inputs(self, index: int) -> MemoryInputs:
        batch = self.l1.batch(index)
        return MemoryInputs(record_of(batch), batch.data, self.l1.deposits, self.l1.forced)

    def prestate(self, index: int) -> MemoryBackend:
        """The state after batches ``0 .. index - 1`` (the pre-state of batch ``index``)."""
        self.l1.batch(index)
        backend = MemoryBackend()
        state = State(backend)
        initialise(state, self.genesis)
        for batch in self.l1.batches[:index]:
            self._derive(state, batch)
        return backend

    def _derive(self, state: State, batch: PostedBatch) -> None:
        globals_: Globals = state.get(keys.GLOBALS)
        tip = ChainTip(globals_.last_block_number, globals_.last_block_time, globals_.next_deposit_index,
                       globals_.next_forced_index)
        decoded = decode_batch(batch.data)
        derivation = derive_batch(tip, decoded.blocks, batch.last_l2_block,
                                  batch.view(self.l1.deposits, self.l1.forced), decoded.reason)
        for block in derivation.blocks:
            apply_block(state, BlockEnv(block.number, block.timestamp, block.forced_through, block.deposits_through),
                        block.txs)
