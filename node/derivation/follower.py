"""The follower: rebuild the L2 chain from L1 alone and check every posted state root.

``Follower(reader, chain, confirmations)`` polls L1 (``step()``): it reads the queues and
batches in blocks up to ``head - confirmations``, derives each batch's L2 blocks
(``rules.derive_batch``), imports them into ``chain`` (a ``Sequencer`` in replica mode:
the same STF, store, queries and streams as the sequencer), then checks each posted state
root, and proves the batch's withdrawals under its root (``node.l1.withdrawals``), so it
can serve claims.

Before its first step it checks that ``chain``'s genesis (its block-0 state root) is the
one the L1 contracts committed to (``GenesisMismatch`` otherwise: it never runs on
another chain).

Root ``i`` is checked against batch ``i`` (``batch_last_block``: the L2 block derivation
reaches after batch ``i``, the previous batch's if it derived none): the root must name
that block, and its state root must be ours at that block. Anything else is a mismatch,
reported loudly (log at ERROR, ``mismatches``, ``on_mismatch``): that root is fraudulent,
or this node is wrong. A root whose batch is not derived yet waits for it.

A step is all-or-nothing: it reads everything for its L1 range first (queues, batches,
proposals, block hashes), then applies it, so an error while reading (a transient
JSON-RPC failure) leaves the follower as it was and the next ``step()`` retries the same
range; if applying fails, the queue entries it appended are taken back.

Every batch is derived after the tip the previous one left (``rules.derive_batch``, with
the batch's inbox record as its L1 view: a batch whose blocks are all dropped still gets
its due L1 entries), and
``batch_last_block[i]`` is the chain's last L2 block once batch ``i`` is derived (the
previous one's if it derived nothing): what root ``i`` must be checked at.

Restart: after each batch the follower writes a ``progress.BatchRecord`` (index, L1 block
and hash, last L2 block) to its ``DerivationLog``, kept with the chain (the LMDB store for
a node with a data directory). A restarted follower resumes at the batch after the last
record whose last block the store holds, from that block's tip; batches before it are not
derived again (their L1 block hash is checked against the record). Blocks of that next
batch already stored (a crash in the middle of a batch) are compared with what derivation
gives, not re-applied; a difference stops the follower (``StoreDiverged``). No block is
ever skipped because of its number.

L1 reorganisations shallower than ``confirmations`` never reach it; a deeper one (a block
it read changed its hash) stops it with ``L1Reorged``, since derived blocks would have to
be rewound; so does a gap in a queue, or a batch whose record saw more queue entries than
were read (``L1Inconsistent``, as in the sequencer's watcher).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Final, Protocol

from node.derivation.progress import BatchRecord, DerivationLog, MemoryDerivationLog
from node.derivation.rules import ChainTip, DerivedBlock, L1Deposit, L1Forced, derive_batch
from node.l1.batch_codec import decode_batch
from node.l1.genesis_anchor import check_genesis
from node.l1.reader import L1Reader, PostedBatch, Proposal
from node.l1.watcher import L1Inconsistent, extend_queue
from node.l1.withdrawals import ProofBook

log = logging.getLogger(__name__)

DEFAULT_CONFIRMATIONS: Final = 2
# L1 blocks read in one step: two log queries of ``reader.MAX_LOG_RANGE`` per event kind,
# which bounds a step's memory and what a transient error makes it read again.
MAX_L1_BLOCKS_PER_STEP: Final = 10_000


class L1Reorged(RuntimeError):
    """An L1 block the follower already used is no longer canonical (deeper than its confirmations)."""


class StoreDiverged(RuntimeError):
    """A block stored before a restart differs from what derivation gives for it."""


class ReplicaChain(Protocol):
    """What the follower drives: the head's tip and block import (``Sequencer`` implements it)."""

    state: object  # node.stf.state.State, over a backend with a ``trie``

    def tip(self) -> ChainTip: ...

    def tip_at(self, number: int) -> ChainTip | None:
        """The tip after stored block ``number``."""

    def get_block(self, number: int) -> object | None:
        """Stored block ``number`` (``timestamp``, ``txs``, ``deposits_through``, ``forced_through``)."""

    def import_block(self, block: DerivedBlock) -> bytes:
        """Apply and store ``block``; return its state root."""

    def state_root_at(self, number: int) -> bytes | None: ...


