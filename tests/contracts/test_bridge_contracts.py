"""The bridge contracts on the devnet (py-evm) over JSON-RPC: behaviour and every revert."""

from __future__ import annotations

import dataclasses

import pytest
from eth_abi import encode as abi_encode
from web3 import Web3

from bridge.evm_call import EvmRunner
from bridge.l1 import L1TxFailed
from bridge.vyper_build import compile_contract
from node.derivation.rules import L1Deposit, L1Forced
from node.l1.batch_chunks import chunks_root
from node.l1.genesis_anchor import genesis_state_root
from node.l1.queue_hashes import deposit_hash, forced_hash
from node.l1.reader import InboxRecord, L1Reader
from tests.contracts.bridge_fixture import SETTINGS, Bridge, start_bridge


@pytest.fixture(scope="module")
def bridge():
    b = start_bridge()
    yield b
    b.devnet.close()


def reverts(reason: str):
    return pytest.raises(L1TxFailed, match=reason)


def propose_next(bridge: Bridge, root: bytes) -> int:
    """Propose ``root`` for the next batch without one (posting a batch if none waits), at the
    batch's declared L2 block (or the previous root's, if the batch declares a lower one)."""
    inbox, commitments = bridge.c["inbox"], bridge.c["commitments"]
    index = commitments.functions.commitment_count().call()
    previous = commitments.functions.commitments(index - 1).call()[1] if index else 0
    if inbox.functions.batch_count().call() <= index:
        bridge.sender("sequencer").transact(inbox, "append_batch", b"\x01batch", previous + 1)
    declared = inbox.functions.last_l2_block(index).call()
    bridge.sender("proposer").transact(commitments, "propose", index, max(declared, previous), root,
                                       value=SETTINGS.bond_wei)
    return index


def test_token_transfers_and_reverts(bridge: Bridge):
    token, deployer, alice, bob = bridge.c["token"], bridge.sender("deployer"), bridge.sender("alice"), bridge.sender("bob")
    assert token.functions.decimals().call() == 6
    deployer.transact(token, "mint", alice.address, 5_000_000)
    alice.transact(token, "transfer", bob.address, 1_250_000)
    assert token.functions.balanceOf(alice.address).call() == 3_750_000
    assert token.functions.balanceOf(bob.address).call() == 1_250_000
    with reverts("token: caller is not the minter"):
        alice.transact(token, "mint", alice.address, 1)
    with reverts("token: insufficient balance"):
        bob.transact(token, "transfer", alice.address, 1_250_001)
    with reverts("token: insufficient allowance"):
        bob.transact(token, "transferFrom", alice.address, bob.address, 1)
    alice.transact(token, "approve", bob.address, 100)
    bob.transact(token, "transferFrom", alice.address, bob.address, 100)
    assert token.functions.allowance(alice.address, bob.address).call() == 0


def record(bridge: Bridge, index: int) -> InboxRecord:
    return L1Reader(bridge.w3, bridge.deployment).batch_record(index)


def next_declared(bridge: Bridge) -> int:
    """A declared last L2 block above every earlier batch's (the roots' tests propose them in order)."""
    count = bridge.c["inbox"].functions.batch_count().call()
    return bridge.c["inbox"].functions.last_l2_block(count - 1).call() + 1 if count else 1


