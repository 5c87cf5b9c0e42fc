"""The follower's derivation and restart: rule 1 (a batch posted again declares a block
already reached and adds none, by the rules and the follower alike), ``batch_last_block``
for every batch, and a restart that resumes at the next batch index from its records (after
a clean stop, and after a crash in the middle of a batch), deriving the same chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from node.derivation.follower import Follower, L1Reorged, StoreDiverged
from node.derivation.progress import BatchRecord, MemoryDerivationLog, StoreDerivationLog
from node.derivation.rules import DerivedBlock, derive_batch
from node.l1.batch_codec import decode_batch, encode_batch
from node.l1.batcher import batch_block
from node.l1.watcher import L1Watcher
from node.sequencer.dev import dev_chain
from node.sequencer.sequencer import Sequencer
from node.stf.state import State
from node.stf.txtypes import PlaceOrder, TxType
from node.store.lmdb_backend import LmdbBackend
from node.store.lmdb_store import BlockStore
from node.store.sink import LmdbBlockSink
from node.wallet import address_of, sign_tx
from tests.node.l1.scripted_l1 import BLOCK_TIME_S, ScriptedL1

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6


def sequence(l1: ScriptedL1) -> Sequencer:
    """An honest sequencer on ``l1``: the dev set-up, an L1 deposit for alice, then orders in
    blocks of their own."""
    alice = CHAIN.accounts["alice"]

    async def scenario() -> Sequencer:
        watcher = L1Watcher(l1, confirmations=0)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: l1.time_of(l1.height), block_time_ms=1)
        watcher.poll()
        sequencer.set_l1(watcher)
        await sequencer.start()
        for raw in CHAIN.setup_txs:
            if raw[0] != TxType.DEPOSIT:
                await sequencer.submit_system(raw)
        l1.deposit(address_of(alice), 50_000 * E6)
        watcher.poll()
        for nonce in range(4):
            await sequencer.submit(sign_tx(alice, PlaceOrder(nonce, 5, 1, (60 + nonce) * E6, E6, 0, False, 0, 0),
                                           CHAIN.genesis.domain))
        await sequencer.stop()
        return sequencer

    return asyncio.run(asyncio.wait_for(scenario(), 30))


def post(l1: ScriptedL1, sequencer: Sequencer, numbers: range) -> None:
    l1.post_batch(encode_batch([batch_block(sequencer.get_block(n)) for n in numbers]), numbers[-1])


@pytest.fixture(scope="module")
def posted():
    """The sequencer's chain posted as batches 0, 1, a batch repeating batch 1's blocks (2), then 3."""
    l1 = ScriptedL1(genesis_time=T0 - 10 * BLOCK_TIME_S)
    sequencer = sequence(l1)
    head = sequencer.head_number
    post(l1, sequencer, range(1, head - 3))
    post(l1, sequencer, range(head - 3, head - 1))
    post(l1, sequencer, range(head - 3, head - 1))  # posted again
    post(l1, sequencer, range(head - 1, head + 1))
    return l1, sequencer


def replica_in(path: Path) -> tuple[Sequencer, BlockStore]:
    store = BlockStore(path)
    backend = LmdbBackend(store)
    if store.head() is None:
        store.set_genesis(CHAIN.genesis)
        replica = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend))
    else:
        replica = Sequencer(State(backend), sink=LmdbBlockSink(backend))
    replica.set_replica()
    return replica, store


def same_chain(replica: Sequencer, sequencer: Sequencer) -> None:
    assert replica.head_number == sequencer.head_number
    for number in range(1, sequencer.head_number + 1):
        ours, theirs = sequencer.get_block(number), replica.get_block(number)
        assert (theirs.timestamp, theirs.txs, theirs.state_root) == (ours.timestamp, ours.txs, ours.state_root), number


def test_a_batch_posted_again_adds_nothing_by_the_rules_and_the_follower(posted):
    l1, sequencer = posted
    replica = Sequencer.from_genesis(CHAIN.genesis)
    replica.set_replica()
    follower = Follower(l1, replica, confirmations=0)
    follower.step()
    head = sequencer.head_number
    same_chain(replica, sequencer)  # the repeated batch added nothing (nothing was due)
    assert follower.status.skipped_batches == [2]
    assert follower.batch_last_block == {0: head - 4, 1: head - 2, 2: head - 2, 3: head}
    bad = l1.batch_log[2]
    decoded = decode_batch(bad.data)
    assert len(decoded.blocks) == 2 and decoded.complete
    derivation = derive_batch(sequencer.tip_at(head - 2), decoded.blocks, bad.last_l2_block,
                              bad.view(l1.deposit_log, []))
    assert derivation.blocks == () and derivation.used == 0
    assert derivation.dropped == f"blocks {head - 1}-{head} are past the declared last block {head - 2}"


def test_a_restarted_follower_resumes_at_the_next_batch_and_derives_the_same_chain(posted, tmp_path):
    l1, sequencer = posted
    full_height = l1.height
    l1.height = l1.batch_log[1].l1_block  # L1 as far as batch 1
    try:
        replica, store = replica_in(tmp_path)
        first = Follower(l1, replica, confirmations=0, progress=StoreDerivationLog(store))
        first.step()
        assert first.batch_last_block == {0: sequencer.head_number - 4, 1: sequencer.head_number - 2}
        store.close()
    finally:
        l1.height = full_height
    replica, store = replica_in(tmp_path)
    try:
        records = StoreDerivationLog(store).records()
        assert [(r.index, r.l1_block, r.last_l2_block) for r in records] == [
            (0, l1.batch_log[0].l1_block, sequencer.head_number - 4),
            (1, l1.batch_log[1].l1_block, sequencer.head_number - 2)]
        again = Follower(l1, replica, confirmations=0, progress=StoreDerivationLog(store))
        assert again.batch_last_block == first.batch_last_block  # known before any L1 read
        assert again.step() == 2  # batches 0 and 1 are read again but not derived
        same_chain(replica, sequencer)
        assert again.status.skipped_batches == [2] and again.status.batches == 4
        assert again.batch_last_block[3] == sequencer.head_number
    finally:
        store.close()


def test_a_crash_in_the_middle_of_a_batch_resumes_from_its_start(posted):
    l1, sequencer = posted
    # as if the follower had died after batch 3's first block, before batch 3's record
    follower = resumed_after_batch_2(l1, sequencer, _derived(sequencer, sequencer.head_number - 1))
    assert follower.step() == 1  # batch 3's second block; its first is checked, not applied again
    same_chain(follower.chain, sequencer)
    assert [r.index for r in follower.progress.records()] == [0, 1, 2, 3]


def _derived(sequencer: Sequencer, number: int) -> DerivedBlock:
    block = sequencer.get_block(number)
    return DerivedBlock(block.number, block.timestamp, block.deposits_through, block.forced_through, block.txs)


def resumed_after_batch_2(l1: ScriptedL1, sequencer: Sequencer, last: DerivedBlock) -> Follower:
    """A follower restarted with records of batches 0-2 and a store whose last block is ``last``."""
    log = MemoryDerivationLog()
    Follower(l1, Sequencer.from_genesis(CHAIN.genesis), confirmations=0, progress=log).step()
    replica = Sequencer.from_genesis(CHAIN.genesis)
    replica.set_replica()
    for number in range(1, last.number):
        replica.import_block(_derived(sequencer, number))
    replica.import_block(last)
    partial = MemoryDerivationLog()
    for record in log.records()[:3]:
        partial.put(record)
    return Follower(l1, replica, confirmations=0, progress=partial)


def test_a_stored_block_that_derivation_disagrees_with_stops_the_follower(posted):
    l1, sequencer = posted
    good = _derived(sequencer, sequencer.head_number - 1)
    assert resumed_after_batch_2(l1, sequencer, good).step() == 1
    wrong = DerivedBlock(good.number, good.timestamp + 1, good.deposits_through, good.forced_through, good.txs)
    with pytest.raises(StoreDiverged, match=f"stored L2 block {good.number} differs"):
        resumed_after_batch_2(l1, sequencer, wrong).step()


def test_a_recorded_batch_moved_by_a_reorganisation_stops_the_follower(posted):
    l1, sequencer = posted
    replica = Sequencer.from_genesis(CHAIN.genesis)
    replica.set_replica()
    log = MemoryDerivationLog()
    Follower(l1, replica, confirmations=0, progress=log).step()
    moved = log.records()[0]
    log.put(BatchRecord(moved.index, moved.l1_block, b"\xee" * 32, moved.last_l2_block))
    with pytest.raises(L1Reorged):
        Follower(l1, replica, confirmations=0, progress=log).step()
