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

**Nothing is sent twice.** A transaction sent is kept (``in_flight`` batches,
``proposing`` roots, ``returning`` bonds) until it is mined or failed: a slow or stopped
L1 makes ``wait`` time out (``L1TxPending``), the transaction stays on its nonce (the
``Transactor`` re-signs it there with higher fees) and the next round waits on it again.
Any other failure (a revert, a stranger on a nonce, a batch that landed elsewhere) makes
the batcher settle everything in flight, then rebuild its view from what the inbox and
the commitments hold (``catch_up``) before it sends anything else.

**Repair.** If L1's last root names another state than this chain has at its block
(``_l1_root_disagrees``: roots proposed by someone else, or by a node on another chain),
no root is proposed after it (they would fall with it), ``status.last_error`` says so and
the node keeps running; once the dispute game removes the wrong root, the next sync
proposes from there.

**Bonds.** Every ``bond_poll_s`` the proposer returns the bonds of its final roots
(``return_bonds``; roots are final in index order, so the scan stops at the first that is not).

L1 calls block, so they run in a worker thread (``asyncio.to_thread``); the sequencer's
loop never waits for L1. Restart: ``catch_up()`` settles what this process or an earlier
one left in flight (``Transactor.clear_stuck``), reads the inbox and the commitments,
finds the last L2 block already posted (by decoding the last batch), re-queues every later
stored block, and proposes any batch that has no root yet, so a crash between posting and
proposing loses nothing. Until it has succeeded, blocks are not batched (it re-seals them
all), and ``run`` retries it; it never stops the node.
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

