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

Restart: the chain resumes at its stored head; the follower finds its place again by
skipping batches whose blocks it already has (block numbers), so nothing is applied twice.
L1 reorganisations shallower than ``confirmations`` never reach it; a deeper one (a block
it read changed its hash) stops it with ``L1Reorged``, since derived blocks would have to
be rewound; so does a gap in a queue (``L1Inconsistent``, as in the sequencer's watcher).
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable, Final, Protocol

from node.derivation.rules import BatchRejected, ChainTip, DerivedBlock, L1Deposit, L1Forced, derive_batch
from node.l1.batch_codec import BatchDecodeError, decode_batch
from node.l1.genesis_anchor import check_genesis
from node.l1.reader import L1Reader, PostedBatch, Proposal
from node.l1.watcher import extend_queue
from node.l1.withdrawals import ProofBook

log = logging.getLogger(__name__)

DEFAULT_CONFIRMATIONS: Final = 2
# L1 blocks read in one step: two log queries of ``reader.MAX_LOG_RANGE`` per event kind,
# which bounds a step's memory and what a transient error makes it read again.
MAX_L1_BLOCKS_PER_STEP: Final = 10_000


class L1Reorged(RuntimeError):
    """An L1 block the follower already used is no longer canonical (deeper than its confirmations)."""


class ReplicaChain(Protocol):
    """What the follower drives: the head's tip and block import (``Sequencer`` implements it)."""

    state: object  # node.stf.state.State, over a backend with a ``trie``

    def tip(self) -> ChainTip: ...

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
    batches: int = 0               # batches derived (or skipped) so far
    skipped_batches: list[int] = field(default_factory=list)
    roots_checked: int = 0
    mismatches: list[RootCheck] = field(default_factory=list)


class Follower:
    """Derives the L2 chain from L1 (see module docstring)."""

    def __init__(self, reader: L1Reader, chain: ReplicaChain, *, confirmations: int = DEFAULT_CONFIRMATIONS,
                 on_mismatch: Callable[[RootCheck], None] | None = None, proofs: ProofBook | None = None) -> None:
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
        self._genesis_checked = False
        # batch index -> the last L2 block derivation gives for it (the previous batch's if none)
        self.batch_last_block: dict[int, int] = {}

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

    def _visible(self, l1_block: int) -> tuple[list[L1Deposit], list[L1Forced]]:
        """The queues as they stood at ``l1_block`` (both are in L1 block order: a prefix)."""
        deposits = self.deposits[:bisect_right(self.deposits, l1_block, key=lambda d: d.l1_block)]
        forced = self.forced[:bisect_right(self.forced, l1_block, key=lambda f: f.l1_block)]
        return deposits, forced

    def _derive(self, batch: PostedBatch) -> int:
        self.status.batches += 1
        previous = self.batch_last_block.get(batch.index - 1, 0)
        try:
            blocks = decode_batch(batch.data, batch.last_l2_block)
        except BatchDecodeError as exc:
            log.warning("follower: batch %d skipped: %s", batch.index, exc)
            self.status.skipped_batches.append(batch.index)
            self.batch_last_block[batch.index] = previous
            return 0
        tip = self.chain.tip()
        known = [b for b in blocks if b.number <= tip.number]
        if known:  # a restart: these blocks are already in the store
            if len(known) == len(blocks):  # (a batch repeating old blocks derives nothing: max)
                self.batch_last_block[batch.index] = max(blocks[-1].number, previous)
                return 0
            blocks = blocks[len(known):]
        deposits, forced = self._visible(batch.l1_block)
        try:
            derived = derive_batch(tip, blocks, batch.l1_time, deposits, forced)
        except BatchRejected as exc:
            log.warning("follower: batch %d skipped: %s", batch.index, exc)
            self.status.skipped_batches.append(batch.index)
            self.batch_last_block[batch.index] = previous
            return 0
        for block in derived:
            self.chain.import_block(block)
        if derived:  # the state is at the batch's last block: its root is the batch's commitment
            state = self.chain.state
            self.proofs.checkpoint(state, state.backend.trie, batch.index, derived[-1].number)
        self.batch_last_block[batch.index] = derived[-1].number if derived else previous
        return len(derived)

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
