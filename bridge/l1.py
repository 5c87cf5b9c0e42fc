"""Talking to L1 over Ethereum JSON-RPC (web3.py): signed transactions and their receipts.

``Transactor(w3, key, settings)`` sends EIP-1559 transactions from one key. It keeps the
nonce (starting from the node's pending count) and every transaction it sent that is not
mined yet (``in_flight``, by nonce). Its rules, which make it safe on any Ethereum node:

1. A nonce is spent once. A transaction that is not mined after ``bump_after_s`` is signed
   again **on the same nonce** with both fee fields raised by ``fee_bump_percent`` (at least
   the 10% a geth-style pool requires; never above ``max_fee_wei``), and whichever version
   is mined is the transaction's receipt. Nothing is ever re-sent on a new nonce.
2. ``wait`` gives up after ``receipt_timeout_s`` with ``L1TxPending``: the transaction
   stays in flight (``wait`` again later continues, bumping on schedule). A caller must
   not send its content again.
3. A mined transaction that reverted raises ``L1TxFailed`` with the revert reason (the
   call replayed at the block before); its nonce is spent, the next one follows.
   ``L1NonceTaken`` (an ``L1TxFailed``) when the nonce was mined with a transaction this
   instance did not sign (another process using the same key).
4. ``clear_stuck`` at start: transactions from this key that an earlier process left in
   the node's pool (pending nonce above the mined one) are waited for, then replaced by
   zero-value transfers to self at a rising fee, so a restart starts from a clean nonce.
5. With ``confirmations > 0`` a receipt counts once that many blocks are on top of it.

Where nodes differ: Hardhat's automine answers the send of a transaction that reverts with
an error although it mined it, so a send's hash is computed locally and a failed send whose
receipt exists counts as sent (its nonce is spent; ``wait`` reports the revert); pools want
at least 10% more on both fee fields to replace (geth, Hardhat, the devnet).

``L1Settings`` (``bridge.l1_settings``) holds these knobs and the readers' (``head_tag``: ``latest``, ``safe`` or
``finalized``; ``log_range``). It works against any Ethereum node; nothing here knows
about the devnet.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Final

from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from bridge.l1_settings import DEFAULT_SETTINGS, MIN_BUMP_PERCENT, L1Settings

log = logging.getLogger(__name__)

GAS_HEADROOM_PERCENT: Final = 25
NONCE_TAKEN_POLLS: Final = 3  # polls with the nonce mined and none of our versions' receipts found




class L1TxFailed(Exception):
    """An L1 transaction was refused or reverted; ``reason`` is the node's or the contract's."""

    def __init__(self, reason: str, tx_hash: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.tx_hash = tx_hash


class L1NonceTaken(L1TxFailed):
    """The transaction's nonce was mined with a transaction this instance did not sign."""


class L1TxPending(Exception):
    """``wait`` timed out: the transaction is still in flight on its nonce (wait again)."""

    def __init__(self, nonce: int, waited_s: float, max_fee_wei: int) -> None:
        super().__init__(f"transaction on nonce {nonce} not mined after {waited_s:.0f} s "
                         f"(max fee now {max_fee_wei / 1e9:g} gwei); still in flight")
        self.nonce = nonce


@dataclass(frozen=True, slots=True)
class Sent:
    """A mined L1 transaction: its hash, block, gas used, status and receipt."""

    tx_hash: bytes
    block_number: int
    gas_used: int
    receipt: Any


@dataclass(frozen=True, slots=True)
class Submitted:
    """A sent transaction not yet waited for: its first hash, nonce and call (to replay a revert)."""

    tx_hash: bytes
    call: dict
    nonce: int = -1


@dataclass
class InFlight:
    """A nonce in use: the unsigned transaction, every hash signed for it, the last send time."""

    nonce: int
    tx: dict
    hashes: list[bytes] = field(default_factory=list)
    sent_at: float = 0.0
    bumps: int = 0


