"""A scripted L1 for follower tests: the reads ``L1Reader`` offers, answered from lists.

``ScriptedL1`` holds deposits, batches and proposals at L1 blocks the test chooses (each
``post_*`` call mines one L1 block); ``FlakyL1`` wraps one and fails its ``n``-th read once,
as a JSON-RPC endpoint that drops a request would. ``replica()`` is a fresh chain on the
dev genesis for a follower to drive.
"""

from __future__ import annotations

from node.derivation.follower import Follower
from node.derivation.rules import L1Deposit, L1Forced
from node.l1.batch_codec import BatchBlock, encode_batch
from node.l1.genesis_anchor import genesis_state_root
from node.l1.reader import PostedBatch, Proposal
from node.sequencer.dev import dev_chain
from node.sequencer.sequencer import Sequencer
from node.stf.hashing import keccak256

T0 = 1_796_112_000
GENESIS = dev_chain(T0).genesis
READS = ("head", "block_hash", "deposits", "forced", "batches", "proposals", "genesis_root")


def replica(genesis=GENESIS) -> Sequencer:
    chain = Sequencer.from_genesis(genesis)
    chain.set_replica()
    return chain


def empty_blocks(first: int, count: int, deposits_through: int = 0) -> list[BatchBlock]:
    """``count`` blocks from ``first`` with no sequenced transactions, one second apart."""
    return [BatchBlock(n, T0 + n, deposits_through, 0, ()) for n in range(first, first + count)]


class ScriptedL1:
    """An L1 whose events are lists (see module docstring); block ``n`` has time ``T0 + 12 n``."""

    first_block = 1

    def __init__(self, genesis_root: bytes = genesis_state_root(GENESIS)) -> None:
        self.height = 1
        self.root = genesis_root
        self.deposit_log: list[L1Deposit] = []
        self.forced_log: list[L1Forced] = []
        self.batch_log: list[PostedBatch] = []
        self.proposal_log: list[Proposal] = []

    def mine(self) -> int:
        self.height += 1
        return self.height

    def post_deposit(self, recipient: bytes, amount_e6: int) -> None:
        block = self.mine()
        self.deposit_log.append(L1Deposit(len(self.deposit_log), recipient, amount_e6, self.l1_time(block) + 120, block))

    def post_batch(self, blocks: list[BatchBlock], *, data: bytes | None = None, declared: int | None = None) -> int:
        """Post ``blocks`` (or raw ``data``) declaring ``declared`` (default: the last block); its index."""
        index, l1_block = len(self.batch_log), self.mine()
        payload = encode_batch(blocks) if data is None else data
        last = blocks[-1].number if declared is None else declared
        self.batch_log.append(PostedBatch(index, payload, l1_block, self.block_hash(l1_block), self.l1_time(l1_block),
                                          keccak256(payload), last))
        return index

    def propose(self, last_l2_block: int, state_root: bytes) -> None:
        index = len(self.proposal_log)
        self.proposal_log.append(Proposal(index, last_l2_block, state_root, 0, self.mine()))

    @staticmethod
    def l1_time(number: int) -> int:
        return T0 + 12 * number

    # -- the reads of ``L1Reader`` ----------------------------------------------------------

    def head(self) -> int:
        return self.height

    def block_hash(self, number: int) -> bytes:
        return keccak256(number.to_bytes(8, "big"))

    def deposits(self, first: int, last: int) -> list[L1Deposit]:
        return [d for d in self.deposit_log if first <= d.l1_block <= last]

    def forced(self, first: int, last: int) -> list[L1Forced]:
        return [f for f in self.forced_log if first <= f.l1_block <= last]

    def batches(self, first: int, last: int) -> list[PostedBatch]:
        return [b for b in self.batch_log if first <= b.l1_block <= last]

    def proposals(self, first: int, last: int) -> list[Proposal]:
        return [p for p in self.proposal_log if first <= p.l1_block <= last]

    def genesis_root(self) -> bytes:
        return self.root


class TransientL1Error(ConnectionError):
    """What a dropped JSON-RPC request raises here."""


class FlakyL1:
    """``l1``'s reads, the ``fail_at``-th of which (counting from 0) raises once."""

    def __init__(self, l1: ScriptedL1, fail_at: int) -> None:
        self.l1 = l1
        self.first_block = l1.first_block
        self.fail_at = fail_at
        self.reads = 0

    def __getattr__(self, name: str):
        read = getattr(self.l1, name)
        if name not in READS:
            return read

        def counted(*args):
            self.reads += 1
            if self.reads - 1 == self.fail_at:
                raise TransientL1Error(f"read {self.fail_at} ({name}) dropped")
            return read(*args)
        return counted


def follow(l1, chain: Sequencer | None = None, **options) -> Follower:
    """A follower of ``l1`` on ``chain`` (a fresh replica by default), stepped until it has read the head."""
    follower = Follower(l1, chain if chain is not None else replica(), confirmations=0, **options)
    while follower.status.l1_block < l1.head():
        follower.step()
    return follower
