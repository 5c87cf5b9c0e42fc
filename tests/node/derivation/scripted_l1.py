"""A scripted L1 for follower tests: the reads ``L1Reader`` offers, answered from lists.

``ScriptedL1`` holds deposits, batches and proposals at L1 blocks the test chooses (each
``post_*`` call mines one L1 block); ``FlakyL1`` wraps one and fails its ``n``-th read once,
as a JSON-RPC endpoint that drops a request would. ``replica()`` is a fresh chain on the
dev genesis for a follower to drive.
"""

from __future__ import annotations

from node.derivation.follower import Follower
from node.l1.batch_codec import BatchBlock, encode_batch
from node.l1.genesis_anchor import genesis_state_root
from node.l1.reader import Proposal
from node.sequencer.dev import dev_chain
from node.sequencer.sequencer import Sequencer
from tests.node.l1.scripted_l1 import ScriptedL1 as BaseScriptedL1

T0 = 1_796_112_000
GENESIS = dev_chain(T0).genesis
READS = ("head", "block_hash", "deposits", "forced", "batches", "proposals", "genesis_root")


def replica(genesis=GENESIS) -> Sequencer:
    chain = Sequencer.from_genesis(genesis)
    chain.set_replica()
    return chain


def empty_blocks(first: int, count: int, deposits_through: int = 0) -> tuple[list[BatchBlock], int]:
    """``count`` blocks meant as blocks ``first...`` with no sequenced transactions, one second
    apart, and the last one's number (what their batch declares)."""
    return [BatchBlock(T0 + n, deposits_through, 0, ()) for n in range(first, first + count)], first + count - 1


class ScriptedL1(BaseScriptedL1):
    """``tests.node.l1.scripted_l1.ScriptedL1`` from L1 block 1 at ``T0``, with proposals
    and batches posted as ``BatchBlock`` lists (see module docstring)."""

    def __init__(self, genesis_root: bytes = genesis_state_root(GENESIS)) -> None:
        super().__init__(height=1, genesis_time=T0, genesis_root=genesis_root)
        self.proposal_log: list[Proposal] = []

    def post_deposit(self, recipient: bytes, amount_e6: int) -> None:
        self.deposit(recipient, amount_e6)

    def post_batch(self, blocks: list[BatchBlock], declared: int,  # type: ignore[override]
                   *, data: bytes | None = None) -> int:
        """Post ``blocks`` (or raw ``data``) declaring ``declared`` as the last block; its index."""
        return super().post_batch(encode_batch(blocks) if data is None else data, declared).index

    def propose(self, last_l2_block: int, state_root: bytes) -> None:
        index = len(self.proposal_log)
        self.proposal_log.append(Proposal(index, last_l2_block, state_root, 0, self.mine()))

    def proposals(self, first: int, last: int) -> list[Proposal]:
        return [p for p in self.proposal_log if first <= p.l1_block <= last]


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
