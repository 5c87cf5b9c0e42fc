"""End to end on a third-party L1: a Hardhat node installed from npm, started here.

Deploy (with the fault verifier), deposit on L1, trade, batches and roots posted by the
batcher's own loop, the L1 stopping mining for longer than every timeout in the middle, a
follower agreeing on every root, withdraw and claim once the root is final, and the bonds
of the final roots returned. Where Hardhat's JSON-RPC differs from the devnet's (fee
fields, ``safe``/``finalized`` tags, replacement rules, revert data) ``bridge/`` handles
it; nothing here is Hardhat-specific but starting it."""

from __future__ import annotations

import asyncio
import json

import pytest
from eth_account import Account
from web3 import Web3

from bridge.deploy import deploy
from bridge.l1 import L1Settings, Transactor
from devnet.accounts import devnet_key
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.sequencer.dev import DEV_CHAIN_ID, dev_chain, dev_key
from node.stf import accounts
from node.stf.eip712 import Domain
from node.stf.txtypes import PlaceOrder, Withdraw
from node.wallet import address_of, sign_tx
from tests.bridge.hardhat_fixture import Hardhat, skip_reason
from tests.contracts.bridge_fixture import SETTINGS, Bridge
from tests.node.l1.test_l1_pipeline import E6, follow, l1_deposit, l1_sequencer
from tests.node.l1.test_l1_stalls import check_l1

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

FAST = L1Settings(receipt_timeout_s=1.0, bump_after_s=0.4, poll_s=0.05, head_tag="safe")


@pytest.fixture(scope="module")
def hardhat_bridge():
    node = Hardhat.start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        genesis_time = w3.eth.get_block("latest")["timestamp"]
        chains = []

        def l2_genesis(portal: bytes):
            chains.append(dev_chain(genesis_time, Domain(DEV_CHAIN_ID, portal)))
            return chains[-1].genesis

        role = {name: Account.from_key(devnet_key(name)).address for name in ("sequencer", "proposer")}
        deployment = deploy(w3, devnet_key("deployer"), role["sequencer"], role["proposer"], SETTINGS,
                            l2_genesis=l2_genesis, l1_settings=FAST)
        yield Bridge(node, w3, deployment, deployment.contracts(w3), chains[-1])
    finally:
        node.close()


def test_deposit_trade_stall_follow_withdraw_claim_on_hardhat(hardhat_bridge: Bridge):
    bridge = hardhat_bridge
    w3 = bridge.w3
    assert w3.eth.chain_id == 31337 and "HardhatNetwork" in w3.client_version
    assert bridge.deployment.verifier  # the one-step verifier deployed too
    reader = L1Reader(w3, bridge.deployment, FAST)
    chain = bridge.chain
    alice, bob = dev_key("alice"), dev_key("bob")
    domain = chain.genesis.domain

    async def scenario():
        watcher = L1Watcher(reader, confirmations=1)
        sequencer = await l1_sequencer(chain, watcher)
        l1_deposit(bridge, "alice", alice, 100_000 * E6)
        l1_deposit(bridge, "bob", bob, 50_000 * E6)
        bridge.rpc("evm_mine")
        assert watcher.poll()
        sequencer.wake()
        for _ in range(400):
            await asyncio.sleep(0.01)
            if sequencer.head_deposits_through == 2:
                break
        assert accounts.load(sequencer.state, address_of(alice)).balance_e6 == 100_000 * E6
        sequencer_tx = Transactor(w3, devnet_key("sequencer"), FAST)
        proposer_tx = Transactor(w3, devnet_key("proposer"), FAST)
        batcher = Batcher(sequencer, reader, sequencer_tx, proposer_tx, interval_s=0.3, bond_poll_s=0.3)
        batcher.catch_up()
        sequencer.add_observer(batcher)
        task = asyncio.get_running_loop().create_task(batcher.run())
        await sequencer.submit(sign_tx(alice, PlaceOrder(0, 5, 1, 60 * E6, 2 * E6, 0, False, 0, 0), domain))
        _, receipt = await sequencer.submit(sign_tx(bob, PlaceOrder(0, 5, 0, 60 * E6, E6, 1, False, 0, 0), domain))
        assert receipt.ok and receipt.filled_e6 == E6
        await asyncio.sleep(1.0)
        # the L1 stops mining for longer than every timeout while trading goes on
        assert bridge.rpc("evm_setAutomine", False)["result"] is True
        for nonce in range(1, 4):
            await sequencer.submit(sign_tx(bob, PlaceOrder(nonce, 5, 0, 40 * E6, E6, 0, False, 0, 0), domain))
            await asyncio.sleep(1.2)
        assert "waiting for L1" in batcher.status.last_error
        bridge.rpc("evm_setAutomine", True)
        bridge.rpc("evm_mine")
        _, receipt = await sequencer.submit(sign_tx(alice, Withdraw(3, 2_500 * E6, address_of(alice)), domain))
        assert receipt.ok
        for _ in range(600):
            await asyncio.sleep(0.05)
            if (batcher.proofs.get(0) is not None and not batcher.sealed and not batcher.in_flight
                    and not batcher.open and batcher.status.last_posted_l2_block == sequencer.head_number
                    and reader.commitment_count() == reader.batch_count()):
                break
        batcher.stop()
        await task
        await sequencer.stop()
        return sequencer, batcher, sequencer_tx, proposer_tx

    sequencer, batcher, sequencer_tx, proposer_tx = asyncio.run(asyncio.wait_for(scenario(), 240))
    assert sequencer_tx.replacements + proposer_tx.replacements > 0  # Hardhat took same-nonce replacements
    assert w3.eth.get_transaction_count(sequencer_tx.address) == reader.batch_count()  # one nonce per batch
    check_l1(bridge, reader, sequencer)  # every block once, roots in step, the follower agrees

    replica, follower = follow(bridge, reader, bridge.chain)
    proof = batcher.proofs.get(0)
    assert proof == follower.proofs.get(0)
    bridge.advance(bridge.deployment.settings.challenge_window_s)
    token, portal = bridge.c["token"], bridge.c["portal"]
    owner = Web3.to_checksum_address(address_of(alice))
    before = token.functions.balanceOf(owner).call()
    Transactor(w3, alice, FAST).transact(portal, "claim", proof.commitment_index, 0,
                                         Web3.to_checksum_address(proof.sender),
                                         Web3.to_checksum_address(proof.recipient), proof.amount_e6,
                                         proof.block_number, list(proof.proof))
    assert token.functions.balanceOf(owner).call() == before + 2_500 * E6
    returned = Batcher(replica, reader, sequencer_tx, proposer_tx).return_bonds()
    assert returned == reader.commitment_count()


