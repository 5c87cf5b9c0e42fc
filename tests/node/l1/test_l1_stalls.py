"""The batcher and proposer on an L1 that misbehaves as real ones do: it stops mining for
longer than every timeout, it mines a transaction that reverts (its nonce spent), a
stranger takes a nonce, and the node restarts in the middle of each L1 action (a batch,
a root, a bond return in flight). Whatever happens: every L2 block is in exactly one
inbox batch, one root per batch at the block the batch reaches, no nonce is reused, and
a follower agrees with every root."""

from __future__ import annotations

import asyncio
import threading
import time

from eth_account import Account

from bridge.l1 import L1NonceTaken, L1Settings, L1TxPending, Transactor
from devnet.accounts import devnet_key
from node.l1.batch_codec import decode_batch
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.sequencer.dev import dev_key
from node.stf.txtypes import PlaceOrder
from node.wallet import sign_tx
from tests.contracts.bridge_fixture import Bridge, start_bridge
from tests.node.l1.test_l1_pipeline import E6, follow, l1_sequencer

FAST = L1Settings(receipt_timeout_s=0.6, bump_after_s=0.25, poll_s=0.02)


def senders(bridge: Bridge) -> tuple[Transactor, Transactor]:
    """A fresh process's keys: new Transactors (nothing remembered of an earlier one)."""
    return (Transactor(bridge.w3, devnet_key("sequencer"), FAST), Transactor(bridge.w3, devnet_key("proposer"), FAST))


def automine(bridge: Bridge, on: bool) -> None:
    assert bridge.rpc("evm_setAutomine", on)["result"] is True


async def one_block(sequencer, chain, nonce: int) -> None:
    """A failing order (bob has no funds) makes a block."""
    await sequencer.submit(sign_tx(dev_key("bob"), PlaceOrder(nonce, 5, 0, E6, E6, 0, False, 0, 0),
                                   chain.genesis.domain))


def check_l1(bridge: Bridge, reader: L1Reader, sequencer) -> None:
    """Every L2 block in exactly one batch, in order; one root per batch at its last block,
    with this chain's state root; a follower agrees with every root."""
    batches = sorted(reader.batches(reader.first_block, reader.head()), key=lambda b: b.index)
    assert [b.index for b in batches] == list(range(reader.batch_count()))
    numbered = []
    for batch in batches:
        blocks = decode_batch(batch.data).blocks
        numbered.extend(range(batch.last_l2_block - len(blocks) + 1, batch.last_l2_block + 1))
    assert numbered == list(range(1, sequencer.head_number + 1)), "an L2 block posted twice or never"
    assert reader.commitment_count() == len(batches)
    commitments = bridge.c["commitments"].functions
    for batch in batches:
        _, last, root, *_ = commitments.commitments(batch.index).call()
        assert last == batch.last_l2_block and bytes(root) == sequencer.get_block(last).state_root, batch.index
    replica, follower = follow(bridge, reader, bridge.chain)
    assert replica.head_root == sequencer.head_root
    assert follower.status.roots_checked == len(batches) and not follower.status.mismatches


def test_an_l1_that_stops_mining_longer_than_every_timeout():
    bridge = start_bridge()
    try:
        reader = L1Reader(bridge.w3, bridge.deployment)
        chain = bridge.chain

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            sequencer_tx, proposer_tx = senders(bridge)
            batcher = Batcher(sequencer, reader, sequencer_tx, proposer_tx, interval_s=0.2, bond_poll_s=0.2)
            batcher.catch_up()
            sequencer.add_observer(batcher)
            task = asyncio.get_running_loop().create_task(batcher.run())
            for nonce in range(3):
                await one_block(sequencer, chain, nonce)
                await asyncio.sleep(0.3)
            automine(bridge, False)  # the L1 stops mining: 8 receipt timeouts, 20 bump periods
            stalled_at = bridge.w3.eth.block_number
            for nonce in range(3, 8):
                await one_block(sequencer, chain, nonce)
                await asyncio.sleep(1.0)
            assert bridge.w3.eth.block_number == stalled_at
            assert "waiting for L1" in batcher.status.last_error and "still in flight" in batcher.status.last_error
            assert sequencer_tx.replacements + proposer_tx.replacements > 0  # re-signed on their nonces
            automine(bridge, True)
            bridge.rpc("evm_mine")
            for _ in range(400):
                await asyncio.sleep(0.05)
                if (not batcher.sealed and not batcher.in_flight and not batcher.open
                        and batcher.status.last_posted_l2_block == sequencer.head_number
                        and reader.commitment_count() == reader.batch_count()):
                    break
            # the roots become final: their bonds come back without anyone asking
            roots = reader.commitment_count()
            bridge.advance(bridge.deployment.settings.challenge_window_s)
            for _ in range(200):
                await asyncio.sleep(0.05)
                if batcher.status.bonds_returned == roots:
                    break
            batcher.stop()
            await task
            await sequencer.stop()
            return sequencer, batcher, sequencer_tx

        sequencer, batcher, sequencer_tx = asyncio.run(asyncio.wait_for(scenario(), 120))
        assert batcher.status.last_error == ""
        roots = reader.commitment_count()
        assert batcher.status.bonds_returned == roots
        assert all(bridge.c["commitments"].functions.commitments(i).call()[6] for i in range(roots))
        # every nonce the sequencer key spent holds one batch: nothing re-sent on a new nonce
        assert bridge.w3.eth.get_transaction_count(sequencer_tx.address) == reader.batch_count()
        check_l1(bridge, reader, sequencer)
    finally:
        bridge.devnet.close()


