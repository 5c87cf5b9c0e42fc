"""The follower: rebuild the L2 chain from L1 alone and check every posted state root.

``Follower(reader, chain, confirmations)`` polls L1 (``step()``): it reads the queues and
batches in blocks up to ``head - confirmations``, derives each batch's L2 blocks
(``rules.derive_batch``), imports them into ``chain`` (a ``Sequencer`` in replica mode:
the same STF, store, queries and streams as the sequencer), then compares each posted
state root with its own root at that L2 block, and proves the batch's withdrawals under
its root (``node.l1.withdrawals``), so it can serve claims. A mismatch is reported loudly (log at
ERROR, ``mismatches``, ``on_mismatch``): that root is fraudulent, or this node is wrong.

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
from node.l1.reader import L1Reader, PostedBatch, Proposal
from node.l1.watcher import extend_queue
from node.l1.withdrawals import ProofBook

log = logging.getLogger(__name__)

DEFAULT_CONFIRMATIONS: Final = 2
MAX_BLOCKS_PER_STEP: Final = 2_000


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
    """The outcome of comparing posted root ``index`` with ours."""

    index: int
    last_l2_block: int
    posted: bytes
    ours: bytes
    l1_block: int

    @property
    def matches(self) -> bool:
        return self.posted == self.ours


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

    def _check_reorg(self) -> None:
        for number, block_hash in list(self._seen_hashes.items()):
            if self.reader.block_hash(number) != block_hash:
                raise L1Reorged(f"L1 block {number} changed after it was used (deeper than "
                                f"{self.confirmations} confirmations)")

    def step(self) -> int:
        """Read what L1 confirmed since the last step; returns how many L2 blocks were imported."""
        last = self.reader.head() - self.confirmations
        first = self.status.l1_block + 1
        if last < first:
            return 0
        last = min(last, first + 10_000)
        self._check_reorg()
        extend_queue(self.deposits, self.reader.deposits(first, last), "deposit")
        extend_queue(self.forced, self.reader.forced(first, last), "forced transaction")
        imported = 0
        for batch in self.reader.batches(first, last):
            imported += self._derive(batch)
        self._pending_proposals += self.reader.proposals(first, last)
        self._check_roots()
        self.status.l1_block = last
        self._seen_hashes = {last: self.reader.block_hash(last)}
        return imported

    def _visible(self, l1_block: int) -> tuple[list[L1Deposit], list[L1Forced]]:
        """The queues as they stood at ``l1_block`` (both are in L1 block order: a prefix)."""
        deposits = self.deposits[:bisect_right(self.deposits, l1_block, key=lambda d: d.l1_block)]
        forced = self.forced[:bisect_right(self.forced, l1_block, key=lambda f: f.l1_block)]
        return deposits, forced

    def _derive(self, batch: PostedBatch) -> int:
        self.status.batches += 1
        try:
            blocks = decode_batch(batch.data)
        except BatchDecodeError as exc:
            log.warning("follower: batch %d skipped: %s", batch.index, exc)
            self.status.skipped_batches.append(batch.index)
            return 0
        tip = self.chain.tip()
        known = [b for b in blocks if b.number <= tip.number]
        if known:  # a restart: these blocks are already in the store
            if len(known) == len(blocks):
                return 0
            blocks = blocks[len(known):]
        deposits, forced = self._visible(batch.l1_block)
        try:
            derived = derive_batch(tip, blocks, batch.l1_time, deposits, forced)
        except BatchRejected as exc:
            log.warning("follower: batch %d skipped: %s", batch.index, exc)
            self.status.skipped_batches.append(batch.index)
            return 0
        for block in derived:
            self.chain.import_block(block)
        if derived:  # the state is at the batch's last block: its root is the batch's commitment
            state = self.chain.state
            self.proofs.checkpoint(state, state.backend.trie, batch.index, derived[-1].number)
        return len(derived)

    def _check_roots(self) -> None:
        head = self.chain.tip().number
        waiting = []
        for proposal in self._pending_proposals:
            if proposal.last_l2_block > head:
                waiting.append(proposal)
                continue
            ours = self.chain.state_root_at(proposal.last_l2_block) or b""
            check = RootCheck(proposal.index, proposal.last_l2_block, proposal.state_root, ours, proposal.l1_block)
            self.status.roots_checked += 1
            if check.matches:
                log.info("follower: root %d (L2 block %d) matches", proposal.index, proposal.last_l2_block)
            else:
                self.status.mismatches.append(check)
                log.error("follower: STATE ROOT MISMATCH at root %d (L2 block %d): posted 0x%s, derived 0x%s",
                          proposal.index, proposal.last_l2_block, proposal.state_root.hex(), ours.hex())
                self.on_mismatch(check)
        self._pending_proposals = waiting
