"""The L1 pipeline end to end over JSON-RPC: L1 deposits credited on L2, batches and roots
posted, a follower rebuilding the same chain from L1 alone, forced inclusion."""

from __future__ import annotations

import asyncio

import pytest
from web3 import Web3

from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.derivation.follower import Follower
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.sequencer.dev import dev_key
from node.sequencer.sequencer import Sequencer
from node.stf import accounts
from node.stf.txtypes import PlaceOrder, TxType, Withdraw
from node.wallet import address_of, sign_tx
from tests.contracts.bridge_fixture import Bridge, start_bridge

E6 = 10**6


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def without_deposits(chain):
    return [raw for raw in chain.setup_txs if raw[0] != TxType.DEPOSIT]


async def l1_sequencer(chain, watcher: L1Watcher, **options) -> Sequencer:
    """A running sequencer on ``chain`` fed by ``watcher`` (read once: the sequencer builds no
    block on a view never read), with the dev set-up applied (no deposits)."""
    sequencer = Sequencer.from_genesis(chain.genesis, block_time_ms=1, **options)
    watcher.poll()
    sequencer.set_l1(watcher)
    await sequencer.start()
    for raw in without_deposits(chain):
        await sequencer.submit_system(raw)
    return sequencer


def follow(bridge: Bridge, reader: L1Reader, chain, **options) -> tuple[Sequencer, Follower]:
    """A replica of ``chain`` and its follower, after one step over everything L1 confirmed."""
    bridge.rpc("evm_mine")  # one more L1 block: the follower waits for a confirmation
    replica = Sequencer.from_genesis(chain.genesis)
    replica.set_replica()
    follower = Follower(reader, replica, confirmations=1, **options)
    follower.step()
    return replica, follower


@pytest.fixture(scope="module")
def bridge():
    b = start_bridge()
    yield b
    b.devnet.close()


def l1_deposit(bridge: Bridge, role: str, l2_key: bytes, amount_e6: int) -> None:
    token, portal = bridge.c["token"], bridge.c["portal"]
    sender = bridge.sender(role)
    bridge.sender("deployer").transact(token, "mint", sender.address, amount_e6)
    sender.transact(token, "approve", portal.address, amount_e6)
    sender.transact(portal, "deposit", Web3.to_checksum_address(address_of(l2_key)), amount_e6)


def test_deposit_trade_batch_follow_and_forced_inclusion(bridge: Bridge):
    w3 = bridge.w3
    reader = L1Reader(w3, bridge.deployment)
    l1_now = w3.eth.get_block("latest")["timestamp"]
    chain = bridge.chain  # the genesis the contracts committed to
    clock = Clock(l1_now)
    alice, bob = dev_key("alice"), dev_key("bob")

    async def scenario():
        watcher = L1Watcher(reader, confirmations=1)
        sequencer = await l1_sequencer(chain, watcher, clock=clock)
        # deposits on L1 reach L2 once confirmed
        l1_deposit(bridge, "alice", alice, 100_000 * E6)
        l1_deposit(bridge, "bob", bob, 50_000 * E6)
        bridge.rpc("evm_mine")
        assert watcher.poll()
        sequencer.wake()
        for _ in range(200):
            await asyncio.sleep(0.005)
            if sequencer.head_deposits_through == 2:
                break
        assert accounts.load(sequencer.state, address_of(alice)).balance_e6 == 100_000 * E6
        assert accounts.load(sequencer.state, address_of(bob)).balance_e6 == 50_000 * E6
        # a trade
        sell = sign_tx(alice, PlaceOrder(0, 5, 1, 60 * E6, 2 * E6, 0, False, 0, 0), chain.genesis.domain)
        buy = sign_tx(bob, PlaceOrder(0, 5, 0, 60 * E6, E6, 1, False, 0, 0), chain.genesis.domain)
        await sequencer.submit(sell)
        _, receipt = await sequencer.submit(buy)
        assert receipt.ok and receipt.filled_e6 == E6
        # batch + root
        batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                          Transactor(w3, devnet_key("proposer")))
        batcher.catch_up()
        sequencer.add_observer(batcher)
        assert batcher.post_once() == sequencer.head_number
        # alice withdraws; the next seal proves it under that batch's root
        _, receipt = await sequencer.submit(
            sign_tx(alice, Withdraw(3, 2_500 * E6, address_of(alice)), chain.genesis.domain))
        assert receipt.ok and receipt.order_id == 0  # withdrawal index 0
        withdrawal_batch = batcher.seal()
        batcher.post_once()
        first_root_block = sequencer.head_number
        # a forced withdrawal: the sequencer takes it as soon as it is confirmed, before any
        # sequenced transaction of its block
        forced_raw = sign_tx(bob, Withdraw(1, 1_000 * E6, address_of(bob)), chain.genesis.domain)
        bridge.sender("bob").transact(bridge.c["forced"], "force", forced_raw)
        bridge.rpc("evm_mine")
        watcher.poll()
        number, _ = await sequencer.submit(
            sign_tx(alice, PlaceOrder(1, 5, 1, 70 * E6, E6, 0, False, 0, 0), chain.genesis.domain))
        found = sequencer.get_receipt(bytes(w3.keccak(forced_raw)))
        assert found is not None and found[1].ok and found[0] <= number
        assert sequencer.get_block(found[0]).txs[0] == forced_raw and sequencer.head_forced_through == 1

        batcher.seal()
        batcher.post_once()
        await sequencer.stop()
        return sequencer, batcher, first_root_block, withdrawal_batch

    sequencer, batcher, first_root_block, withdrawal_batch = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert batcher.status.batches_posted == 3 and batcher.status.roots_proposed == 3

    # the follower: same genesis, blocks only from L1
    replica, follower = follow(bridge, reader, chain)
    assert replica.head_number == sequencer.head_number
    for number in range(1, sequencer.head_number + 1):
        ours, theirs = sequencer.get_block(number), replica.get_block(number)
        assert (theirs.timestamp, theirs.txs, theirs.deposits_through, theirs.forced_through) == (
            ours.timestamp, ours.txs, ours.deposits_through, ours.forced_through), number
        assert theirs.state_root == ours.state_root, number
    assert replica.head_root == sequencer.head_root
    assert replica.state_root_at(first_root_block) == sequencer.state_root_at(first_root_block)
    assert follower.status.roots_checked == 3 and not follower.status.mismatches
    for number in range(1, sequencer.head_number + 1):
        assert replica.get_block(number).txs == sequencer.get_block(number).txs

    # the follower proved the same withdrawals; alice claims on L1 once the root is final
    ours, theirs = batcher.proofs.get(0), follower.proofs.get(0)
    assert ours == theirs and ours.commitment_index == withdrawal_batch
    assert follower.proofs.get(1) is not None  # bob's forced withdrawal
    token, portal = bridge.c["token"], bridge.c["portal"]
    args = (ours.commitment_index, 0, Web3.to_checksum_address(ours.sender),
            Web3.to_checksum_address(ours.recipient), ours.amount_e6, ours.block_number, list(ours.proof))
    claimer = Transactor(w3, alice)
    with pytest.raises(Exception, match="root not final"):
        claimer.transact(portal, "claim", *args)
    bridge.advance(bridge.deployment.settings.challenge_window_s)
    before = token.functions.balanceOf(Web3.to_checksum_address(address_of(alice))).call()
    claimer.transact(portal, "claim", *args)
    assert token.functions.balanceOf(Web3.to_checksum_address(address_of(alice))).call() == before + 2_500 * E6
    with pytest.raises(Exception, match="already claimed"):
        claimer.transact(portal, "claim", *args)