def test_inbox_records_each_batch_and_takes_batches_only_from_the_sequencer(bridge: Bridge):
    """The record holds what derivation reads from L1 for the batch: its data's length, chunk
    root and hash, the append's L1 block and time, the queues' counts and the declared block."""
    inbox, sequencer = bridge.c["inbox"], bridge.sender("sequencer")
    portal, forced = bridge.c["portal"], bridge.c["forced"]
    for data, last_l2_block in ((b"\x01batch-one", 10), (bytes(range(256)) * 40, 11)):
        sent = sequencer.transact(inbox, "append_batch", data, last_l2_block)
        index = inbox.functions.batch_count().call() - 1
        header = bridge.w3.eth.get_block(sent.block_number)
        expected = InboxRecord(len(data), chunks_root(data), Web3.keccak(data), sent.block_number, header["timestamp"],
                               portal.functions.deposit_count().call(), forced.functions.forced_count().call(),
                               last_l2_block)
        assert record(bridge, index) == expected
        assert inbox.functions.last_l2_block(index).call() == last_l2_block
        event = inbox.events.BatchAppended().process_receipt(sent.receipt)[0]
        assert event.args.index == index
        assert InboxRecord(*(event.args[field.name] for field in dataclasses.fields(InboxRecord))) == expected
    with reverts("inbox: caller is not the sequencer"):
        bridge.sender("alice").transact(inbox, "append_batch", b"\x01", 12)
    with reverts("inbox: empty batch"):
        sequencer.transact(inbox, "append_batch", b"", 12)


@pytest.mark.parametrize("size", (1, 1023, 1024, 1025, 3 * 1024 + 7, 18_160, 119_999, 120_000))
def test_the_inbox_s_chunk_root_is_python_s(bridge: Bridge, size: int):
    """``append_batch`` computes ``node.l1.batch_chunks.chunks_root`` bit for bit (empty data
    is refused by the inbox; its root is zero), with gas to spare beside the calldata."""
    import random

    data = random.Random(size).randbytes(size)
    sent = bridge.sender("sequencer").transact(bridge.c["inbox"], "append_batch", data, next_declared(bridge))
    index = bridge.c["inbox"].functions.batch_count().call() - 1
    assert record(bridge, index).chunks_root == chunks_root(data)
    assert sent.gas_used < EvmRunner.transaction_gas(data, 0) + 400_000
    assert chunks_root(b"") == b"\0" * 32


def test_the_queue_counts_are_those_before_the_append_in_its_own_block(bridge: Bridge):
    """Entries queued by later transactions of the batch's own L1 block are not in its record."""
    forced, inbox, w3 = bridge.c["forced"], bridge.c["inbox"], bridge.w3
    alice, bob, sequencer = bridge.sender("alice"), bridge.sender("bob"), bridge.sender("sequencer")
    before = forced.functions.forced_count().call()
    calls = [(alice, forced, "force", (b"\x04first",)),
             (sequencer, inbox, "append_batch", (b"\x01same-block", next_declared(bridge))),
             (bob, forced, "force", (b"\x04after",))]
    raws = []
    for who, contract, function, args in calls:
        tx = contract.functions[function](*args).build_transaction({
            "from": who.address, "nonce": w3.eth.get_transaction_count(who.address, "pending"), "gas": 1_000_000,
            "chainId": who.chain_id})
        raws.append(bytes(who.account.sign_transaction(tx).raw_transaction))

    async def send_together() -> list[bytes]:  # one turn of the devnet's loop, then one block
        return [bridge.devnet.devnet.chain.send_raw_transaction(raw) for raw in raws]

    hashes = bridge.devnet.call(send_together())
    bridge.rpc("evm_mine")
    receipts = [w3.eth.wait_for_transaction_receipt(tx_hash) for tx_hash in hashes]
    assert len({r["blockNumber"] for r in receipts}) == 1, "the three transactions must share one L1 block"
    index = inbox.functions.batch_count().call() - 1
    assert record(bridge, index).forced_seen == before + 1
    assert forced.functions.forced_count().call() == before + 2