def test_a_stranger_on_a_nonce_and_a_mined_revert_are_reconciled():
    bridge = start_bridge()
    try:
        w3 = bridge.w3
        reader = L1Reader(w3, bridge.deployment)
        chain = bridge.chain
        proposer = Account.from_key(devnet_key("proposer"))

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            sequencer_tx, proposer_tx = senders(bridge)
            batcher = Batcher(sequencer, reader, sequencer_tx, proposer_tx)
            batcher.catch_up()
            sequencer.add_observer(batcher)
            batcher.seal()
            await one_block(sequencer, chain, 0)
            batcher.seal()
            automine(bridge, False)
            errors = []

            def post() -> None:
                try:
                    batcher.post_once()
                except Exception as exc:
                    errors.append(exc)

            worker = threading.Thread(target=post)
            worker.start()
            for _ in range(200):  # both batches sent
                time.sleep(0.02)
                if len(batcher.in_flight) == 2 and w3.eth.get_transaction_count(sequencer_tx.address, "pending") == 2:
                    break
            bridge.rpc("evm_mine")
            for _ in range(200):  # both proposals sent (root 1 with a fixed gas: it cannot be estimated)
                time.sleep(0.02)
                if w3.eth.get_transaction_count(proposer.address, "pending") == 2:
                    break
            # another process with the proposer key takes root 0's nonce with a plain transfer
            w3.eth.send_raw_transaction(proposer.sign_transaction({
                "chainId": w3.eth.chain_id, "nonce": 0, "to": proposer.address, "value": 0, "gas": 21_000,
                "maxFeePerGas": 10**12, "maxPriorityFeePerGas": 10**11}).raw_transaction)
            bridge.rpc("evm_mine")  # root 1's proposal is mined after it and reverts: not the next batch
            worker.join(30)
            assert len(errors) == 1 and isinstance(errors[0], L1NonceTaken), errors
            automine(bridge, True)
            batcher.catch_up()  # settles root 1's revert, proposes roots 0 and 1 again on new nonces
            await sequencer.stop()
            return sequencer, proposer_tx

        sequencer, proposer_tx = asyncio.run(asyncio.wait_for(scenario(), 120))
        receipts = [w3.eth.get_transaction_receipt(tx["hash"])
                    for n in range(bridge.deployment.deployed_at_block, w3.eth.block_number + 1)
                    for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]
                    if tx["from"] == proposer.address]
        assert [r["status"] for r in receipts] == [1, 0, 1, 1]  # the stranger, the revert, roots 0 and 1
        check_l1(bridge, reader, sequencer)
    finally:
        bridge.devnet.close()


