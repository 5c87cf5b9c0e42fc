"""Censorship resistance end to end over JSON-RPC: a sequencer that takes no L1 entry, with
a frozen clock or one that follows L1, posts real batches; a follower deriving from L1 alone
still credits the deposit and runs the forced withdrawal in the first block of the first
batch posted after their L1 deadlines, and stamps that batch's blocks no earlier than its
L1 time minus the lag. The censoring sequencer's own root for that batch is reported wrong."""

from __future__ import annotations

import asyncio

import pytest
from web3 import Web3

from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.derivation.rules import MAX_TIMESTAMP_LAG_S
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.sequencer.dev import dev_key
from node.stf import accounts
from node.stf.txtypes import PlaceOrder, Withdraw
from node.wallet import address_of, sign_tx
from tests.contracts.bridge_fixture import start_bridge
from tests.node.l1.test_l1_pipeline import Clock, follow, l1_deposit, l1_sequencer

E6 = 10**6


@pytest.mark.parametrize("clock_follows_l1", [False, True], ids=["frozen-clock", "l1-clock"])
def test_a_censoring_sequencer_cannot_keep_l1_entries_out(clock_follows_l1: bool):
    bridge = start_bridge()
    try:
        w3 = bridge.w3
        reader = L1Reader(w3, bridge.deployment)
        l1_now = w3.eth.get_block("latest")["timestamp"]
        chain = bridge.chain  # the genesis the contracts committed to
        clock = Clock(l1_now)
        alice, bob = dev_key("alice"), dev_key("bob")
        domain = chain.genesis.domain
        forced_raw = sign_tx(alice, Withdraw(0, 1_000 * E6, address_of(alice)), domain)

        def bob_order(nonce: int) -> bytes:  # fails (bob has no collateral) but makes a block
            return sign_tx(bob, PlaceOrder(nonce, 5, 0, E6, E6, 0, False, 0, 0), domain)

        async def scenario():
            watcher = L1Watcher(reader, confirmations=1, ignore_queues=True)
            sequencer = await l1_sequencer(chain, watcher, clock=clock)
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")))
            batcher.catch_up()
            sequencer.add_observer(batcher)
            l1_deposit(bridge, "alice", alice, 10_000 * E6)
            bridge.sender("alice").transact(bridge.c["forced"], "force", forced_raw)
            bridge.rpc("evm_mine")
            watcher.poll()
            await sequencer.submit(bob_order(0))
            before = batcher.seal()
            batcher.post_once()  # a batch posted before the deadlines
            bridge.advance(MAX_TIMESTAMP_LAG_S + bridge.deployment.settings.force_window_s)
            bridge.rpc("evm_mine")
            watcher.poll()
            if clock_follows_l1:
                clock.now = w3.eth.get_block("latest")["timestamp"]
            await sequencer.submit(bob_order(1))
            await sequencer.submit(bob_order(2))
            after = batcher.seal()
            batcher.post_once()  # the next one, posted after them
            await sequencer.stop()
            return sequencer, before, after

        sequencer, before, after = asyncio.run(asyncio.wait_for(scenario(), 120))
        assert after == before + 1
        assert sequencer.head_deposits_through == sequencer.head_forced_through == 0  # it censored both
        assert accounts.load(sequencer.state, address_of(alice)).balance_e6 == 0

        replica, follower = follow(bridge, reader, chain)
        first = follower.batch_last_block[before] + 1  # the first block of the batch after the deadlines
        posted_after = reader.batches(reader.first_block, w3.eth.block_number)[after]
        assert follower.batch_last_block[after] == first + 1 == replica.head_number
        included = replica.get_block(first)
        assert (included.deposits_through, included.forced_through) == (1, 1)
        assert included.txs[1:] == (forced_raw, bob_order(1))  # before anything the batch sequenced
        found = replica.get_receipt(bytes(Web3.keccak(forced_raw)))
        assert found is not None and found[0] == first and found[1].ok
        assert accounts.load(replica.state, address_of(alice)).balance_e6 == 9_000 * E6
        for number in range(1, first):  # nothing was due for the earlier batches
            assert replica.get_block(number).deposits_through == 0
        for number in (first, first + 1):  # L2 time trails L1 time by at most the lag
            assert replica.get_block(number).timestamp >= posted_after.l1_time - MAX_TIMESTAMP_LAG_S
        assert [m.index for m in follower.status.mismatches] == [after]  # the censor's root is wrong
    finally:
        bridge.devnet.close()