def test_commitments_bond_window_finality_and_reverts(bridge: Bridge):
    inbox, commitments = bridge.c["inbox"], bridge.c["commitments"]
    proposer, sequencer = bridge.sender("proposer"), bridge.sender("sequencer")
    bond = SETTINGS.bond_wei
    while (count := inbox.functions.batch_count().call()) < 3:
        sequencer.transact(inbox, "append_batch", b"\x01batch", 10 + count)

    def declared(index: int) -> int:
        return inbox.functions.last_l2_block(index).call()

    root = b"\x11" * 32
    with reverts("commitments: wrong bond"):
        proposer.transact(commitments, "propose", 0, declared(0), root, value=bond - 1)
    with reverts("commitments: not the next batch"):
        proposer.transact(commitments, "propose", 1, declared(1), root, value=bond)
    with reverts("commitments: empty root"):
        proposer.transact(commitments, "propose", 0, declared(0), b"\0" * 32, value=bond)
    sent = proposer.transact(commitments, "propose", 0, declared(0), root, value=bond)
    event = commitments.events.StateProposed().process_receipt(sent.receipt)[0]
    proposed_at = bridge.w3.eth.get_block(sent.block_number)["timestamp"]
    assert event.args.finalizes_at == proposed_at + SETTINGS.challenge_window_s
    # The proposer just spoke: nobody else may propose until it is silent for SILENCE (the
    # shared devnet's clock may be past that since deployment, so this is checked only now).
    with reverts("commitments: caller is not the proposer"):
        bridge.sender("alice").transact(commitments, "propose", 1, declared(1), root, value=bond)
    with reverts("commitments: L2 block before the last"):
        proposer.transact(commitments, "propose", 1, declared(0) - 1, root, value=bond)
    count = inbox.functions.batch_count().call()
    for batch in range(1, count):
        proposer.transact(commitments, "propose", batch, declared(batch), root, value=bond)
    with reverts("commitments: batch not posted"):
        proposer.transact(commitments, "propose", count, declared(count - 1), root, value=bond)
    assert not commitments.functions.is_final(0).call()
    with reverts("commitments: root not final"):
        bridge.sender("alice").transact(commitments, "return_bond", 0)
    bridge.advance(SETTINGS.challenge_window_s)
    assert commitments.functions.is_final(0).call()
    assert commitments.functions.final_root(0).call() == root
    before = bridge.w3.eth.get_balance(proposer.address)
    bridge.sender("alice").transact(commitments, "return_bond", 0)
    assert bridge.w3.eth.get_balance(proposer.address) == before + bond
    with reverts("commitments: bond already returned"):
        bridge.sender("alice").transact(commitments, "return_bond", 0)


def test_a_root_never_names_a_block_before_the_last(bridge: Bridge):
    """A batch that derived nothing gets a root at the previous root's block; a lower block
    is refused; the block is otherwise the followers' (and a dispute game's) to check."""
    inbox, commitments = bridge.c["inbox"], bridge.c["commitments"]
    proposer, sequencer = bridge.sender("proposer"), bridge.sender("sequencer")
    bond = SETTINGS.bond_wei
    propose_next(bridge, b"\x10" * 32)  # every batch so far has a root
    index = commitments.functions.commitment_count().call()
    previous = commitments.functions.commitments(index - 1).call()[1]
    sequencer.transact(inbox, "append_batch", b"\x01batch", previous + 3)
    sequencer.transact(inbox, "append_batch", b"\x01batch", previous + 5)
    assert inbox.functions.last_l2_block(index + 1).call() == previous + 5
    proposer.transact(commitments, "propose", index, previous, b"\x44" * 32, value=bond)  # derived nothing
    with reverts("commitments: L2 block before the last"):
        proposer.transact(commitments, "propose", index + 1, previous - 1, b"\x45" * 32, value=bond)
    proposer.transact(commitments, "propose", index + 1, previous + 5, b"\x45" * 32, value=bond)
    assert [commitments.functions.commitments(i).call()[1] for i in (index, index + 1)] == [previous, previous + 5]


def test_the_l2_genesis_root_is_committed_at_deployment(bridge: Bridge):
    commitments = bridge.c["commitments"]
    assert commitments.functions.GENESIS_STATE_ROOT().call() == genesis_state_root(bridge.chain.genesis)
    initcode = compile_contract("bridge/state_commitments.vy").initcode
    args = abi_encode(["address", "bytes32", "address", "uint256", "uint256", "uint256"],
                      [bridge.c["inbox"].address, b"\0" * 32, bridge.address("proposer"), 1, 60, 600])
    with reverts("commitments: empty genesis root"):
        bridge.sender("deployer").deploy(initcode, args)


