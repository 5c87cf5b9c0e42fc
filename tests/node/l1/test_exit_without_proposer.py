"""Exit without the operator's proposer: the proposer stops, a user forces a withdrawal on
L1, the sequencer includes it and posts its batches, the user derives the chain from L1
alone (a follower), proposes the roots once the proposer has been silent for ``SILENCE``
seconds, waits out the window and claims (devnet over JSON-RPC)."""

from __future__ import annotations

import asyncio

import pytest
from web3 import Web3

from bridge.l1 import L1TxFailed, Transactor
from devnet.accounts import devnet_key
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.sequencer.dev import dev_key
from node.stf import accounts
from node.stf.txtypes import Withdraw
from node.wallet import address_of, sign_tx
from tests.contracts.bridge_fixture import start_bridge
from tests.node.l1.test_l1_pipeline import Clock, follow, l1_deposit, l1_sequencer

E6 = 10**6


def test_the_proposer_stops_and_a_user_proposes_the_roots_and_withdraws():
    bridge = start_bridge()
    try:
        w3, chain = bridge.w3, bridge.chain
        reader = L1Reader(w3, bridge.deployment)
        settings = bridge.deployment.settings
        alice = dev_key("alice")
        clock = Clock(w3.eth.get_block("latest")["timestamp"])

        async def scenario():
            watcher = L1Watcher(reader, confirmations=1)
            sequencer = await l1_sequencer(chain, watcher, clock=clock)
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")), propose=False)  # the proposer is down
            batcher.catch_up()
            sequencer.add_observer(batcher)
            l1_deposit(bridge, "alice", alice, 10_000 * E6)
            bridge.rpc("evm_mine")
            watcher.poll()
            sequencer.wake()
            for _ in range(200):
                await asyncio.sleep(0.005)
                if sequencer.head_deposits_through == 1:
                    break
            assert accounts.load(sequencer.state, address_of(alice)).balance_e6 == 10_000 * E6
            # alice withdraws through the forced-inclusion queue on L1
            forced = sign_tx(alice, Withdraw(0, 4_000 * E6, address_of(alice)), chain.genesis.domain)
            bridge.sender("alice").transact(bridge.c["forced"], "force", forced)
            bridge.rpc("evm_mine")
            watcher.poll()
            sequencer.wake()
            for _ in range(200):
                await asyncio.sleep(0.005)
                if sequencer.head_forced_through == 1:
                    break
            found = sequencer.get_receipt(bytes(w3.keccak(forced)))
            assert found is not None and found[1].ok
            batcher.seal()
            batcher.post_once()
            await sequencer.stop()
            return batcher

        batcher = asyncio.run(asyncio.wait_for(scenario(), 120))
        assert batcher.status.batches_posted >= 1 and batcher.status.roots_proposed == 0

        # alice derives the chain from L1 alone: the roots and her withdrawal's proof
        replica, follower = follow(bridge, reader, chain)
        proof = follower.proofs.get(0)
        assert proof is not None and proof.amount_e6 == 4_000 * E6
        commitments, portal, token = bridge.c["commitments"], bridge.c["portal"], bridge.c["token"]
        assert commitments.functions.commitment_count().call() == 0
        user = bridge.sender("alice")
        roots = [(i, follower.batch_last_block[i], replica.state_root_at(follower.batch_last_block[i]))
                 for i in range(proof.commitment_index + 1)]
        with pytest.raises(L1TxFailed, match="caller is not the proposer"):
            user.transact(commitments, "propose", *roots[0], value=settings.bond_wei)
        bridge.advance(settings.proposer_silence_s)
        for index, last_block, root in roots:
            user.transact(commitments, "propose", index, last_block, root, value=settings.bond_wei)
        assert commitments.functions.commitments(0).call()[3] == user.address  # she is its proposer
        args = (proof.commitment_index, 0, Web3.to_checksum_address(proof.sender),
                Web3.to_checksum_address(proof.recipient), proof.amount_e6, proof.block_number, list(proof.proof))
        with pytest.raises(L1TxFailed, match="root not final"):
            user.transact(portal, "claim", *args)
        bridge.advance(settings.challenge_window_s)
        holder = Web3.to_checksum_address(address_of(alice))
        before = token.functions.balanceOf(holder).call()
        user.transact(portal, "claim", *args)
        assert token.functions.balanceOf(holder).call() == before + 4_000 * E6
        # and her bonds come back
        eth = w3.eth.get_balance(user.address)
        sent = user.transact(commitments, "return_bond", 0)
        fee = sent.gas_used * sent.receipt["effectiveGasPrice"]
        assert w3.eth.get_balance(user.address) == eth - fee + settings.bond_wei
    finally:
        bridge.devnet.close()
