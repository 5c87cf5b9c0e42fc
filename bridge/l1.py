"""Talking to L1 over Ethereum JSON-RPC (web3.py): signed transactions and their receipts.

``Transactor(w3, key)`` sends EIP-1559 transactions from one key: it keeps the nonce
(starting from the node's pending count), estimates gas with headroom, waits for the
receipt (or, with ``submit``/``wait``, lets several be in flight), and raises ``L1TxFailed`` with the revert reason when a transaction reverts
(the reason is recovered by replaying the call at the block before). It works against
any Ethereum node; nothing here knows about the devnet.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Final

from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

GAS_HEADROOM_PERCENT: Final = 25
DEFAULT_TIMEOUT_S: Final = 60.0
PRIORITY_FEE_WEI: Final = 10**9


class L1TxFailed(Exception):
    """An L1 transaction was refused or reverted; ``reason`` is the node's or the contract's."""

    def __init__(self, reason: str, tx_hash: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.tx_hash = tx_hash


@dataclass(frozen=True, slots=True)
class Sent:
    """A mined L1 transaction: its hash, block, gas used, status and receipt."""

    tx_hash: bytes
    block_number: int
    gas_used: int
    receipt: Any


@dataclass(frozen=True, slots=True)
class Submitted:
    """A sent transaction not yet waited for: its hash and the call (to replay a revert)."""

    tx_hash: bytes
    call: dict


class Transactor:
    """Sends transactions from ``key`` (thread-safe; one nonce sequence per instance)."""

    def __init__(self, w3: Web3, key: bytes, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.w3 = w3
        self.account = Account.from_key(key)
        self.address = self.account.address
        self.timeout_s = timeout_s
        self.chain_id = w3.eth.chain_id
        self._lock = threading.Lock()
        self._nonce: int | None = None

    def _fees(self) -> tuple[int, int]:
        base = self.w3.eth.get_block("latest")["baseFeePerGas"]
        return 2 * base + PRIORITY_FEE_WEI, PRIORITY_FEE_WEI

    def send(self, to: str | None, data: bytes = b"", value: int = 0, gas: int | None = None) -> Sent:
        """Sign, send and wait for one transaction; raise ``L1TxFailed`` unless it succeeded."""
        return self.wait(self.submit(to, data, value, gas))

    def submit(self, to: str | None, data: bytes = b"", value: int = 0, gas: int | None = None) -> "Submitted":
        """Sign and send without waiting (the next nonce); ``wait`` for its receipt. Several
        can be in flight: they are mined in nonce order. ``gas`` is estimated when omitted,
        which only works if the call succeeds on the current state."""
        call = {"from": self.address, "data": data, "value": value}
        if to is not None:
            call["to"] = to
        if gas is None:
            try:
                gas = self.w3.eth.estimate_gas(call) * (100 + GAS_HEADROOM_PERCENT) // 100
            except ContractLogicError as exc:
                raise L1TxFailed(_reason(exc)) from None
        max_fee, priority = self._fees()
        with self._lock:
            if self._nonce is None:
                self._nonce = self.w3.eth.get_transaction_count(self.address, "pending")
            tx = {**call, "chainId": self.chain_id, "nonce": self._nonce, "gas": gas,
                  "maxFeePerGas": max_fee, "maxPriorityFeePerGas": priority}
            signed = self.account.sign_transaction(tx)
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except Web3RPCError as exc:
                self._nonce = None  # re-read: the node is the authority
                raise L1TxFailed(_reason(exc)) from None
            self._nonce += 1
        return Submitted(bytes(tx_hash), call)

    def wait(self, submitted: "Submitted") -> Sent:
        """The receipt of a submitted transaction; ``L1TxFailed`` (with the reason) if it reverted."""
        receipt = self.w3.eth.wait_for_transaction_receipt(submitted.tx_hash, timeout=self.timeout_s,
                                                           poll_latency=0.05)
        if receipt["status"] != 1:
            with self._lock:
                self._nonce = None
            raise L1TxFailed(self._revert_reason(submitted.call, receipt["blockNumber"]), submitted.tx_hash)
        return Sent(submitted.tx_hash, receipt["blockNumber"], receipt["gasUsed"], receipt)

    def _revert_reason(self, call: dict, block_number: int) -> str:
        try:
            self.w3.eth.call(call, block_number - 1)
        except ContractLogicError as exc:
            return _reason(exc)
        except Exception as exc:  # the node could not replay it: say what we know
            return f"reverted ({exc})"
        return "reverted"

    def transact(self, contract, function: str, *args: Any, value: int = 0, gas: int | None = None) -> Sent:
        """Call ``contract.function(*args)`` in a transaction (``contract``: a web3 contract)."""
        return self.wait(self.submit_call(contract, function, *args, value=value, gas=gas))

    def submit_call(self, contract, function: str, *args: Any, value: int = 0, gas: int | None = None) -> "Submitted":
        """``transact`` without waiting."""
        data = bytes.fromhex(contract.encode_abi(function, list(args))[2:])
        return self.submit(contract.address, data, value, gas)

    def deploy(self, initcode: bytes, constructor_args: bytes = b"", gas: int | None = None) -> str:
        """Deploy a contract; returns its checksummed address."""
        sent = self.send(None, initcode + constructor_args, 0, gas)
        return sent.receipt["contractAddress"]


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, dict):
        message = exc.rpc_response.get("error", {}).get("message", message)
    return message