def test_operator_commands_on_hardhat(tmp_path):
    """As an operator would: keys in a keystore, ``optrollup genesis init``, ``optrollup
    deploy`` to the Hardhat node, then ``optrollup node`` (no --dev: the deployment's
    genesis, keystore keys) posting batches and roots of an L1 deposit; a follower
    deriving from L1 alone agrees with every root."""
    import subprocess
    import sys
    import threading
    import time

    from bridge.deploy import Deployment
    from node.cli.main import main
    from node.derivation.follower import Follower
    from node.keystore import Keystore
    from node.sequencer.sequencer import Sequencer

    node = Hardhat.start()
    process = None
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        keystore = Keystore(tmp_path / "keys", kdf_iterations=2)
        for label in ("deployer", "sequencer", "proposer"):
            keystore.import_key(label, devnet_key(label), "pw")
        (tmp_path / "pw").write_text("pw\n")
        keys = ["--keys-dir", str(tmp_path / "keys"), "--password-file", str(tmp_path / "pw")]
        admin, oracle = Account.create(), Account.create()
        genesis = str(tmp_path / "genesis.toml")
        assert main(["genesis", "init", "--out", genesis, "--admin", admin.address, "--oracle", oracle.address,
                     "--sequencer", Account.from_key(devnet_key("sequencer")).address,
                     "--proposer", Account.from_key(devnet_key("proposer")).address, "--chain-id", "777"]) == 0
        deployment_file = str(tmp_path / "deployment.json")
        assert main(["deploy", "--l1", node.url, "--genesis", genesis, "--deployer-key", "deployer", *keys,
                     "--out", deployment_file]) == 0
        deployment = Deployment.load(deployment_file)
        process = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "node", "--l1", node.url, "--deployment", deployment_file,
             "--batcher-key", "sequencer", "--proposer-key", "proposer", *keys, "--listen", "127.0.0.1:0",
             "--metrics", "off", "--confirmations", "1", "--batch-interval", "0.5", "--l1-head-tag", "finalized",
             "--data-dir", str(tmp_path / "node")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        up = threading.Event()

        def read() -> None:
            for line in process.stdout:
                lines.append(line.rstrip())
                if line.startswith("listening on"):
                    up.set()

        threading.Thread(target=read, daemon=True).start()
        assert up.wait(90), "\n".join(lines[-30:])
        assert any("optrollup node: chain id 777" in line for line in lines), lines
        contracts = deployment.contracts(w3)
        alice = Account.from_key(devnet_key("alice"))
        Transactor(w3, devnet_key("deployer")).transact(contracts["token"], "mint", alice.address, 5_000 * E6)
        sender = Transactor(w3, devnet_key("alice"))
        sender.transact(contracts["token"], "approve", deployment.portal, 5_000 * E6)
        sender.transact(contracts["portal"], "deposit", alice.address, 5_000 * E6)
        reader = L1Reader(w3, deployment)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            w3.provider.make_request("evm_mine", [])  # an automining L1 makes blocks only for transactions
            time.sleep(0.3)
            if reader.batch_count() and reader.commitment_count() == reader.batch_count():
                break
        assert reader.batch_count() >= 1 and reader.commitment_count() == reader.batch_count(), lines[-20:]
        address = next(line for line in lines if line.startswith("listening on")).split()[-1]
        status = subprocess.run([sys.executable, "-m", "node.cli.main", "status", "--node", address, "--json"],
                                capture_output=True, text=True, timeout=60)
        l1 = json.loads(status.stdout)["l1"]
        assert l1["role"] == "sequencer" and l1["batches"] >= 1 and l1["roots"] >= 1 and l1["deposits"] == 1, l1
        assert {"roots_final", "bonds_returned", "l1_txs_in_flight", "fee_bumps", "last_error"} <= set(l1), l1
        w3.provider.make_request("evm_mine", [])
        from node.store.codec import decode_genesis

        replica = Sequencer.from_genesis(decode_genesis(bytes.fromhex(deployment.l2_genesis)))
        replica.set_replica()
        follower = Follower(reader, replica, confirmations=1)
        follower.step()
        assert follower.status.roots_checked == reader.commitment_count() and not follower.status.mismatches
        assert accounts.load(replica.state, bytes.fromhex(alice.address[2:])).balance_e6 == 5_000 * E6
    finally:
        if process is not None:
            process.terminate()
            process.wait(20)
        node.close()