def test_a_wrong_root_is_reported_by_the_follower():
    fresh = start_bridge()
    try:
        w3 = fresh.w3
        reader = L1Reader(w3, fresh.deployment)
        chain = fresh.chain

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")), propose=False)
            batcher.catch_up()
            batcher.post_once()
            await sequencer.stop()
            return sequencer

        sequencer = asyncio.run(asyncio.wait_for(scenario(), 60))
        bad_root = b"\x66" * 32
        fresh.sender("proposer").transact(fresh.c["commitments"], "propose", 0, sequencer.head_number, bad_root,
                                          value=fresh.deployment.settings.bond_wei)
        seen = []
        replica, follower = follow(fresh, reader, chain, on_mismatch=seen.append)
        assert replica.head_root == sequencer.head_root
        assert [(m.index, m.posted, m.ours) for m in seen] == [(0, bad_root, sequencer.head_root)]
        assert follower.status.mismatches == seen
    finally:
        fresh.devnet.close()


def test_batches_in_flight_together_and_a_restarted_batcher_proposes_missing_roots():
    fresh = start_bridge()
    try:
        w3 = fresh.w3
        reader = L1Reader(w3, fresh.deployment)
        chain = fresh.chain
        bob = dev_key("bob")

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            sender, proposer = Transactor(w3, devnet_key("sequencer")), Transactor(w3, devnet_key("proposer"))
            first = Batcher(sequencer, reader, sender, proposer, propose=False)
            first.catch_up()
            sequencer.add_observer(first)
            for nonce in range(3):  # three more blocks, three more batches (failing orders: bob has no funds)
                await sequencer.submit(sign_tx(bob, PlaceOrder(nonce, 5, 0, E6, E6, 0, False, 0, 0),
                                               chain.genesis.domain))
                first.seal()
            assert len(first.sealed) == 4
            assert first.post_once() == sequencer.head_number  # all four in flight at once
            sequencer.remove_observer(first)
            restarted = Batcher(sequencer, reader, sender, proposer)
            restarted.catch_up()  # posts nothing, proposes the four missing roots
            await sequencer.stop()
            return sequencer, restarted

        sequencer, restarted = asyncio.run(asyncio.wait_for(scenario(), 90))
        assert reader.batch_count() == 4 and reader.commitment_count() == 4
        assert restarted.status.roots_proposed == 4 and not restarted.sealed
        replica, follower = follow(fresh, reader, chain)
        assert replica.head_root == sequencer.head_root
        assert follower.status.roots_checked == 4 and not follower.status.mismatches
    finally:
        fresh.devnet.close()
