"""``bridge.l1.Transactor`` against an L1 that stops mining, reverts, or has a stranger's
transaction on our nonce: a nonce is spent once, a stuck transaction is replaced on its
own nonce with higher fees, never duplicated. Each test runs on the devnet and on a
Hardhat node from npm."""

from __future__ import annotations

import threading
import time

import pytest
from eth_account import Account
from web3 import Web3

from bridge.l1 import L1NonceTaken, L1Settings, L1TxFailed, L1TxPending, Transactor
from bridge.vyper_build import compile_contract
from devnet.accounts import devnet_key
from tests.bridge.hardhat_fixture import Hardhat, skip_reason
from tests.devnet.devnet_fixture import DevnetThread

FAST = L1Settings(receipt_timeout_s=1.0, bump_after_s=0.3, poll_s=0.02)
TO = "0x" + "77" * 20


@pytest.fixture(params=["devnet", "hardhat"])
def l1(request):
    """The devnet, and a Hardhat node from npm (whose pool has its own replacement rules)."""
    if request.param == "hardhat":
        if skip_reason() is not None:
            pytest.skip(skip_reason())
        node = Hardhat.start()
    else:
        node = DevnetThread().start()
    w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
    yield node, w3
    node.close()


def rpc(w3: Web3, method: str, *params):
    response = w3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


def count(w3: Web3, address: str, tag: str = "latest") -> int:
    return w3.eth.get_transaction_count(address, tag)


def test_a_stuck_transaction_is_replaced_on_its_nonce_and_mined_once(l1):
    _, w3 = l1
    sender = Transactor(w3, devnet_key("alice"), FAST)
    rpc(w3, "evm_setAutomine", False)  # the L1 stops mining for longer than every timeout
    submitted = sender.submit(TO, b"", 1)
    first_fee = sender.in_flight[submitted.nonce].tx["maxFeePerGas"]
    with pytest.raises(L1TxPending, match="still in flight"):
        sender.wait(submitted)
    with pytest.raises(L1TxPending):
        sender.wait(submitted)  # waiting again continues: no new nonce
    assert sender.replacements >= 3 and list(sender.in_flight) == [submitted.nonce]
    entry = sender.in_flight[submitted.nonce]
    assert len(entry.hashes) == sender.replacements + 1
    assert entry.tx["maxFeePerGas"] >= first_fee * 125**3 // 100**3 and entry.tx["nonce"] == submitted.nonce
    assert count(w3, sender.address, "pending") == submitted.nonce + 1  # one transaction in the pool
    rpc(w3, "evm_setAutomine", True)
    rpc(w3, "evm_mine")
    sent = sender.wait(submitted)
    assert sent.tx_hash == entry.hashes[-1] and sent.receipt["status"] == 1
    assert w3.eth.get_balance(TO) == 1  # mined once
    assert count(w3, sender.address) == submitted.nonce + 1 and not sender.in_flight
    follow = sender.send(TO, b"", 1)  # the next nonce follows
    assert w3.eth.get_transaction(follow.tx_hash)["nonce"] == submitted.nonce + 1


def test_the_fee_cap_holds_and_the_transaction_waits(l1):
    _, w3 = l1
    cap = 3 * 10**9
    sender = Transactor(w3, devnet_key("alice"), L1Settings(receipt_timeout_s=0.8, bump_after_s=0.1, poll_s=0.02,
                                                             max_fee_wei=cap, priority_fee_wei=10**9))
    rpc(w3, "evm_setAutomine", False)
    submitted = sender.submit(TO, b"", 1)
    with pytest.raises(L1TxPending):
        sender.wait(submitted)
    assert sender.in_flight[submitted.nonce].tx["maxFeePerGas"] <= cap
    rpc(w3, "evm_mine")
    assert sender.wait(submitted).receipt["status"] == 1


def test_a_reverted_transaction_spends_its_nonce(l1):
    _, w3 = l1
    build = compile_contract("test/devnet_probe.vy")
    deployer = Transactor(w3, devnet_key("deployer"), FAST)
    probe = w3.eth.contract(address=deployer.deploy(build.initcode), abi=list(build.abi))
    before = count(w3, deployer.address)
    with pytest.raises(L1TxFailed) as failed:  # gas given: not estimated, so it is mined and reverts
        deployer.transact(probe, "store", 13, gas=100_000)
    assert "unlucky" in failed.value.reason and failed.value.tx_hash and w3.eth.get_transaction_receipt(failed.value.tx_hash)["status"] == 0
    assert count(w3, deployer.address) == before + 1
    after = deployer.transact(probe, "store", 7)
    assert w3.eth.get_transaction(after.tx_hash)["nonce"] == before + 1


def test_a_stranger_on_our_nonce_is_reported(l1):
    _, w3 = l1
    sender = Transactor(w3, devnet_key("alice"), FAST)
    rpc(w3, "evm_setAutomine", False)
    submitted = sender.submit(TO, b"", 1)
    other = Account.from_key(devnet_key("alice"))  # another process with the same key, paying more
    signed = other.sign_transaction({"chainId": w3.eth.chain_id, "nonce": submitted.nonce, "to": TO, "value": 5,
                                     "gas": 21_000, "maxFeePerGas": 10**12, "maxPriorityFeePerGas": 10**11})
    w3.eth.send_raw_transaction(signed.raw_transaction)
    rpc(w3, "evm_mine")
    with pytest.raises(L1NonceTaken, match=f"nonce {submitted.nonce}"):
        sender.wait(submitted)
    assert w3.eth.get_balance(TO) == 5 and not sender.in_flight


def test_clear_stuck_replaces_what_an_earlier_process_left_pending(l1):
    _, w3 = l1
    earlier = Transactor(w3, devnet_key("bob"), FAST)
    rpc(w3, "evm_setAutomine", False)
    for _ in range(3):
        earlier.submit(TO, b"", 1)
    stuck = earlier.in_flight[max(earlier.in_flight)]
    earlier._bump(stuck)  # the pool holds a version with higher fees than a fresh send would pay
    restarted = Transactor(w3, devnet_key("bob"), FAST)
    timer = threading.Timer(1.0, lambda: rpc(w3, "evm_mine"))  # the L1 mines again later
    timer.start()
    started = time.monotonic()
    assert restarted.clear_stuck(timeout_s=10) == 3
    timer.join()
    assert time.monotonic() - started >= 1.0
    assert count(w3, restarted.address) == count(w3, restarted.address, "pending") == 3
    assert w3.eth.get_balance(TO) == 0  # every stuck transfer was replaced by a transfer to self
    rpc(w3, "evm_setAutomine", True)
    assert restarted.send(TO, b"", 1).receipt["status"] == 1 and w3.eth.get_balance(TO) == 1
