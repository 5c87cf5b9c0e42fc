"""The batcher and proposer: post the sequencer's blocks to L1, then a state root per batch.

``Batcher(chain, reader, sequencer_tx, proposer_tx)`` is a ``BlockObserver``: committed
blocks are queued as ``BatchBlock``s (the sequenced transactions only; the L1-derived
ones are rebuilt by derivation from the queues). ``run()`` posts a batch every
``interval_s`` (or sooner once ``max_batch_bytes`` of RLP are waiting) with
``BatchInbox.append_batch``, waits for its receipt, then proposes the state root after
the batch's last block with ``StateCommitments.propose`` and the bond.

L1 calls block, so they run in a worker thread (``asyncio.to_thread``); the sequencer's
loop never waits for L1. Restart: ``catch_up()`` reads the inbox and the commitments,
finds the last L2 block already posted (by decoding the last batch), re-queues every later
stored block, and proposes any batch that has no root yet, so a crash between posting and
proposing loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final, Protocol

from node.l1.batch_codec import BatchBlock, decode_batch, encode_batch, encode_blocks
from node.l1.reader import L1Reader
from node.sequencer.sequencer import BlockObserver, L2Block

from bridge.l1 import L1TxFailed, Transactor

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S: Final = 2.0
MAX_BATCH_RLP_BYTES: Final = 400_000     # before compression (~110 KB compressed worst case)
MAX_CALLDATA_BYTES: Final = 120_000      # BatchInbox.MAX_BATCH_BYTES


class BlockSource(Protocol):
    head_number: int

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
    """The batch form of a committed block: header, queue positions, sequenced transactions."""
    return BatchBlock(block.number, block.timestamp, block.deposits_through, block.forced_through,
                      block.txs[block.l1_tx_count:])


class Batcher(BlockObserver):
    """Posts batches and proposes roots (see module docstring)."""

    def __init__(self, chain: BlockSource, reader: L1Reader, sequencer_tx: Transactor, proposer_tx: Transactor,
                 *, interval_s: float = DEFAULT_INTERVAL_S, propose: bool = True) -> None:
        self.chain = chain
        self.reader = reader
        self.sequencer_tx = sequencer_tx
        self.proposer_tx = proposer_tx
        self.interval_s = interval_s
        self.propose_roots = propose
        self.queue: list[BatchBlock] = []
        self.queued_bytes = 0
        self.status = BatcherStatus()
        self._full = asyncio.Event()
        self._stopping = False
        self.bond = reader.contracts["commitments"].functions.BOND().call()

    # -- BlockObserver ---------------------------------------------------------------------

    def on_block(self, block: L2Block, txs) -> None:
        if block.number <= self.status.last_posted_l2_block:
            return
        if self.queue and block.number != self.queue[-1].number + 1:
            return  # already queued by catch_up
        item = batch_block(block)
        self.queue.append(item)
        self.queued_bytes += sum(len(t) for t in item.txs) + 32
        if self.queued_bytes >= MAX_BATCH_RLP_BYTES:
            self._full.set()

    # -- restart ----------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Find where L1 is (last posted block, missing roots) and queue what is not posted."""
        batches = self.reader.batch_count()
        last_posted = 0
        posted_ends: list[int] = []
        if batches:
            found = self.reader.batches(self.reader.first_block, self.reader.head())
            posted_ends = [decode_batch(b.data)[-1].number for b in found]
            last_posted = posted_ends[-1]
        self.status.last_posted_l2_block = last_posted
        self.status.batches_posted = batches
        if self.propose_roots:
            for index in range(self.reader.commitment_count(), batches):
                self._propose(index, posted_ends[index])
        self.queue, self.queued_bytes = [], 0
        for number in range(last_posted + 1, self.chain.head_number + 1):
            block = self.chain.get_block(number)
            if block is not None:
                self.on_block(block, ())

    # -- posting -----------------------------------------------------------------------------

    def _take(self) -> list[BatchBlock]:
        """The oldest queued blocks whose batch fits the inbox's calldata limit."""
        take = len(self.queue)
        while take > 1 and len(encode_blocks(self.queue[:take])) > MAX_BATCH_RLP_BYTES:
            take //= 2
        return self.queue[:take]

    def post_once(self) -> int:
        """Post one batch of the queued blocks and propose its root; returns blocks posted."""
        blocks = self._take()
        if not blocks:
            return 0
        data = encode_batch(blocks)
        while len(data) > MAX_CALLDATA_BYTES and len(blocks) > 1:
            blocks = blocks[: len(blocks) // 2]
            data = encode_batch(blocks)
        index = self.status.batches_posted
        sent = self.sequencer_tx.transact(self.reader.contracts["inbox"], "append_batch", data)
        self.queue = self.queue[len(blocks):]
        self.queued_bytes = sum(sum(len(t) for t in b.txs) + 32 for b in self.queue)
        status = self.status
        status.batches_posted += 1
        status.last_posted_l2_block = blocks[-1].number
        status.l1_gas_used += sent.gas_used
        status.bytes_posted += len(data)
        status.txs_posted += sum(len(b.txs) for b in blocks)
        log.info("batcher: batch %d: L2 blocks %d-%d, %d bytes, %d gas", index, blocks[0].number,
                 blocks[-1].number, len(data), sent.gas_used)
        if self.propose_roots:
            self._propose(index, blocks[-1].number)
        return len(blocks)

    def _propose(self, index: int, last_l2_block: int) -> None:
        block = self.chain.get_block(last_l2_block)
        if block is None:
            raise RuntimeError(f"proposer: L2 block {last_l2_block} is not in the store")
        self.proposer_tx.transact(self.reader.contracts["commitments"], "propose", index, last_l2_block,
                                  block.state_root, value=self.bond)
        self.status.roots_proposed += 1
        log.info("proposer: root %d for L2 block %d: 0x%s", index, last_l2_block, block.state_root.hex())

    async def run(self) -> None:
        """Post and propose until ``stop()``; L1 errors are logged and retried next round."""
        while not self._stopping:
            try:
                await asyncio.wait_for(self._full.wait(), self.interval_s)
            except TimeoutError:
                pass
            self._full.clear()
            while self.queue:
                try:
                    await asyncio.to_thread(self.post_once)
                    self.status.last_error = ""
                except (L1TxFailed, OSError, RuntimeError) as exc:
                    self.status.last_error = str(exc)
                    log.error("batcher: posting failed (will retry): %s", exc)
                    break
                except Exception as exc:  # web3 raises many kinds for a node that is down
                    self.status.last_error = repr(exc)
                    log.exception("batcher: posting failed (will retry)")
                    break
                if self._stopping:
                    break

    def stop(self) -> None:
        self._stopping = True
        self._full.set()
