"""The batcher and proposer: post the sequencer's blocks to L1, then a state root per batch.

``Batcher(chain, reader, sequencer_tx, proposer_tx)`` is a ``BlockObserver``: committed
blocks join the open batch as ``BatchBlock`` items (the sequenced transactions only; the
L1-derived ones are rebuilt by derivation from the queues). The open batch is *sealed*
every ``interval_s``, or at once when its data reaches ``SEAL_AT_BYTES`` (so it always
fits the inbox's calldata limit), or at ``MAX_BATCH_BLOCKS`` blocks.
Sealing happens on the event loop between blocks, when the state is exactly at the
batch's last block: the batch gets its index (= its state commitment's index) and every
withdrawal made since the last seal is proven under that root (``withdrawals.ProofBook``).
``run()`` posts sealed batches in order with ``BatchInbox.append_batch(data,
last_l2_block)``, waits for each receipt, then proposes the batch's state root with
``StateCommitments.propose`` and the bond.

One root per inbox batch, whatever the inbox holds: the proposer proposes, for batch
``i``, the state root at the L2 block derivation reaches after it (``posted_ends[i]``).
For a batch this process posted, that is its last block. For a batch read back from the
inbox (a restart, or a batch that landed at another index than expected), it is the block
derivation's rule 1 reaches: the batch's blocks numbered from the previous batch's end, up
to its declared last block (a batch posted twice declares a block already reached: it adds
none, and its root repeats the last one). If those blocks are not this sequencer's stored
ones, L1 no longer derives this chain: that is logged as an error and the root repeats the
last one.

L1 calls block, so they run in a worker thread (``asyncio.to_thread``); the sequencer's
loop never waits for L1. Restart: ``catch_up()`` reads the inbox and the commitments,
finds the last L2 block already posted (by decoding the last batch), re-queues every later
stored block, and proposes any batch that has no root yet, so a crash between posting and
proposing loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Final, Protocol

from node.derivation.rules import blocks_used
from node.l1.batch_codec import MAX_BATCH_BLOCKS, BatchBlock, decode_batch, encode_block
from node.l1.reader import L1Reader, PostedBatch
from node.l1.withdrawals import ProofBook
from node.sequencer.sequencer import MAX_BLOCK_BYTES, BlockObserver, L2Block

from bridge.l1 import Transactor

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S: Final = 2.0
MAX_CALLDATA_BYTES: Final = 120_000      # BatchInbox.MAX_BATCH_BYTES
# A batch is sealed once its data reaches SEAL_AT_BYTES. The block that crosses the mark
# adds at most MAX_BLOCK_BYTES of transactions plus their RLP framing (at most 3 bytes per
# transaction of 56 bytes or more: under 4% for signed envelopes) and a header of at most
# 30 bytes, so a sealed batch always fits MAX_CALLDATA_BYTES. (The seal cannot wait for a
# block that would not fit: it must happen while the state is at the batch's last block,
# for the withdrawal proofs.)
SEAL_AT_BYTES: Final = MAX_CALLDATA_BYTES - 2_000 - MAX_BLOCK_BYTES * 104 // 100
MAX_BATCHES_PER_ROUND: Final = 16   # batch transactions in flight at once
PROPOSE_GAS: Final = 300_000        # a proposal queued behind another cannot be estimated (~130k used)


class BlockSource(Protocol):
    head_number: int
    state: object

    def get_block(self, number: int | None = None) -> L2Block | None: ...


@dataclass
class BatcherStatus:
    batches_posted: int = 0
    roots_proposed: int = 0
    last_posted_l2_block: int = 0
    l1_gas_used: int = 0
    bytes_posted: int = 0
    txs_posted: int = 0
    last_error: str = ""


def batch_block(block: L2Block) -> BatchBlock:
    """The batch form of a committed block: timestamp, queue positions, sequenced transactions."""
    return BatchBlock(block.timestamp, block.deposits_through, block.forced_through, block.txs[block.l1_tx_count:])


@dataclass
class SealedBatch:
    """A batch sealed for the inbox: its index, its first L2 block's number, its block items
    and how many sequenced transactions they hold."""

    index: int
    first: int
    items: list[bytes]
    txs: int

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    @property
    def data(self) -> bytes:
        return b"".join(self.items)


class Batcher(BlockObserver):
    """Seals, posts and proposes batches (see module docstring)."""

    def __init__(self, chain: BlockSource, reader: L1Reader, sequencer_tx: Transactor, proposer_tx: Transactor,
                 *, interval_s: float = DEFAULT_INTERVAL_S, propose: bool = True, proofs: ProofBook | None = None,
                 clock=time.monotonic) -> None:
        self.chain = chain
        self.reader = reader
        self.sequencer_tx = sequencer_tx
        self.proposer_tx = proposer_tx
        self.interval_s = interval_s
        self.propose_roots = propose
        self.proofs = proofs if proofs is not None else ProofBook()
        self.clock = clock
        self.open: list[bytes] = []  # the open batch's block items (``encode_block``)
        self.open_first = 0          # the number of its first block
        self.open_bytes = 0
        self.open_txs = 0
        self.sealed: list[SealedBatch] = []
        self.next_index = 0
        self.last_seal = clock()
        self.posted_ends: dict[int, int] = {}  # batch index -> its last L2 block
        self._catching_up = False
        self.status = BatcherStatus()
        self._wake = asyncio.Event()
        self._stopping = False
        self.bond = reader.contracts["commitments"].functions.BOND().call()

    # -- BlockObserver ---------------------------------------------------------------------

    def on_block(self, block: L2Block, txs) -> None:
        last = self.open_first + len(self.open) - 1 if self.open else (
            self.sealed[-1].last if self.sealed else self.status.last_posted_l2_block)
        if block.number != last + 1:
            return  # not ours to batch (already posted, or before catch_up ran)
        if not self.open:
            self.open_first = block.number
        posted = batch_block(block)
        item = encode_block(posted)
        self.open.append(item)
        self.open_bytes += len(item)
        self.open_txs += len(posted.txs)
        if self.open_bytes >= SEAL_AT_BYTES or len(self.open) >= MAX_BATCH_BLOCKS:
            self.seal(prove=not self._catching_up)

    # -- sealing -------------------------------------------------------------------------------

    def seal(self, prove: bool = True) -> int | None:
        """Close the open batch (call between blocks, with the state at its last block);
        returns its index. ``prove``: prove the withdrawals made since the last proof under
        this batch's root (``catch_up`` defers them to the last batch it seals, whose root
        is the head's and holds every earlier withdrawal too)."""
        self.last_seal = self.clock()
        if not self.open:
            return None
        batch = SealedBatch(self.next_index, self.open_first, self.open, self.open_txs)
        self.next_index += 1
        self.open, self.open_bytes, self.open_txs = [], 0, 0
        if prove:
            self._prove(batch.index, batch.last)
        self.sealed.append(batch)
        self._wake.set()
        return batch.index

    def _prove(self, index: int, l2_block: int) -> None:
        state = self.chain.state
        self.proofs.checkpoint(state, state.backend.trie, index, l2_block)

    def seal_due(self) -> bool:
        return bool(self.open) and self.clock() - self.last_seal >= self.interval_s

    # -- restart ----------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Find where L1 is (posted batches and roots) and seal what is not posted.

        Run it at start, before the sequencer produces blocks (``run`` redoes it after a
        failed round): batches already on L1 are not posted again, missing roots are
        proposed, and every unposted block is sealed again after the last posted one."""
        self._reseal(self._sync_l1())

    def _sync_l1(self) -> int:
        """Read the inbox and propose the roots it lacks; returns the posted batch count.
        Blocking (JSON-RPC): run it off the event loop while the sequencer runs."""
        batches = self.reader.batch_count()
        missing = [i for i in range(batches) if i not in self.posted_ends]
        if missing:
            found = self.reader.batches(self.reader.first_block, self.reader.head())
            for batch in sorted(found, key=lambda b: b.index):
                if batch.index not in self.posted_ends:
                    self.posted_ends[batch.index] = self._derived_end(self.posted_ends.get(batch.index - 1, 0), batch)
        if self.propose_roots:
            for index in range(self.reader.commitment_count(), batches):
                self._propose(index, self.posted_ends[index])
        return batches

    def _derived_end(self, previous: int, batch: PostedBatch) -> int:
        """The L2 block derivation reaches after ``batch``, given ``previous`` after the one
        before: ``previous`` plus the blocks rule 1 uses, if they are this chain's blocks
        ``previous + 1...`` (which derive as they were built), else ``previous`` (see module
        docstring)."""
        decoded = decode_batch(batch.data)
        if decoded.reason:
            log.warning("batcher: inbox batch %d: blocks dropped from byte %d (%s)", batch.index, decoded.stop,
                        decoded.reason)
        used = blocks_used(previous, len(decoded.blocks), batch.last_l2_block)
        for offset, posted in enumerate(decoded.blocks[:used]):
            stored = self.chain.get_block(previous + 1 + offset)
            if stored is None or batch_block(stored) != posted:
                log.error("batcher: inbox batch %d derives blocks from %d that are not this chain's: L1 no longer "
                          "derives this sequencer's chain", batch.index, previous + 1)
                return previous
        return previous + used

    def _reseal(self, batches: int) -> None:
        """Re-seal every block after the last posted batch (on the event loop, between blocks)."""
        self.status.last_posted_l2_block = self.posted_ends.get(batches - 1, 0)
        self.status.batches_posted = self.next_index = batches
        self.proofs.forget_from(batches)
        self.open, self.open_bytes, self.open_txs, self.sealed = [], 0, 0, []
        self._catching_up = True
        try:
            for number in range(self.status.last_posted_l2_block + 1, self.chain.head_number + 1):
                block = self.chain.get_block(number)
                if block is not None:
                    self.on_block(block, ())
        finally:
            self._catching_up = False
        if self.open:
            self.seal()
        elif self.sealed:  # the last block filled a batch exactly: its root is the head's
            self._prove(self.sealed[-1].index, self.sealed[-1].last)

    # -- posting -----------------------------------------------------------------------------

    def post_once(self) -> int:
        """Post up to ``MAX_BATCHES_PER_ROUND`` sealed batches, then propose their roots, with
        all the round's transactions in flight at once (the L1 mines them in nonce order);
        returns the blocks posted. On a failure the batcher must ``catch_up`` (``run`` does):
        a later batch may have landed at the index of one that failed."""
        round_ = self.sealed[:MAX_BATCHES_PER_ROUND]
        if not round_:
            return 0
        inbox = self.reader.contracts["inbox"]
        in_flight = []
        for batch in round_:
            data = batch.data
            if len(data) > MAX_CALLDATA_BYTES:  # cannot happen below SEAL_AT_BYTES; say so loudly
                raise RuntimeError(f"batcher: batch {batch.index} is {len(data)} bytes > {MAX_CALLDATA_BYTES}")
            in_flight.append((batch, data, self.sequencer_tx.submit_call(inbox, "append_batch", data, batch.last)))
        posted = []
        for batch, data, submitted in in_flight:
            sent = self.sequencer_tx.wait(submitted)
            self.sealed.pop(0)
            landed = inbox.events.BatchAppended().process_receipt(sent.receipt)[0].args.index
            if landed != batch.index:  # another batch came first: catch_up proposes from what the inbox holds
                raise RuntimeError(f"batcher: batch {batch.index} landed at inbox index {landed}")
            self.posted_ends[batch.index] = batch.last
            status = self.status
            status.batches_posted += 1
            status.last_posted_l2_block = batch.last
            status.l1_gas_used += sent.gas_used
            status.bytes_posted += len(data)
            status.txs_posted += batch.txs
            posted.append((batch.index, batch.last))
            log.info("batcher: batch %d: L2 blocks %d-%d, %d bytes, %d gas", batch.index, batch.first, batch.last,
                     len(data), sent.gas_used)
        if self.propose_roots:
            proposals = [(index, last, self._submit_proposal(index, last, gas=None if i == 0 else PROPOSE_GAS))
                         for i, (index, last) in enumerate(posted)]
            for index, last, submitted in proposals:
                self.proposer_tx.wait(submitted)
                self.status.roots_proposed += 1
                log.info("proposer: root %d for L2 block %d", index, last)
        return sum(len(batch.items) for batch, _, _ in in_flight)

    def _submit_proposal(self, index: int, last_l2_block: int, gas: int | None):
        block = self.chain.get_block(last_l2_block)
        if block is None:
            raise RuntimeError(f"proposer: L2 block {last_l2_block} is not in the store")
        return self.proposer_tx.submit_call(self.reader.contracts["commitments"], "propose", index, last_l2_block,
                                            block.state_root, value=self.bond, gas=gas)

    def _propose(self, index: int, last_l2_block: int) -> None:
        self.proposer_tx.wait(self._submit_proposal(index, last_l2_block, None))
        self.status.roots_proposed += 1
        log.info("proposer: root %d for L2 block %d", index, last_l2_block)

    async def run(self) -> None:
        """Seal on time, post and propose until ``stop()``; L1 errors are logged and retried."""
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), min(self.interval_s, 0.5))
            except TimeoutError:
                pass
            self._wake.clear()
            if self.seal_due():
                self.seal()
            while self.sealed and not self._stopping:
                try:
                    await asyncio.to_thread(self.post_once)
                    self.status.last_error = ""
                except Exception as exc:  # L1 down or slow, a revert: find our place again, retry
                    self.status.last_error = repr(exc)
                    log.error("batcher: posting failed (will retry): %s", exc)
                    await asyncio.sleep(1.0)
                    try:
                        self._reseal(await asyncio.to_thread(self._sync_l1))
                    except Exception as again:
                        log.error("batcher: cannot read L1 yet: %s", again)
                    break

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
