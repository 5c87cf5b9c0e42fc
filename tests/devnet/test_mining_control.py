"""The devnet's pool and miner as an operator's L1 test needs them: replace-by-fee on a
pending nonce, and mining switched off and on at run time (Hardhat's ``evm_setAutomine``
and ``evm_setIntervalMining``)."""

from __future__ import annotations

import time

from eth_account import Account
from web3 import Web3

from devnet.accounts import devnet_key
from tests.devnet.devnet_fixture import DevnetThread

TO = "0x" + "55" * 20


def test_replace_by_fee_and_mining_control():
    devnet = DevnetThread().start()
    try:
        w3 = Web3(Web3.HTTPProvider(devnet.url, request_kwargs={"timeout": 30}))
        rpc = w3.provider.make_request
        alice = Account.from_key(devnet_key("alice"))

        def signed(value: int, fee: int, tip: int, nonce: int = 0) -> bytes:
            return alice.sign_transaction({"chainId": w3.eth.chain_id, "nonce": nonce, "to": TO, "value": value,
                                           "gas": 21_000, "maxFeePerGas": fee,
                                           "maxPriorityFeePerGas": tip}).raw_transaction

        assert rpc("evm_setAutomine", [False])["result"] is True
        head = w3.eth.block_number
        first = w3.eth.send_raw_transaction(signed(1, 10**10, 10**9))
        time.sleep(0.2)
        assert w3.eth.block_number == head  # not mined
        # a replacement must pay 10% more on both fee fields
        refused = rpc("eth_sendRawTransaction", ["0x" + signed(2, 11 * 10**9, 10**9).hex()])
        assert "underpriced" in refused["error"]["message"]
        second = w3.eth.send_raw_transaction(signed(3, 11 * 10**9, 11 * 10**8))
        assert w3.eth.get_transaction_count(alice.address, "pending") == 1
        assert rpc("eth_getTransactionByHash", ["0x" + first.hex()])["result"] is None  # replaced
        assert rpc("evm_mine", [])["result"]
        assert w3.eth.get_transaction_receipt(second)["status"] == 1 and w3.eth.get_balance(TO) == 3
        # interval mining: empty blocks at the interval, then off again
        assert rpc("evm_setIntervalMining", [100])["result"] is True
        time.sleep(0.6)
        assert w3.eth.block_number >= head + 3
        rpc("evm_setIntervalMining", [0])
        time.sleep(0.15)
        still = w3.eth.block_number
        time.sleep(0.3)
        assert w3.eth.block_number == still
        assert "error" in rpc("evm_setAutomine", ["yes"])
        rpc("evm_setAutomine", [True])
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed(4, 10**10, 10**9, nonce=1)), timeout=5, poll_latency=0.02)
        assert receipt["status"] == 1
    finally:
        devnet.close()