def test_only_the_dispute_game_invalidates_a_root_that_is_not_final(bridge: Bridge):
    deployer = bridge.sender("deployer")
    deployed = bridge.c["commitments"]
    assert deployed.functions.dispute_game().call() == bridge.deployment.dispute_game != ""
    with reverts("commitments: dispute game already set"):
        deployer.transact(deployed, "set_dispute_game", bridge.address("alice"))
    # a commitments contract of its own over the same inbox, with an EOA as its dispute game
    inbox, proposer, sequencer = bridge.c["inbox"], bridge.sender("proposer"), bridge.sender("sequencer")
    build = compile_contract("bridge/state_commitments.vy")
    address = deployer.deploy(build.initcode, abi_encode(
        ["address", "bytes32", "address", "uint256", "uint256", "uint256"],
        [inbox.address, b"\x01" * 32, bridge.address("proposer"), SETTINGS.bond_wei, SETTINGS.challenge_window_s,
         10**9]))
    commitments = bridge.w3.eth.contract(address=address, abi=list(build.abi))
    game = bridge.sender("challenger")  # an EOA stands in for the dispute game contract here
    bond = SETTINGS.bond_wei
    with reverts("commitments: caller is not the owner"):
        bridge.sender("alice").transact(commitments, "set_dispute_game", game.address)
    deployer.transact(commitments, "set_dispute_game", game.address)
    while inbox.functions.batch_count().call() < 4:
        sequencer.transact(inbox, "append_batch", b"\x01more", 0)
    proposer.transact(commitments, "propose", 0, 0, b"\x21" * 32, value=bond)
    bridge.advance(SETTINGS.challenge_window_s)
    first = 1
    for index in range(first, first + 3):
        proposer.transact(commitments, "propose", index, 0, b"\x22" * 32, value=bond)
    with reverts("commitments: caller is not the dispute game"):
        bridge.sender("alice").transact(commitments, "invalidate", first)
    with reverts("commitments: root already final"):
        game.transact(commitments, "invalidate", 0)
    with reverts("commitments: no such root"):
        game.transact(commitments, "invalidate", first + 3)
    before = bridge.w3.eth.get_balance(game.address)
    sent = game.transact(commitments, "invalidate", first + 1)
    fee = sent.gas_used * sent.receipt["effectiveGasPrice"]
    assert bridge.w3.eth.get_balance(game.address) == before - fee + 2 * bond
    assert commitments.functions.commitment_count().call() == first + 1
    assert not commitments.functions.is_final(first + 1).call()
    # the batch can be proposed again, with the right root
    proposer.transact(commitments, "propose", first + 1, 0, b"\x33" * 32, value=bond)
    assert commitments.functions.commitments(first + 1).call()[2] == b"\x33" * 32


def test_portal_deposits_are_an_indexed_queue(bridge: Bridge):
    token, portal = bridge.c["token"], bridge.c["portal"]
    deployer, carol = bridge.sender("deployer"), bridge.sender("carol")
    deployer.transact(token, "mint", carol.address, 10_000_000)
    with reverts("token: insufficient allowance"):
        carol.transact(portal, "deposit", carol.address, 1_000_000)
    carol.transact(token, "approve", portal.address, 2**256 - 1)
    with reverts("portal: zero amount"):
        carol.transact(portal, "deposit", carol.address, 0)
    with reverts("portal: zero recipient"):
        carol.transact(portal, "deposit", "0x" + "00" * 20, 5)
    with reverts("portal: amount too large"):
        carol.transact(portal, "deposit", carol.address, 2**63)
    recipient = bridge.address("alice")
    sent = carol.transact(portal, "deposit", recipient, 2_500_000)
    event = portal.events.DepositQueued().process_receipt(sent.receipt)[0]
    assert (event.args.index, event.args.sender, event.args.recipient, event.args.amount) == (
        0, carol.address, recipient, 2_500_000)
    # the deadline is L1 time + the forced queue's window, and the hash commits to it
    timestamp = bridge.w3.eth.get_block(sent.block_number)["timestamp"]
    assert portal.functions.WINDOW().call() == bridge.c["forced"].functions.WINDOW().call() == SETTINGS.force_window_s
    assert event.args.deadline == timestamp + SETTINGS.force_window_s
    assert portal.functions.deposit_hash(0).call() == Web3.keccak(
        abi_encode(["uint256", "address", "uint256", "uint256"], [0, recipient, 2_500_000, event.args.deadline]))
    assert portal.functions.deposit_hash(0).call() == deposit_hash(
        L1Deposit(0, bytes.fromhex(recipient[2:]), 2_500_000, event.args.deadline, sent.block_number))
    carol.transact(portal, "deposit", carol.address, 1)
    assert portal.functions.deposit_count().call() == 2
    assert token.functions.balanceOf(portal.address).call() == 2_500_001


