"""L1 reorganisations deeper than the confirmations: the follower stops, the sequencer's
watcher drops what it had not used and re-reads, and the sequencer halts rather than go on
from an entry it already included. A queue gap stops both.

(A real reorganisation cannot be made on the devnet: these drive the real watcher, follower
and sequencer with a scripted L1 whose blocks change.)"""

from __future__ import annotations

import asyncio

import pytest

from node.derivation.follower import Follower, L1Reorged
from node.l1.watcher import L1Inconsistent, L1Watcher
from node.sequencer.dev import dev_chain
from node.sequencer.sequencer import BlockObserver, L1ViewInvalid, Sequencer, SequencerHalted
from node.stf import accounts
from node.wallet import address_of
from tests.node.l1.scripted_l1 import ScriptedL1

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
ALICE, BOB = address_of(CHAIN.accounts["alice"]), address_of(CHAIN.accounts["bob"])
E6 = 10**6


def sequencer_on(l1: ScriptedL1, watcher: L1Watcher) -> Sequencer:
    """A sequencer (not running: blocks are closed by hand) whose clock is the L1 head's time."""
    sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: l1.time_of(l1.height))
    sequencer.set_l1(watcher)
    return sequencer


def balance(sequencer: Sequencer, address: bytes) -> int:
    return accounts.load(sequencer.state, address).balance_e6


class Halts(BlockObserver):
    def __init__(self) -> None:
        self.failures: list[BaseException | None] = []

    def on_halt(self, failure) -> None:
        self.failures.append(failure)

    def state_root_at(self, number: int) -> bytes | None:
        return self.GENESIS_ROOT if number == 0 else None


def test_follower_stops_when_a_used_block_changes():
    l1 = ScriptedL1()
    follower = Follower(l1, Sequencer.from_genesis(CHAIN.genesis), confirmations=2)
    follower.step()
    assert follower.status.l1_block == 8
    l1.mine(2)
    follower.step()  # nothing changed: fine
    l1.reorg(10)  # block 10 (used, 2 confirmations) replaced
    l1.mine(2)
    with pytest.raises(L1Reorged):
        follower.step()


def test_watcher_refuses_a_gap_in_the_deposit_queue():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2)
    l1.deposit(ALICE, 5)
    l1.mine(2)
    assert watcher.poll() and len(watcher.deposits) == 1
    l1.deposit(ALICE, 5)
    l1.deposit_log[-1] = l1.deposit_log[-1].__class__(2, ALICE, 5, 0, l1.height)  # index 1 never seen
    l1.mine(2)
    with pytest.raises(L1Inconsistent):
        watcher.poll()
    assert len(watcher.deposits) == 1 and watcher.l1_block == 11  # nothing half-applied


def test_follower_refuses_a_gap_in_the_deposit_queue_like_the_watcher():
    l1 = ScriptedL1()
    l1.deposit(ALICE, 5)
    l1.deposit(ALICE, 5)
    l1.deposit_log[1] = l1.deposit_log[1].__class__(2, ALICE, 5, 0, l1.height)
    l1.mine(2)
    with pytest.raises(L1Inconsistent):
        Follower(l1, Sequencer.from_genesis(CHAIN.genesis), confirmations=2).step()


def test_an_orphaned_deposit_not_yet_included_is_never_credited():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2)
    orphan = l1.deposit(ALICE, 100 * E6)  # block 11
    l1.mine(3)
    sequencer = sequencer_on(l1, watcher)
    assert watcher.poll() and watcher.deposits == [orphan]
    l1.reorg(orphan.l1_block)  # 4 blocks deep: past the 2 confirmations
    replacement = l1.deposit(BOB, 7 * E6)  # the new branch queues another deposit 0
    l1.mine(3)
    watcher.poll()
    assert watcher.deposits == [replacement]
    block = sequencer.close_block()
    assert block is not None and block.deposits_through == 1
    assert balance(sequencer, ALICE) == 0 and balance(sequencer, BOB) == 7 * E6
    assert sequencer.failure is None


def test_the_sequencer_halts_when_an_included_entry_is_orphaned():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2)
    sequencer = sequencer_on(l1, watcher)
    halts = Halts()
    sequencer.add_observer(halts)
    l1.deposit(ALICE, 100 * E6)
    l1.mine(2)
    watcher.poll()
    assert sequencer.close_block().deposits_through == 1  # credited in L2 block 1
    assert balance(sequencer, ALICE) == 100 * E6
    l1.reorg(l1.height - 3)  # deeper than the confirmations, below the deposit's block
    l1.mine(3)
    watcher.poll()
    assert watcher.deposits == []
    assert sequencer.close_block() is None  # no block on a chain whose L1 input is gone
    assert isinstance(sequencer.failure, L1ViewInvalid) and "deposits from 0" in str(sequencer.failure)
    assert halts.failures == [sequencer.failure]
    with pytest.raises(SequencerHalted):
        sequencer.submit_system(b"\x01")


def test_a_reorganisation_that_keeps_the_used_blocks_only_rereads():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2)
    sequencer = sequencer_on(l1, watcher)
    kept = l1.deposit(ALICE, 100 * E6)
    l1.mine(5)
    watcher.poll()
    sequencer.close_block()
    l1.reorg(kept.l1_block + 2)  # the blocks after the deposit's
    late = l1.deposit(BOB, 3 * E6)
    l1.mine(2)
    watcher.poll()
    assert watcher.deposits == [kept, late] and watcher.orphaned_deposit > 1
    assert sequencer.close_block().deposits_through == 2 and sequencer.failure is None


def test_entries_given_back_unchanged_by_a_reorganisation_stay_usable():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2)
    sequencer = sequencer_on(l1, watcher)
    deposit = l1.deposit(ALICE, 100 * E6)
    l1.mine(2)
    watcher.poll()
    sequencer.close_block()
    l1.reorg(1)  # below every block the watcher kept: it re-reads from the deployment
    l1.deposit_log.append(deposit)  # the new branch holds the same deposit in the same block
    l1.mine(1)
    watcher.poll()
    assert watcher.deposits == [deposit] and sequencer.check_l1() and sequencer.failure is None


def test_the_running_sequencer_halts_on_its_own():
    l1 = ScriptedL1()
    watcher = L1Watcher(l1, confirmations=2, poll_s=0.01)
    sequencer = sequencer_on(l1, watcher)
    halts = Halts()
    sequencer.add_observer(halts)
    deposit = l1.deposit(ALICE, 100 * E6)
    l1.mine(2)
    watcher.poll()

    async def scenario():
        await sequencer.start()
        polling = asyncio.get_running_loop().create_task(watcher.run())
        for _ in range(200):  # the deposit is credited without any client traffic
            if sequencer.head_deposits_through == 1:
                break
            await asyncio.sleep(0.01)
        l1.reorg(deposit.l1_block)
        l1.mine(3)
        for _ in range(200):  # the watcher re-reads, the sequencer's periodic L1 check halts it
            if sequencer.failure is not None:
                break
            await asyncio.sleep(0.01)
        watcher.stop()
        await polling
        await sequencer.stop()

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert isinstance(sequencer.failure, L1ViewInvalid) and not sequencer.running
    assert halts.failures == [sequencer.failure]
