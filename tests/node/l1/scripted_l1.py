"""A scripted L1 reader: a chain whose blocks, queue entries and batches a test writes, and
which the test can reorganise deeper than any confirmation count (the devnet cannot).

It answers what ``node.l1.reader.L1Reader`` answers (``head``, ``block``, ``block_hash``,
``forced_window``, ``deposits``, ``forced``, ``batches``, ``proposals``), so the real
watcher and follower run on it. Block ``n`` has time ``genesis_time + n * BLOCK_TIME_S``.
"""

from __future__ import annotations

from node.derivation.rules import L1Deposit, L1Forced
from node.l1.genesis_anchor import genesis_state_root
from node.l1.reader import L1Block, PostedBatch
from node.sequencer.dev import dev_chain

BLOCK_TIME_S = 12
GENESIS_TIME = 1_796_112_000 - 10_000
DEV_GENESIS_ROOT = genesis_state_root(dev_chain(1_796_112_000).genesis)


class ScriptedL1:
    first_block = 1

    def __init__(self, height: int = 10, window_s: int = 120, genesis_time: int = GENESIS_TIME,
                 genesis_root: bytes = DEV_GENESIS_ROOT) -> None:
        self.height = height
        self.root = genesis_root
        self.window_s = window_s
        self.genesis_time = genesis_time
        self.generation: dict[int, int] = {}  # block -> how many times it was replaced
        self.deposit_log: list[L1Deposit] = []
        self.forced_log: list[L1Forced] = []
        self.batch_log: list[PostedBatch] = []
        self.reads = 0

    # -- the reader's interface ------------------------------------------------------------

    def head(self) -> int:
        self.reads += 1
        return self.height

    def time_of(self, number: int) -> int:
        return self.genesis_time + number * BLOCK_TIME_S

    def block_hash(self, number: int) -> bytes:
        if number > self.height:
            raise ValueError(f"no L1 block {number} yet")
        return bytes([self.generation.get(number, 0)]) + number.to_bytes(31, "big")

    def block(self, number: int) -> L1Block:
        return L1Block(number, self.block_hash(number), self.time_of(number))

    def forced_window(self) -> int:
        return self.window_s

    def deposits(self, first: int, last: int) -> list[L1Deposit]:
        return [d for d in self.deposit_log if first <= d.l1_block <= last]

    def forced(self, first: int, last: int) -> list[L1Forced]:
        return [f for f in self.forced_log if first <= f.l1_block <= last]

    def batches(self, first: int, last: int) -> list[PostedBatch]:
        return [b for b in self.batch_log if first <= b.l1_block <= last]

    def proposals(self, first: int, last: int) -> list:
        return []

    def genesis_root(self) -> bytes:
        return self.root

    # -- writing the chain -------------------------------------------------------------------

    def mine(self, count: int = 1) -> int:
        self.height += count
        return self.height

    def deposit(self, recipient: bytes, amount_e6: int) -> L1Deposit:
        """Queue a deposit in a new block (the head)."""
        block = self.mine()
        entry = L1Deposit(len(self.deposit_log), recipient, amount_e6, self.time_of(block) + self.window_s, block)
        self.deposit_log.append(entry)
        return entry

    def force(self, raw_tx: bytes) -> L1Forced:
        """Queue a forced transaction in a new block (the head)."""
        block = self.mine()
        entry = L1Forced(len(self.forced_log), raw_tx, self.time_of(block) + self.window_s, block)
        self.forced_log.append(entry)
        return entry

    def post_batch(self, data: bytes, last_l2_block: int) -> PostedBatch:
        """Post batch bytes declaring ``last_l2_block`` (as the inbox records it) in a new block
        (the head); the batch sees every entry queued before it."""
        block = self.mine()
        batch = PostedBatch(len(self.batch_log), data, block, self.block_hash(block), self.time_of(block),
                            b"\x00" * 32, last_l2_block, len(self.deposit_log), len(self.forced_log))
        self.batch_log.append(batch)
        return batch

    def reorg(self, from_block: int) -> None:
        """Replace every block from ``from_block`` (their hashes change) and drop what they held."""
        for number in range(from_block, self.height + 1):
            self.generation[number] = self.generation.get(number, 0) + 1
        self.deposit_log = [d for d in self.deposit_log if d.l1_block < from_block]
        self.forced_log = [f for f in self.forced_log if f.l1_block < from_block]
        self.batch_log = [b for b in self.batch_log if b.l1_block < from_block]