def test_a_restart_in_the_middle_of_each_l1_action():
    """A batch, a root and a bond return each in flight when the process dies; the new
    process (new keys' Transactors, same store) starts while the L1 is still stalled and
    mining resumes later: it waits for (or replaces) what the dead one left and carries
    on, posting and proposing each once."""
    bridge = start_bridge()
    try:
        w3 = bridge.w3
        reader = L1Reader(w3, bridge.deployment)
        chain = bridge.chain
        commitments = bridge.c["commitments"].functions

        def stall_then(action, mine_after_s: float, restart) -> None:
            """Run ``action`` with the L1 stopped until it is left in flight (the process
            dies), then ``restart`` while the L1 resumes mining ``mine_after_s`` later."""
            automine(bridge, False)
            try:
                action()
                raise AssertionError("the action finished on a stopped L1")
            except L1TxPending:
                pass
            timer = threading.Timer(mine_after_s, lambda: (automine(bridge, True), bridge.rpc("evm_mine")))
            timer.start()
            try:
                for _ in range(50):  # as ``Batcher.run`` does: catch up again while L1 is pending
                    try:
                        return restart()
                    except L1TxPending:
                        continue
                raise AssertionError("never caught up")
            finally:
                timer.join()

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            first = Batcher(sequencer, reader, *senders(bridge))
            first.catch_up()
            sequencer.add_observer(first)
            first.seal()
            # 1. a batch in flight; the L1 mines it while the new process waits
            second = Batcher(sequencer, reader, *senders(bridge))
            stall_then(first.post_once, 0.1, second.catch_up)
            sequencer.remove_observer(first)
            sequencer.add_observer(second)
            assert reader.batch_count() == 1 and reader.commitment_count() == 1
            # 2. a batch in flight, the L1 stalled past the new process's bump period: the
            #    stuck batch is replaced by a transfer, and the blocks are posted again once
            await one_block(sequencer, chain, 0)
            second.seal()
            third = Batcher(sequencer, reader, *senders(bridge))
            stall_then(second.post_once, 1.0, third.catch_up)
            third.post_once()
            sequencer.remove_observer(second)
            sequencer.add_observer(third)
            # 3. a root in flight
            await one_block(sequencer, chain, 1)
            third.seal()
            third.propose_roots = False
            third.post_once()  # the batch lands; its root is left to the next action
            third.propose_roots = True
            fourth = Batcher(sequencer, reader, *senders(bridge))
            stall_then(lambda: third._propose(reader.batch_count() - 1, sequencer.head_number), 0.1,
                       fourth.catch_up)
            assert reader.commitment_count() == reader.batch_count() == 3
            # 4. a bond return in flight, once the roots are final
            bridge.advance(bridge.deployment.settings.challenge_window_s)
            fifth = Batcher(sequencer, reader, *senders(bridge))
            stall_then(fourth.return_bonds, 0.1, fifth.catch_up)
            returned = fifth.return_bonds()  # nothing left: the dead process's returns were mined
            assert (fifth.status.batches_posted, fifth.status.roots_proposed) == (3, 3)  # L1's counts
            await sequencer.stop()
            return sequencer, returned

        proposer = Account.from_key(devnet_key("proposer")).address
        before = w3.eth.get_balance(proposer)
        sequencer, returned = asyncio.run(asyncio.wait_for(scenario(), 180))
        flags = [commitments.commitments(i).call()[6] for i in range(3)]
        assert flags == [True, True, True] and returned == 0
        assert before - w3.eth.get_balance(proposer) < bridge.deployment.settings.bond_wei // 100  # gas only
        check_l1(bridge, reader, sequencer)
    finally:
        bridge.devnet.close()


def test_a_wrong_root_on_l1_stops_proposing_but_not_the_node():
    """The repair path: L1's last root names another state than this chain's (someone else
    proposed it). The batcher keeps posting batches, proposes nothing after that root, says
    why in its status, and never raises out of ``catch_up``."""
    bridge = start_bridge()
    try:
        reader = L1Reader(bridge.w3, bridge.deployment)
        chain = bridge.chain

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            batcher = Batcher(sequencer, reader, *senders(bridge), propose=False)
            batcher.catch_up()
            sequencer.add_observer(batcher)
            batcher.post_once()
            bridge.sender("proposer").transact(bridge.c["commitments"], "propose", 0, sequencer.head_number,
                                               b"\x66" * 32, value=bridge.deployment.settings.bond_wei)
            batcher.propose_roots = True
            await one_block(sequencer, chain, 0)
            batcher.seal()
            batcher.post_once()  # batch 1 lands; its root is not proposed after the wrong root 0
            batcher.catch_up()
            await sequencer.stop()
            return batcher

        batcher = asyncio.run(asyncio.wait_for(scenario(), 60))
        assert reader.batch_count() == 2 and reader.commitment_count() == 1
        assert "L1 root 0" in batcher.status.last_error and "dispute game" in batcher.status.last_error
    finally:
        bridge.devnet.close()


def test_a_root_one_batch_behind_on_l1_is_caught():
    """The failure seen on a real L1: root 0 names the L2 block batch 1 reaches (with that
    block's true state root). The batcher sees that batch 0 derives to another block and
    proposes nothing after it."""
    bridge = start_bridge()
    try:
        reader = L1Reader(bridge.w3, bridge.deployment)
        chain = bridge.chain

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            batcher = Batcher(sequencer, reader, *senders(bridge), propose=False)
            batcher.catch_up()
            sequencer.add_observer(batcher)
            batcher.post_once()
            await one_block(sequencer, chain, 0)
            batcher.seal()
            batcher.post_once()
            head = sequencer.head_number
            bridge.sender("proposer").transact(bridge.c["commitments"], "propose", 0, head,
                                               sequencer.get_block(head).state_root,
                                               value=bridge.deployment.settings.bond_wei)
            restarted = Batcher(sequencer, reader, *senders(bridge))
            restarted.catch_up()
            await sequencer.stop()
            return restarted, batcher.posted_ends[0]

        restarted, first_end = asyncio.run(asyncio.wait_for(scenario(), 60))
        assert reader.batch_count() == 2 and reader.commitment_count() == 1
        assert f"batch 0 derives to block {first_end}" in restarted.status.last_error
    finally:
        bridge.devnet.close()
