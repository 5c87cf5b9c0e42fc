"""``Query.GetRollup`` and ``/api/rollup`` on a sequencer with an L1 (py-evm devnet, contracts
deployed): the posted batch and its root as the contracts hold them, a withdrawal under that
root, a deposit queued on L1 and not yet in the chain, finality once the window has passed, and a
dispute game against a later root with its parties, turn and clocks."""

from __future__ import annotations

import asyncio

import aiohttp
from web3 import Web3

from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.rpc.rollup import RollupView
from node.rpc.server import serve
from node.rpc.status import NodeInfo
from node.sequencer.dev import dev_key
from node.stf.records import Globals
from node.stf.txtypes import Withdraw
from node.wallet import address_of, sign_tx
from node.web.app import start_web
from tests.contracts.bridge_fixture import start_bridge
from tests.node.l1.test_l1_pipeline import Clock, l1_deposit, l1_sequencer

E6 = 10**6


def test_the_rollup_view_shows_batches_roots_withdrawals_and_queued_deposits():
    bridge = start_bridge()
    try:
        w3, chain = bridge.w3, bridge.chain
        reader = L1Reader(w3, bridge.deployment)
        alice, bob = dev_key("alice"), dev_key("bob")
        window = bridge.deployment.settings.challenge_window_s

        async def scenario():
            watcher = L1Watcher(reader, confirmations=1)
            sequencer = await l1_sequencer(chain, watcher, clock=Clock(w3.eth.get_block("latest")["timestamp"]))
            l1_deposit(bridge, "alice", alice, 10_000 * E6)
            bridge.rpc("evm_mine")
            watcher.poll()
            sequencer.wake()
            async with asyncio.timeout(10):
                while sequencer.head_deposits_through < 1:
                    await asyncio.sleep(0.005)
            _, receipt = await sequencer.submit(sign_tx(alice, Withdraw(0, 100 * E6, address_of(alice)),
                                                        chain.genesis.domain))
            assert receipt.ok and receipt.order_id == 0
            withdraw_block = sequencer.head_number
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")))
            await asyncio.to_thread(batcher.catch_up)
            sequencer.add_observer(batcher)
            await asyncio.to_thread(batcher.post_once)
            last = sequencer.head_number
            sequenced = sum(len(sequencer.get_block(n).txs) - sequencer.get_block(n).l1_tx_count
                            for n in range(1, last + 1))
            l1_deposit(bridge, "bob", bob, 777 * E6)  # queued on L1, read, not yet in a block
            bridge.rpc("evm_mine")
            watcher.poll()
            view = RollupView(reader, lambda: watcher.deposits, lambda: watcher.forced)
            server = await serve(sequencer, "127.0.0.1:0", info=NodeInfo(l1=lambda: dict(role="sequencer")),
                                 rollup=view)
            web = await start_web(f"127.0.0.1:{server.port}", "127.0.0.1:0")
            try:
                async with aiohttp.ClientSession() as session:
                    async with session.get(web.url + "api/rollup") as response:
                        assert response.status == 200
                        rollup = await response.json()
                    bridge.advance(window)
                    async with session.get(web.url + "api/rollup") as response:
                        later = await response.json()
                    # a second batch and root, disputed by a challenger while it is not final
                    _, receipt = await sequencer.submit(sign_tx(alice, Withdraw(1, E6, address_of(alice)),
                                                                chain.genesis.domain))
                    assert receipt.ok
                    batcher.seal()
                    await asyncio.to_thread(batcher.post_once)
                    game = bridge.deployment.contracts(w3)["dispute_game"]
                    bond = game.functions.CHALLENGER_BOND().call()
                    bridge.sender("challenger").transact(game, "open", 1, value=bond)
                    async with session.get(web.url + "api/rollup") as response:
                        disputed = await response.json()
                # bob's deposit is included at the sequencer's next block; before that it is in flight
                before_inclusion = await asyncio.to_thread(view.read, Globals(next_deposit_index=1), [], 20, 0)
            finally:
                await web.stop()
                await server.stop(0.5)
                await sequencer.stop()
            return rollup, later, disputed, before_inclusion, sequencer, last, sequenced, withdraw_block

        rollup, later, disputed, before_inclusion, sequencer, last, sequenced, withdraw_block = asyncio.run(
            asyncio.wait_for(scenario(), 180))
        assert rollup["available"] is True and rollup["batch_count"] == rollup["root_count"] == 1
        assert rollup["challenge_window_s"] == window and rollup["l1"]["role"] == "sequencer"
        record = reader.batch_record(0)
        [batch] = rollup["batches"]
        assert (batch["index"], batch["first_block"], batch["last_block"], batch["l1_block"]) == (
            0, 1, last, record.l1_block)
        assert batch["bytes"] == record.data_length and batch["txs"] == sequenced > 0
        assert float(batch["bytes_per_tx"]) == round(record.data_length / sequenced, 2)
        [root] = rollup["roots"]
        assert (root["index"], root["batch"], root["l2_block"]) == (0, 0, last)
        assert root["root"] == "0x" + sequencer.state_root_at(last).hex()
        assert root["final"] is False and root["final_at"] == root["proposed_at"] + window
        assert root["proposed_at"] <= rollup["l1_time"] < root["final_at"]
        [withdrawal] = rollup["withdrawals"]
        assert (withdrawal["index"], withdrawal["amount"], withdrawal["l2_block"], withdrawal["claimed"]) == (
            0, "100", withdraw_block, False)
        assert withdrawal["recipient"] == "0x" + address_of(alice).hex()
        assert (withdrawal["root"], withdrawal["final_at"]) == (0, root["final_at"])
        [deposit] = before_inclusion.deposits_in_flight
        assert (deposit.index, deposit.amount_e6, deposit.recipient) == (1, 777 * E6, address_of(bob))
        assert deposit.deadline > deposit.l1_block > 0
        assert all(d["index"] == 1 for d in rollup["deposits_in_flight"])  # (if read before its block)
        assert later["forced_queue"] == [] and rollup["disputes"] == [] and later["disputes"] == []
        # the dispute: its root, parties, whose turn and the clocks (as `optrollup disputes` shows it)
        assert disputed["root_count"] == 2 and disputed["roots"][0]["index"] == 1
        [dispute] = disputed["disputes"]
        assert (dispute["game"], dispute["root_index"], dispute["status"], dispute["turn"]) == (
            0, 1, "in_progress", "defender")
        assert dispute["state_root"] == disputed["roots"][0]["root"]
        assert dispute["challenger"] == bridge.address("challenger").lower()
        assert dispute["defender"] == bridge.address("proposer").lower()
        assert (dispute["depth"], dispute["range"], dispute["position"], dispute["moves"]) == (None, None, None, 0)
        clock = bridge.deployment.contracts(w3)["dispute_game"].functions.CLOCK().call()
        assert 0 < dispute["clock_left_s"]["defender"] <= clock == dispute["clock_left_s"]["challenger"]
        assert int(dispute["bond_wei"]) > 0 and dispute["bond"] != "0"
        assert later["roots"][0]["final"] is True  # the challenge window has passed on L1
        assert Web3.is_address(later["roots"][0]["proposer"])
    finally:
        bridge.devnet.close()
