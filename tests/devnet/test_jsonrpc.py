"""The devnet over HTTP JSON-RPC, driven by web3.py as a real client would drive any Ethereum node."""

from __future__ import annotations

import json
import urllib.request

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError

from bridge.vyper_build import compile_contract
from devnet.accounts import FUNDS_WEI, devnet_key
from devnet.chain import DEVNET_CHAIN_ID
from tests.devnet.devnet_fixture import DevnetThread


@pytest.fixture(scope="module")
def node():
    devnet = DevnetThread().start()
    yield devnet
    devnet.close()


@pytest.fixture(scope="module")
def w3(node) -> Web3:
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))


def raw_rpc(url: str, payload) -> object:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def send(w3: Web3, key: bytes, tx: dict) -> dict:
    account = Account.from_key(key)
    tx = {"chainId": DEVNET_CHAIN_ID, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
          "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, **tx}
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas({k: v for k, v in tx.items() if k in ("to", "data", "value")}
                                        | {"from": account.address})
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.02)


def test_chain_basics(w3: Web3):
    assert w3.eth.chain_id == DEVNET_CHAIN_ID
    alice = Account.from_key(devnet_key("alice")).address
    assert w3.eth.get_balance(alice, 0) == FUNDS_WEI
    assert w3.eth.get_block(0)["number"] == 0
    fees = w3.eth.fee_history(1, "latest", [50])
    assert fees["baseFeePerGas"]


def test_value_transfer_exact_balances(w3: Web3):
    bob = Account.from_key(devnet_key("bob")).address
    to = "0x" + "77" * 20
    before = w3.eth.get_balance(bob)
    receipt = send(w3, devnet_key("bob"), {"to": to, "value": 12345, "gas": 21_000})
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21_000
    assert w3.eth.get_balance(to) == 12345
    spent = before - w3.eth.get_balance(bob)
    assert spent == 12345 + 21_000 * receipt["effectiveGasPrice"]
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["transactions"][receipt["transactionIndex"]]["hash"] == receipt["transactionHash"]


def test_deploy_call_logs_and_revert_reason(w3: Web3):
    build = compile_contract("test/devnet_probe.vy")
    receipt = send(w3, devnet_key("deployer"), {"data": build.initcode, "gas": 1_000_000})
    assert receipt["status"] == 1 and receipt["contractAddress"]
    probe = w3.eth.contract(address=receipt["contractAddress"], abi=list(build.abi))
    assert w3.eth.get_code(probe.address) == build.runtime
    alice = Account.from_key(devnet_key("alice"))
    stored = send(w3, devnet_key("alice"), {"to": probe.address, "data": probe.encode_abi("store", [42])})
    assert probe.functions.value().call() == 42
    events = probe.events.Stored().process_receipt(stored)
    assert [(e.args.who, e.args.value) for e in events] == [(alice.address, 42)]
    logs = probe.events.Stored().get_logs(from_block=0)
    assert [log.args.value for log in logs] == [42]
    with pytest.raises(ContractLogicError, match="probe: unlucky value"):
        probe.functions.store(13).call({"from": alice.address})
    with pytest.raises(ContractLogicError, match="probe: unlucky value"):
        probe.functions.store(13).estimate_gas({"from": alice.address})


def test_pool_refuses_bad_transactions_with_reasons(w3: Web3, node):
    carol = Account.from_key(devnet_key("carol"))
    good = {"chainId": DEVNET_CHAIN_ID, "nonce": w3.eth.get_transaction_count(carol.address), "to": carol.address,
            "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}
    cases = {
        "invalid chain id": good | {"chainId": 1},
        "nonce too high": good | {"nonce": good["nonce"] + 5},
        "intrinsic gas too low": good | {"gas": 20_000},
        "max fee per gas": good | {"maxFeePerGas": 1, "maxPriorityFeePerGas": 1},
        "insufficient funds": good | {"value": 10**30},
    }
    for reason, tx in cases.items():
        raw = carol.sign_transaction(tx).raw_transaction
        answer = raw_rpc(node.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                    "params": ["0x" + bytes(raw).hex()]})
        assert answer["error"]["code"] == -32000 and reason in answer["error"]["message"], (reason, answer)
    answer = raw_rpc(node.url, {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": ["0x1234"]})
    assert "invalid transaction" in answer["error"]["message"]
    assert raw_rpc(node.url, {"jsonrpc": "2.0", "id": 3, "method": "nope"})["error"]["code"] == -32601
    batch = raw_rpc(node.url, [{"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber"},
                               {"jsonrpc": "2.0", "id": 5, "method": "eth_chainId"}])
    assert [r["id"] for r in batch] == [4, 5] and batch[1]["result"] == hex(DEVNET_CHAIN_ID)


def test_increase_time_moves_the_next_block(w3: Web3, node):
    before = w3.eth.get_block("latest")["timestamp"]
    raw_rpc(node.url, {"jsonrpc": "2.0", "id": 1, "method": "evm_increaseTime", "params": [3600]})
    raw_rpc(node.url, {"jsonrpc": "2.0", "id": 2, "method": "evm_mine", "params": []})
    assert w3.eth.get_block("latest")["timestamp"] >= before + 3600


def test_restart_resumes_the_chain(tmp_path):
    first = DevnetThread(str(tmp_path)).start()
    try:
        w3 = Web3(Web3.HTTPProvider(first.url))
        receipt = send(w3, devnet_key("alice"), {"to": "0x" + "55" * 20, "value": 7, "gas": 21_000})
        head = w3.eth.block_number
    finally:
        first.close()
    second = DevnetThread(str(tmp_path)).start()
    try:
        w3 = Web3(Web3.HTTPProvider(second.url))
        assert w3.eth.block_number == head
        assert w3.eth.get_balance("0x" + "55" * 20) == 7
        assert w3.eth.get_transaction_receipt(receipt["transactionHash"])["blockNumber"] == receipt["blockNumber"]
        send(w3, devnet_key("alice"), {"to": "0x" + "55" * 20, "value": 1, "gas": 21_000})
        assert w3.eth.get_balance("0x" + "55" * 20) == 8
    finally:
        second.close()