def test_forced_inclusion_queue(bridge: Bridge):
    forced = bridge.c["forced"]
    alice = bridge.sender("alice")
    with reverts("forced: empty transaction"):
        alice.transact(forced, "force", b"")
    raw = b"\x04" + b"\x99" * 100
    sent = alice.transact(forced, "force", raw)
    event = forced.events.TransactionForced().process_receipt(sent.receipt)[0]
    timestamp = bridge.w3.eth.get_block(sent.block_number)["timestamp"]
    assert event.args.raw_tx == raw and event.args.deadline == timestamp + SETTINGS.force_window_s
    assert forced.functions.forced_hash(event.args.index).call() == forced_hash(
        L1Forced(event.args.index, raw, event.args.deadline, sent.block_number)) == Web3.keccak(
        abi_encode(["uint256", "bytes32", "uint256"], [event.args.index, Web3.keccak(raw), event.args.deadline]))


def test_portal_pays_a_proven_withdrawal_once_and_only_under_a_final_root(bridge: Bridge):
    from node.stf import keys
    from node.stf.hashing import keccak256
    from node.stf.mpt import Trie
    from node.stf.records import Withdrawal

    token, portal, inbox, commitments = (bridge.c[n] for n in ("token", "portal", "inbox", "commitments"))
    deployer, proposer, sequencer, dave = (bridge.sender(r) for r in ("deployer", "proposer", "sequencer", "maker"))
    deployer.transact(token, "mint", portal.address, 50_000_000)  # the portal's collateral
    recipient = bridge.address("bob")
    record = Withdrawal(bytes.fromhex(bridge.address("alice")[2:]), bytes.fromhex(recipient[2:]), 7_500_000, 42)
    trie = Trie()
    for i in range(300):  # other state around it
        trie.set(keccak256(b"\x01" + i.to_bytes(20, "big")), b"\x80" + bytes([i % 7]) * (i % 40))
    trie.set(keccak256(keys.withdrawal(3)), record.encode())
    root = trie.root_hash()
    proof = trie.get_proof(keccak256(keys.withdrawal(3)))
    index = propose_next(bridge, root)
    args = (index, 3, bridge.address("alice"), recipient, 7_500_000, 42, proof)
    with reverts("commitments: root not final"):
        dave.transact(portal, "claim", *args)
    bridge.advance(SETTINGS.challenge_window_s)
    with reverts("portal: no such withdrawal under this root"):
        dave.transact(portal, "claim", index, 3, bridge.address("alice"), recipient, 7_500_001, 42, proof)
    with reverts("mpt: "):
        dave.transact(portal, "claim", index, 3, bridge.address("alice"), recipient, 7_500_000, 42, proof[:-1])
    before = token.functions.balanceOf(recipient).call()
    sent = dave.transact(portal, "claim", *args)  # anyone may submit; the recipient is paid
    assert token.functions.balanceOf(recipient).call() == before + 7_500_000
    assert portal.events.WithdrawalClaimed().process_receipt(sent.receipt)[0].args.amount == 7_500_000
    with reverts("portal: withdrawal already claimed"):
        dave.transact(portal, "claim", *args)