@dataclass
class RootCheck:
    """The outcome of checking posted root ``index``: it names ``last_l2_block`` and
    ``posted``; derivation reached ``derived_l2_block`` after batch ``index``, where our
    root is ``ours``."""

    index: int
    last_l2_block: int
    posted: bytes
    ours: bytes
    l1_block: int
    derived_l2_block: int

    @property
    def matches(self) -> bool:
        return self.last_l2_block == self.derived_l2_block and self.posted == self.ours


@dataclass(frozen=True)
class L1Range:
    """Everything a step reads for L1 blocks ``[first, last]``, before it applies any of it."""

    first: int
    last: int
    last_hash: bytes
    deposits: list[L1Deposit]
    forced: list[L1Forced]
    batches: list[PostedBatch]
    proposals: list[Proposal]


@dataclass
class FollowerStatus:
    l1_block: int = 0              # last L1 block read (confirmed)
    batches: int = 0               # batches derived so far
    skipped_batches: list[int] = field(default_factory=list)  # batches some of whose blocks were dropped
    roots_checked: int = 0
    mismatches: list[RootCheck] = field(default_factory=list)


class Follower:
    """Derives the L2 chain from L1 (see module docstring)."""

    def __init__(self, reader: L1Reader, chain: ReplicaChain, *, confirmations: int = DEFAULT_CONFIRMATIONS,
                 on_mismatch: Callable[[RootCheck], None] | None = None, proofs: ProofBook | None = None,
                 progress: DerivationLog | None = None) -> None:
        self.reader = reader
        self.proofs = proofs if proofs is not None else ProofBook()
        self.chain = chain
        self.confirmations = confirmations
        self.on_mismatch = on_mismatch or (lambda check: None)
        self.status = FollowerStatus(l1_block=reader.first_block - 1)
        self.deposits: list[L1Deposit] = []
        self.forced: list[L1Forced] = []
        self._pending_proposals: list[Proposal] = []
        self._seen_hashes: dict[int, bytes] = {}
        self.progress = progress if progress is not None else MemoryDerivationLog()
        self.batch_last_block: dict[int, int] = {}  # batch index -> the last L2 block once it is derived
        self._recorded: dict[int, BatchRecord] = {}
        self._next_batch = 0
        self._tip = self._resume()
        self._genesis_checked = False

    def _check_reorg(self) -> None:
        for number, block_hash in list(self._seen_hashes.items()):
            if self.reader.block_hash(number) != block_hash:
                raise L1Reorged(f"L1 block {number} changed after it was used (deeper than "
                                f"{self.confirmations} confirmations)")

    def step(self) -> int:
        """Read what L1 confirmed since the last step and apply it; returns how many L2
        blocks were imported. Raises what the reads raise (the step then changed nothing:
        call it again), ``L1Reorged`` / ``L1Inconsistent`` / ``GenesisMismatch`` (stop)."""
        if not self._genesis_checked:
            check_genesis(self.reader.genesis_root(), self.chain.state_root_at(0))
            self._genesis_checked = True
        last = self.reader.head() - self.confirmations
        first = self.status.l1_block + 1
        if last < first:
            return 0
        return self._apply(self._read(first, min(last, first + MAX_L1_BLOCKS_PER_STEP - 1)))

    def _read(self, first: int, last: int) -> L1Range:
        """Every L1 read of a step (no state changes here)."""
        self._check_reorg()
        return L1Range(first, last, self.reader.block_hash(last), self.reader.deposits(first, last),
                       self.reader.forced(first, last), self.reader.batches(first, last),
                       self.reader.proposals(first, last))

    def _apply(self, read: L1Range) -> int:
        """Apply a step's reads (no L1 I/O here)."""
        marks = len(self.deposits), len(self.forced)
        try:
            extend_queue(self.deposits, read.deposits, "deposit")
            extend_queue(self.forced, read.forced, "forced transaction")
            imported = sum(self._derive(batch) for batch in read.batches)
        except BaseException:  # the next step reads the range again: take the entries back
            del self.deposits[marks[0]:], self.forced[marks[1]:]
            raise
        self._pending_proposals += read.proposals
        self._check_roots()
        self.status.l1_block = read.last
        self._seen_hashes = {read.last: read.last_hash}
        return imported

    def _resume(self) -> ChainTip:
        """Where derivation continues (module docstring, "Restart"): the tip after the last
        recorded batch whose last block the store holds (genesis's without records)."""
        head = self.chain.tip()
        usable = []
        for record in self.progress.records():  # last_l2_block never decreases: a prefix
            if record.index != len(usable) or record.last_l2_block > head.number:
                break
            usable.append(record)
        if not usable and head.number > 0:
            raise StoreDiverged(f"the store holds L2 blocks up to {head.number} but no derived batch: "
                                "derive again into an empty data directory")
        self._recorded = {r.index: r for r in usable}
        self.batch_last_block = {r.index: r.last_l2_block for r in usable}
        self._next_batch = self.status.batches = len(usable)
        tip = self.chain.tip_at(usable[-1].last_l2_block) if usable else self.chain.tip_at(0)
        if tip is None:
            raise StoreDiverged(f"L2 block {usable[-1].last_l2_block if usable else 0}, where derivation resumes, "
                                "is not in the store")
        if usable:
            log.info("follower: resuming at batch %d after L2 block %d", len(usable), tip.number)
        return tip

    def _derive(self, batch: PostedBatch) -> int:
        """Derive ``batch`` after the tip the previous batch left and import its blocks;
        returns how many blocks were imported. Batches already derived are passed over."""
        if batch.index < self._next_batch:
            recorded = self._recorded.get(batch.index)
            if recorded is not None and recorded.l1_block_hash != batch.l1_block_hash:
                raise L1Reorged(f"batch {batch.index} was derived from L1 block {recorded.l1_block}, "
                                f"now it is in block {batch.l1_block} (0x{batch.l1_block_hash.hex()})")
            return 0
        if batch.index != self._next_batch:
            raise L1Inconsistent(f"batch {batch.index} read where {self._next_batch} was due")
        tip = self._tip
        decoded = decode_batch(batch.data)
        derivation = derive_batch(tip, decoded.blocks, batch.last_l2_block,
                                  batch.view(self.deposits, self.forced), decoded.reason)
        if derivation.dropped:
            log.warning("follower: batch %d: %d of its blocks used, the rest dropped (%s); %d blocks of due L1 "
                        "entries", batch.index, derivation.used, derivation.dropped,
                        len(derivation.blocks) - derivation.used)
            self.status.skipped_batches.append(batch.index)
        imported = sum(self._import(block) for block in derivation.blocks)
        last = derivation.last_number(tip)
        if derivation.blocks:  # the state is at the batch's last block: its root is the batch's commitment
            self._tip = derivation.blocks[-1].tip
            state = self.chain.state
            self.proofs.checkpoint(state, state.backend.trie, batch.index, last)
        record = BatchRecord(batch.index, batch.l1_block, batch.l1_block_hash, last)
        self.progress.put(record)
        self._recorded[batch.index] = record
        self.batch_last_block[batch.index] = last
        self._next_batch += 1
        self.status.batches += 1
        return imported

    def _import(self, block: DerivedBlock) -> int:
        """Import ``block``; one the store already holds (a crash in the middle of its batch)
        is checked against it instead. Returns 1 if imported."""
        if block.number > self.chain.tip().number:
            self.chain.import_block(block)
            return 1
        stored = self.chain.get_block(block.number)
        if stored is None or (stored.timestamp, stored.deposits_through, stored.forced_through, stored.txs) != (
                block.timestamp, block.deposits_through, block.forced_through, block.txs):
            raise StoreDiverged(f"stored L2 block {block.number} differs from what derivation gives for it")
        return 0

    def _check_roots(self) -> None:
        """Check every pending root whose batch is derived (see module docstring)."""
        waiting = []
        for proposal in self._pending_proposals:
            derived = self.batch_last_block.get(proposal.index)
            if derived is None:
                waiting.append(proposal)
                continue
            ours = self.chain.state_root_at(derived) or b""
            check = RootCheck(proposal.index, proposal.last_l2_block, proposal.state_root, ours, proposal.l1_block,
                              derived)
            self.status.roots_checked += 1
            if check.matches:
                log.info("follower: root %d (L2 block %d) matches", proposal.index, derived)
            else:
                self.status.mismatches.append(check)
                log.error("follower: STATE ROOT MISMATCH at root %d: posted 0x%s at L2 block %d, derived 0x%s at "
                          "L2 block %d", proposal.index, proposal.state_root.hex(), proposal.last_l2_block,
                          ours.hex(), derived)
                self.on_mismatch(check)
        self._pending_proposals = waiting