class Transactor:
    """Sends transactions from ``key`` (thread-safe; one nonce sequence per instance)."""

    def __init__(self, w3: Web3, key: bytes, settings: L1Settings = DEFAULT_SETTINGS, *,
                 timeout_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if timeout_s is not None:
            settings = L1Settings(**{**settings.__dict__, "receipt_timeout_s": timeout_s})
        self.w3 = w3
        self.account = Account.from_key(key)
        self.address = self.account.address
        self.settings = settings
        self.clock = clock
        self.chain_id = w3.eth.chain_id
        self._lock = threading.RLock()
        self._nonce: int | None = None
        self.in_flight: dict[int, InFlight] = {}
        self.replacements = 0  # fee bumps sent (a figure for status and tests)

    @property
    def timeout_s(self) -> float:
        return self.settings.receipt_timeout_s

    def _fees(self) -> tuple[int, int]:
        base = self.w3.eth.get_block("latest")["baseFeePerGas"]
        priority = min(self.settings.priority_fee_wei, self.settings.max_fee_wei)
        return min(2 * base + priority, self.settings.max_fee_wei), priority

    def send(self, to: str | None, data: bytes = b"", value: int = 0, gas: int | None = None) -> Sent:
        """Sign, send and wait for one transaction; raise ``L1TxFailed`` unless it succeeded."""
        return self.wait(self.submit(to, data, value, gas))

    def submit(self, to: str | None, data: bytes = b"", value: int = 0, gas: int | None = None) -> Submitted:
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
            entry = InFlight(self._nonce, {**call, "chainId": self.chain_id, "nonce": self._nonce, "gas": gas,
                                           "maxFeePerGas": max_fee, "maxPriorityFeePerGas": priority})
            try:
                tx_hash = self._send(entry)
            except Web3RPCError as exc:
                if self._receipt(entry) is None:
                    self._nonce = None  # refused: re-read, the node is the authority
                    raise L1TxFailed(_reason(exc)) from None
                # mined although the send answered an error (Hardhat's automine reports a
                # revert so): its nonce is spent; ``wait`` gives the revert with its hash
                tx_hash = entry.hashes[-1]
            self.in_flight[entry.nonce] = entry
            self._nonce += 1
        return Submitted(tx_hash, call, entry.nonce)

    def _send(self, entry: InFlight) -> bytes:
        """Sign and send ``entry`` (its hash recorded first: a node may mine what it answers
        with an error)."""
        signed = self.account.sign_transaction(entry.tx)
        entry.hashes.append(bytes(signed.hash))
        entry.sent_at = self.clock()
        self.w3.eth.send_raw_transaction(signed.raw_transaction)
        return entry.hashes[-1]

    def _bump(self, entry: InFlight) -> None:
        """Re-sign ``entry`` on its nonce with both fees ``fee_bump_percent`` higher (and at
        least today's), capped at ``max_fee_wei``; if the cap leaves no valid bump, wait."""
        settings = self.settings
        tx = entry.tx
        market_fee, market_tip = self._fees()
        bumped_fee = max(tx["maxFeePerGas"] * (100 + settings.fee_bump_percent) // 100, market_fee)
        bumped_tip = max(tx["maxPriorityFeePerGas"] * (100 + settings.fee_bump_percent) // 100, market_tip, 1)
        bumped_fee = min(bumped_fee, settings.max_fee_wei)
        bumped_tip = min(bumped_tip, bumped_fee)
        entry.sent_at = self.clock()  # the next bump is due a full period after this attempt
        if (bumped_fee * 100 < tx["maxFeePerGas"] * (100 + MIN_BUMP_PERCENT)
                or bumped_tip * 100 < tx["maxPriorityFeePerGas"] * (100 + MIN_BUMP_PERCENT)):
            log.warning("l1: nonce %d of %s not mined and its fee is at the cap (%d wei): waiting",
                        entry.nonce, self.address, settings.max_fee_wei)
            return
        tx.update(maxFeePerGas=bumped_fee, maxPriorityFeePerGas=bumped_tip)
        try:  # refused: mined meanwhile ("nonce too low"), or the pool wants more (the next bump starts higher)
            self._send(entry)
        except Web3RPCError as exc:
            log.warning("l1: replacing nonce %d of %s refused: %s", entry.nonce, self.address, _reason(exc))
            return
        entry.bumps += 1
        self.replacements += 1
        log.warning("l1: nonce %d of %s not mined for %g s: replaced with max fee %d wei, tip %d wei",
                    entry.nonce, self.address, settings.bump_after_s, bumped_fee, bumped_tip)

    def _receipt(self, entry: InFlight):
        for tx_hash in reversed(entry.hashes):
            try:
                receipt = self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
            if receipt is not None:
                return receipt
        return None

    def wait(self, submitted: Submitted) -> Sent:
        """The receipt of a submitted transaction (any version of its nonce); ``L1TxFailed``
        if it reverted, ``L1NonceTaken`` if another transaction took its nonce,
        ``L1TxPending`` after ``receipt_timeout_s`` (it stays in flight: wait again)."""
        with self._lock:
            entry = self.in_flight.get(submitted.nonce)
        if entry is None:  # a Submitted from before in-flight tracking, or already waited for
            entry = InFlight(submitted.nonce, {}, [submitted.tx_hash], self.clock())
        started, unexplained = self.clock(), 0
        while True:
            # One call per poll however many versions were signed: receipts are looked up
            # once the nonce is mined (or for a transaction not tracked by nonce).
            receipt = None
            if entry.nonce < 0 or self.w3.eth.get_transaction_count(self.address, "latest") > entry.nonce:
                receipt = self._receipt(entry)
                if receipt is None and entry.nonce >= 0:
                    unexplained += 1  # a node behind its own nonce count answers later: a few polls
                    if unexplained > NONCE_TAKEN_POLLS:
                        self._forget(entry)
                        raise L1NonceTaken(f"nonce {entry.nonce} was mined with a transaction this node did not "
                                           "sign", entry.hashes[-1])
            if receipt is not None and self._confirmed(receipt):
                self._forget(entry)
                sent_hash = bytes(receipt["transactionHash"])
                if receipt["status"] != 1:
                    raise L1TxFailed(self._revert_reason(submitted.call, receipt["blockNumber"]), sent_hash)
                return Sent(sent_hash, receipt["blockNumber"], receipt["gasUsed"], receipt)
            now = self.clock()
            if receipt is None and entry.tx and now - entry.sent_at >= self.settings.bump_after_s:
                with self._lock:
                    self._bump(entry)
            if now - started >= self.settings.receipt_timeout_s:
                raise L1TxPending(entry.nonce, now - started, entry.tx.get("maxFeePerGas", 0))
            time.sleep(self.settings.poll_s)

    def _confirmed(self, receipt) -> bool:
        if self.settings.confirmations == 0:
            return True
        return self.w3.eth.block_number - receipt["blockNumber"] >= self.settings.confirmations

    def _forget(self, entry: InFlight) -> None:
        with self._lock:
            self.in_flight.pop(entry.nonce, None)

    def clear_stuck(self, timeout_s: float | None = None) -> int:
        """Make the node's pool hold no transaction of this key (rule 4 of the module
        docstring): wait ``bump_after_s`` for nonces an earlier process left pending, then
        replace each with a zero-value transfer to self, raising the fee until it is taken
        and mined. Returns how many nonces were pending. ``L1TxPending`` after ``timeout_s``
        (default ``receipt_timeout_s``) if some are still pending."""
        timeout_s = self.settings.receipt_timeout_s if timeout_s is None else timeout_s
        eth = self.w3.eth
        mined, pending = eth.get_transaction_count(self.address, "latest"), eth.get_transaction_count(
            self.address, "pending")
        if pending <= mined:
            return 0
        log.warning("l1: %s has %d transactions from an earlier run pending (nonces %d-%d): waiting, then replacing",
                    self.address, pending - mined, mined, pending - 1)
        stuck, started = pending - mined, self.clock()
        cancels: dict[int, InFlight] = {}
        while True:
            mined = eth.get_transaction_count(self.address, "latest")
            if mined >= pending:
                with self._lock:
                    self._nonce = None
                log.info("l1: %s: the %d pending transactions are mined (%d replaced)", self.address, stuck,
                         len(cancels))
                return stuck
            now = self.clock()
            if now - started >= self.settings.bump_after_s:
                for nonce in range(mined, pending):
                    entry = cancels.get(nonce)
                    if entry is None:
                        fee, tip = self._fees()
                        entry = cancels[nonce] = InFlight(nonce, {
                            "from": self.address, "to": self.address, "value": 0, "data": b"", "gas": 21_000,
                            "chainId": self.chain_id, "nonce": nonce, "maxFeePerGas": fee,
                            "maxPriorityFeePerGas": tip}, sent_at=-1e18)
                    if now - entry.sent_at >= self.settings.bump_after_s:
                        self._bump(entry)  # first time: the market fee plus a bump, then rising
            if now - started >= timeout_s:
                raise L1TxPending(mined, now - started, 0)
            time.sleep(self.settings.poll_s)

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

    def submit_call(self, contract, function: str, *args: Any, value: int = 0, gas: int | None = None) -> Submitted:
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