from bridge.l1 import L1TxFailed, L1TxPending, Submitted, Transactor

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
RETURN_BOND_GAS: Final = 100_000    # a bond return queued behind another (~40k used)
MAX_BONDS_PER_ROUND: Final = 16
MAX_BOND_SCAN_PER_ROUND: Final = 256  # roots read per round (a restart scans its way up from root 0)
DEFAULT_BOND_POLL_S: Final = 30.0


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
    bonds_returned: int = 0
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
                 bond_poll_s: float = DEFAULT_BOND_POLL_S, clock=time.monotonic) -> None:
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
        # Transactions sent and not yet settled (mined or failed): never sent again.
        self.in_flight: list[tuple[SealedBatch, Submitted]] = []
        self.proposing: list[tuple[int, int, Submitted]] = []  # (root index, L2 block, tx)
        self.returning: list[tuple[int, Submitted]] = []       # (root index, return_bond tx)
        self.synced = False    # catch_up done: blocks are batched from where L1 is
        self.bond_poll_s = bond_poll_s
        self.next_bond = 0     # the lowest root whose bond may still be ours to return
        self._last_bond_poll = -float("inf")
        self._catching_up = False
        self.status = BatcherStatus()
        self._wake = asyncio.Event()
        self._stopping = False
        self.bond = reader.contracts["commitments"].functions.BOND().call()

    # -- BlockObserver ---------------------------------------------------------------------

    def on_block(self, block: L2Block, txs) -> None:
        if not self.synced and not self._catching_up:
            return  # catch_up re-seals every stored block after the last posted one
        last = self.open_first + len(self.open) - 1 if self.open else (
            self.sealed[-1].last if self.sealed else
            self.in_flight[-1][0].last if self.in_flight else self.status.last_posted_l2_block)
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
        failed round): transactions in flight are waited for first (``settle``), batches
        already on L1 are not posted again, missing roots are proposed, and every unposted
        block is sealed again after the last posted one."""
        self.synced = False  # until the re-seal: blocks meanwhile are re-sealed with the rest
        self.settle()
        self._reseal(self._sync_l1())

    def settle(self) -> None:
        """Wait until no transaction of this batcher is unsettled: its own in flight (mined
        or failed, their nonces are spent either way), then any an earlier process left in
        the L1 node's pool (``Transactor.clear_stuck``). ``L1TxPending`` if some are still
        pending after the receipt timeout (they stay in flight). Blocking."""
        while self.in_flight:
            self._settle_one(self.sequencer_tx, self.in_flight[0][1])
            self.in_flight.pop(0)
        self.sealed = []  # re-sealed from what L1 holds
        self._wait_proposals(count=False)
        self._wait_bond_returns()
        for sender in {id(t): t for t in (self.sequencer_tx, self.proposer_tx)}.values():
            if not sender.in_flight:  # another user of the same key has its own in flight: leave them
                sender.clear_stuck()

    @staticmethod
    def _settle_one(sender: Transactor, submitted: Submitted) -> None:
        try:
            sender.wait(submitted)
        except L1TxPending:
            raise
        except L1TxFailed as exc:
            log.warning("batcher: a transaction in flight failed (reconciling with L1): %s", exc)

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
            if any(i not in self.posted_ends for i in missing):
                raise RuntimeError(f"batcher: the inbox counts {batches} batches but their events up to L1 block "
                                   f"{self.reader.head()} do not hold them all (the L1 node is behind?)")
        if self.propose_roots:
            roots = self.reader.commitment_count()
            self.status.roots_proposed = roots  # the count on L1: the same across restarts
            if roots < batches and self._l1_root_disagrees(roots - 1):
                return batches
            for index in range(roots, batches):
                self._propose(index, self.posted_ends[index])
        return batches

    def _l1_root_disagrees(self, index: int) -> bool:
        """The repair check: does L1's root ``index`` name another state than this chain has
        at its L2 block? Then this proposer proposes nothing after it (roots after a wrong
        one fall with it): the dispute game removes it (a challenger, ``optrollup fault``),
        and proposing resumes from there on the next sync."""
        if index < 0:
            return False
        _, last_l2_block, root, *_ = self.reader.contracts["commitments"].functions.commitments(index).call()
        if bytes(root) == bytes(32):  # no such root yet
            return False
        expected = self.posted_ends.get(index)
        if expected is not None and last_l2_block != expected:  # e.g. a root proposed one batch behind
            problem = f"names L2 block {last_l2_block}, but batch {index} derives to block {expected}"
        else:
            block = self.chain.get_block(last_l2_block)
            if block is None or bytes(root) == block.state_root:
                return False
            problem = (f"(L2 block {last_l2_block}) is 0x{bytes(root).hex()}, this chain has "
                       f"0x{block.state_root.hex()}")
        self.status.last_error = (f"L1 root {index} {problem}: no root is proposed after it until a dispute game "
                                  "removes it")
        log.error("proposer: %s", self.status.last_error)
        return True

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
        self.synced = True

    # -- posting -----------------------------------------------------------------------------

    def post_once(self) -> int:
        """Send sealed batches (up to ``MAX_BATCHES_PER_ROUND`` in flight, the L1 mines them in
        nonce order), wait for them, then propose their roots; returns the blocks posted.
        ``L1TxPending`` when a transaction is not mined within the receipt timeout: it stays
        in flight (the next call waits on, with bumped fees); nothing is sent twice. On any
        other failure the batcher must ``catch_up`` (``run`` does): a later batch may have
        landed at the index of one that failed."""
        inbox = self.reader.contracts["inbox"]
        while self.sealed and len(self.in_flight) < MAX_BATCHES_PER_ROUND:
            batch = self.sealed[0]
            data = batch.data
            if len(data) > MAX_CALLDATA_BYTES:  # cannot happen below SEAL_AT_BYTES; say so loudly
                raise RuntimeError(f"batcher: batch {batch.index} is {len(data)} bytes > {MAX_CALLDATA_BYTES}")
            submitted = self.sequencer_tx.submit_call(inbox, "append_batch", data, batch.last)
            self.in_flight.append((self.sealed.pop(0), submitted))
        self._wait_proposals()  # the last round's, if they were slow (batches are sent meanwhile)
        posted, blocks = [], 0
        try:
            while self.in_flight:
                batch, submitted = self.in_flight[0]
                sent = self.sequencer_tx.wait(submitted)
                self.in_flight.pop(0)
                landed = inbox.events.BatchAppended().process_receipt(sent.receipt)[0].args.index
                if landed != batch.index:  # another batch came first: catch_up proposes from what the inbox holds
                    raise RuntimeError(f"batcher: batch {batch.index} landed at inbox index {landed}")
                self.posted_ends[batch.index] = batch.last
                status = self.status
                status.batches_posted += 1
                status.last_posted_l2_block = batch.last
                status.l1_gas_used += sent.gas_used
                status.bytes_posted += len(batch.data)
                status.txs_posted += batch.txs
                blocks += len(batch.items)
                posted.append((batch.index, batch.last))
                log.info("batcher: batch %d: L2 blocks %d-%d, %d bytes, %d gas", batch.index, batch.first,
                         batch.last, len(batch.data), sent.gas_used)
        finally:
            if self.propose_roots and posted and not self._l1_root_disagrees(posted[0][0] - 1):
                for index, last in posted:  # the roots of what landed, even if a later batch did not
                    self._submit_proposal(index, last)
        self._wait_proposals()
        return blocks

    def _submit_proposal(self, index: int, last_l2_block: int) -> None:
        block = self.chain.get_block(last_l2_block)
        if block is None:
            raise RuntimeError(f"proposer: L2 block {last_l2_block} is not in the store")
        gas = PROPOSE_GAS if self.proposing else None  # behind another proposal: cannot be estimated
        submitted = self.proposer_tx.submit_call(self.reader.contracts["commitments"], "propose", index,
                                                 last_l2_block, block.state_root, value=self.bond, gas=gas)
        self.proposing.append((index, last_l2_block, submitted))

    def _wait_proposals(self, count: bool = True) -> None:
        """Wait for the proposals in flight (``L1TxPending``: they stay in flight). A failed
        one raises ``L1TxFailed`` when ``count`` (the caller reconciles), else is logged."""
        while self.proposing:
            index, last, submitted = self.proposing[0]
            try:
                self.proposer_tx.wait(submitted)
            except L1TxPending:
                raise
            except L1TxFailed as exc:
                self.proposing.pop(0)
                if count:
                    raise
                log.warning("proposer: root %d failed (reconciling with L1): %s", index, exc)
                continue
            self.proposing.pop(0)
            self.status.roots_proposed += 1
            log.info("proposer: root %d for L2 block %d", index, last)

    def _propose(self, index: int, last_l2_block: int) -> None:
        self._submit_proposal(index, last_l2_block)
        self._wait_proposals()

    # -- bonds -------------------------------------------------------------------------------

    def return_bonds(self) -> int:
        """Return the bonds of this proposer's final roots (``StateCommitments.return_bond``),
        up to ``MAX_BONDS_PER_ROUND`` at once; returns how many were returned. Roots are
        final in index order, so the scan stops at the first that is not. Blocking."""
        self._wait_bond_returns()
        commitments = self.reader.contracts["commitments"]
        functions = commitments.functions
        count = functions.commitment_count().call()
        index, done = self.next_bond, self.status.bonds_returned
        ours = self.proposer_tx.address.lower()
        stop = min(count, index + MAX_BOND_SCAN_PER_ROUND)
        while index < stop and len(self.returning) < MAX_BONDS_PER_ROUND and functions.is_final(index).call():
            _, _, _, proposer, _, _, returned = functions.commitments(index).call()
            if proposer.lower() == ours and not returned:
                gas = RETURN_BOND_GAS if self.returning else None
                self.returning.append((index, self.proposer_tx.submit_call(commitments, "return_bond", index,
                                                                           gas=gas)))
            index += 1
        self._wait_bond_returns()
        self.next_bond = index
        return self.status.bonds_returned - done

    def _wait_bond_returns(self) -> None:
        while self.returning:
            index, submitted = self.returning[0]
            try:
                self.proposer_tx.wait(submitted)
            except L1TxPending:
                raise
            except L1TxFailed as exc:  # returned meanwhile by someone else (anyone may): fine
                log.warning("proposer: returning the bond of root %d failed: %s", index, exc)
            else:
                self.status.bonds_returned += 1
                log.info("proposer: bond of root %d returned", index)
            self.returning.pop(0)

    def bonds_due(self) -> bool:
        return self.propose_roots and self.clock() - self._last_bond_poll >= self.bond_poll_s

    # -- the loop ------------------------------------------------------------------------------

    async def _catch_up_async(self) -> None:
        """``catch_up`` with the L1 work in a worker thread and the re-seal on the loop."""
        self.synced = False
        await asyncio.to_thread(self.settle)
        self._reseal(await asyncio.to_thread(self._sync_l1))

    async def run(self) -> None:
        """Seal on time, post and propose, return bonds, until ``stop()``. A transaction not
        yet mined is waited on (never sent again); any other L1 error is logged, and the
        batcher catches up with L1 before it posts again."""
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), min(self.interval_s, 0.5))
            except TimeoutError:
                pass
            self._wake.clear()
            if not self.synced:
                try:
                    await self._catch_up_async()
                    self.status.last_error = ""
                except Exception as exc:  # L1 down, slow, or holding something unexpected: retry
                    self._failed("cannot catch up with L1 yet (will retry)", exc)
                    await asyncio.sleep(1.0)
                    continue
            if self.seal_due():
                self.seal()
            while (self.sealed or self.in_flight or self.proposing) and not self._stopping:
                try:
                    await asyncio.to_thread(self.post_once)
                    self.status.last_error = ""
                except L1TxPending as exc:  # the L1 is slow or stopped: wait on the same nonce
                    self._failed("waiting for L1", exc, error=False)
                    break
                except Exception as exc:  # a revert, a batch elsewhere, L1 down: find our place again
                    self._failed("posting failed (will catch up with L1 and retry)", exc)
                    self.synced = False
                    await asyncio.sleep(1.0)
                    break
            if self.synced and self.bonds_due() and not self._stopping:
                self._last_bond_poll = self.clock()
                try:
                    await asyncio.to_thread(self.return_bonds)
                except Exception as exc:
                    self._failed("returning bonds failed (will retry)", exc, error=False)

    def _failed(self, what: str, exc: Exception, *, error: bool = True) -> None:
        self.status.last_error = f"{what}: {exc}"
        (log.error if error else log.warning)("batcher: %s: %s", what, exc)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
