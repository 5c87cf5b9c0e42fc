"""Ethereum JSON-RPC over a ``DevnetChain``: the methods web3.py and common wallets use.

``Handler.handle(request)`` takes one decoded JSON-RPC 2.0 request (a dict) and returns
the response dict; batches are lists of requests (``handle_payload``). Quantities are
``0x``-hex integers and data ``0x``-hex bytes, as the Ethereum JSON-RPC spec says.

Methods: ``web3_clientVersion``, ``net_version``, ``net_listening``, ``eth_chainId``,
``eth_syncing``, ``eth_accounts``, ``eth_blockNumber``, ``eth_getBlockByNumber``,
``eth_getBlockByHash``, ``eth_getBalance``, ``eth_getTransactionCount``, ``eth_getCode``,
``eth_getStorageAt``, ``eth_call``, ``eth_estimateGas``, ``eth_gasPrice``,
``eth_maxPriorityFeePerGas``, ``eth_feeHistory``, ``eth_sendRawTransaction``,
``eth_getTransactionByHash``, ``eth_getTransactionReceipt``, ``eth_getLogs``; development
methods ``evm_mine`` and ``evm_increaseTime`` (as Hardhat and Anvil name them).

Errors: -32700 parse error, -32600 invalid request, -32601 unknown method, -32602 bad
params, -32000 a transaction the pool refuses, 3 a reverted call (``data`` = revert data).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Final

from eth.abc import BlockHeaderAPI

from devnet.chain import CallReverted, DevnetChain, TxRejected, create_address

log = logging.getLogger(__name__)

CLIENT_VERSION: Final = "optrollup-devnet/0.1 (py-evm, Prague)"
DEFAULT_PRIORITY_FEE: Final = 10**9  # 1 gwei
MAX_LOG_RANGE: Final = 10_000  # blocks per eth_getLogs
MAX_BATCH: Final = 1_000


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def qty(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def parse_qty(value: Any, name: str = "quantity") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RpcError(-32602, f"invalid {name}: {value!r}")


def parse_data(value: Any, name: str = "data", size: int | None = None) -> bytes:
    if isinstance(value, str) and value.startswith("0x") and len(value) % 2 == 0:
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raw = None
        if raw is not None and (size is None or len(raw) == size):
            return raw
    raise RpcError(-32602, f"invalid {name}: {value!r}")


class Handler:
    """Dispatches JSON-RPC requests to the chain (one thread: the server's event loop)."""

    def __init__(self, chain: DevnetChain, *, on_transaction: Callable[[], None] | None = None) -> None:
        self.chain = chain
        self.on_transaction = on_transaction or (lambda: None)
        self.methods: dict[str, Callable[..., Any]] = {
            "web3_clientVersion": lambda: CLIENT_VERSION,
            "net_version": lambda: str(chain.chain_id),
            "net_listening": lambda: True,
            "eth_chainId": lambda: qty(chain.chain_id),
            "eth_syncing": lambda: False,
            "eth_accounts": lambda: [],
            "eth_blockNumber": lambda: qty(chain.head.block_number),
            "eth_getBlockByNumber": self.get_block_by_number,
            "eth_getBlockByHash": self.get_block_by_hash,
            "eth_getBalance": lambda a, b="latest": qty(chain.balance(self._address(a), self._block(b))),
            "eth_getTransactionCount": self.get_transaction_count,
            "eth_getCode": lambda a, b="latest": data(chain.code(self._address(a), self._block(b))),
            "eth_getStorageAt": lambda a, s, b="latest": data(
                chain.storage(self._address(a), parse_qty(s, "slot"), self._block(b)).to_bytes(32, "big")),
            "eth_call": self.call,
            "eth_estimateGas": self.estimate_gas,
            "eth_gasPrice": lambda: qty(chain.next_base_fee() + DEFAULT_PRIORITY_FEE),
            "eth_maxPriorityFeePerGas": lambda: qty(DEFAULT_PRIORITY_FEE),
            "eth_feeHistory": self.fee_history,
            "eth_sendRawTransaction": self.send_raw_transaction,
            "eth_getTransactionByHash": self.get_transaction_by_hash,
            "eth_getTransactionReceipt": self.get_transaction_receipt,
            "eth_getLogs": self.get_logs,
            "evm_mine": self.evm_mine,
            "evm_increaseTime": lambda seconds: qty(chain.increase_time(parse_qty(seconds, "seconds"))),
        }

    # -- envelope -------------------------------------------------------------------------

    def handle_payload(self, payload: Any) -> Any:
        if isinstance(payload, list):
            if not payload or len(payload) > MAX_BATCH:
                return _error(None, RpcError(-32600, f"a batch holds 1 to {MAX_BATCH} requests"))
            return [self.handle(item) for item in payload]
        return self.handle(payload)

    def handle(self, request: Any) -> dict:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return _error(None, RpcError(-32600, "invalid request"))
        request_id = request.get("id")
        method = self.methods.get(request["method"])
        if method is None:
            return _error(request_id, RpcError(-32601, f"the method {request['method']} does not exist"))
        params = request.get("params", [])
        if not isinstance(params, list):
            return _error(request_id, RpcError(-32602, "params must be an array"))
        try:
            result = method(*params)
        except RpcError as exc:
            return _error(request_id, exc)
        except (TypeError, KeyError) as exc:
            return _error(request_id, RpcError(-32602, f"invalid params: {exc}"))
        except Exception as exc:  # a bug: answer, log, keep serving
            log.exception("devnet: %s failed", request["method"])
            return _error(request_id, RpcError(-32603, f"internal error: {exc!r}"))
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    # -- parameters -------------------------------------------------------------------------

    @staticmethod
    def _address(value: Any) -> bytes:
        return parse_data(value, "address", 20)

    def _block(self, tag: Any) -> BlockHeaderAPI:
        if isinstance(tag, dict):  # EIP-1898
            if "blockHash" in tag:
                header = self.chain.header_by_hash(parse_data(tag["blockHash"], "blockHash", 32))
                if header is None:
                    raise RpcError(-32000, "header not found")
                return header
            tag = tag.get("blockNumber", "latest")
        if tag in ("latest", "pending", "safe", "finalized"):
            return self.chain.head
        if tag == "earliest":
            return self.chain.header(0)
        header = self.chain.header(parse_qty(tag, "block number"))
        if header is None:
            raise RpcError(-32000, "header not found")
        return header

    # -- blocks -------------------------------------------------------------------------------

    def get_block_by_number(self, tag: Any, full: bool = False) -> dict | None:
        try:
            header = self._block(tag)
        except RpcError:
            return None
        return self._block_json(header, bool(full))

    def get_block_by_hash(self, block_hash: Any, full: bool = False) -> dict | None:
        header = self.chain.header_by_hash(parse_data(block_hash, "block hash", 32))
        return None if header is None else self._block_json(header, bool(full))

    def _block_json(self, header: BlockHeaderAPI, full: bool) -> dict:
        block = self.chain.block(header)
        txs = [self._tx_json(tx, header, i) if full else data(tx.hash) for i, tx in enumerate(block.transactions)]
        out = {
            "number": qty(header.block_number), "hash": data(header.hash), "parentHash": data(header.parent_hash),
            "nonce": data(header.nonce), "sha3Uncles": data(header.uncles_hash), "logsBloom": data(
                header.bloom.to_bytes(256, "big")),
            "transactionsRoot": data(header.transaction_root), "stateRoot": data(header.state_root),
            "receiptsRoot": data(header.receipt_root), "miner": data(header.coinbase),
            "difficulty": qty(header.difficulty), "totalDifficulty": qty(0), "extraData": data(header.extra_data),
            "size": qty(len(block.encode()) if hasattr(block, "encode") else 0),
            "gasLimit": qty(header.gas_limit), "gasUsed": qty(header.gas_used), "timestamp": qty(header.timestamp),
            "transactions": txs, "uncles": [], "mixHash": data(header.mix_hash),
            "baseFeePerGas": qty(header.base_fee_per_gas),
        }
        for field, name in (("withdrawals_root", "withdrawalsRoot"), ("blob_gas_used", "blobGasUsed"),
                            ("excess_blob_gas", "excessBlobGas"), ("parent_beacon_block_root", "parentBeaconBlockRoot"),
                            ("requests_hash", "requestsHash")):
            value = getattr(header, field, None)
            if value is not None:
                out[name] = data(value) if isinstance(value, bytes) else qty(value)
        if "withdrawalsRoot" in out:
            out["withdrawals"] = []
        return out

    # -- accounts and calls -------------------------------------------------------------------

    def get_transaction_count(self, address: Any, tag: Any = "latest") -> str:
        addr = self._address(address)
        if tag == "pending":
            return qty(self.chain.nonce(addr, pending=True))
        return qty(self.chain.nonce(addr, self._block(tag)))

    def _message(self, tx: Any) -> tuple[bytes, bytes, bytes, int, int | None]:
        if not isinstance(tx, dict):
            raise RpcError(-32602, "the call object must be an object")
        sender = self._address(tx["from"]) if tx.get("from") else b"\x00" * 20
        to = self._address(tx["to"]) if tx.get("to") else b""
        payload = tx.get("input", tx.get("data", "0x"))
        gas = parse_qty(tx["gas"], "gas") if tx.get("gas") is not None else None
        return sender, to, parse_data(payload, "input"), parse_qty(tx.get("value", 0), "value"), gas

    def call(self, tx: Any, tag: Any = "latest") -> str:
        sender, to, payload, value, gas = self._message(tx)
        try:
            return data(self.chain.call(sender, to, payload, value, gas, self._block(tag)))
        except CallReverted as exc:
            raise RpcError(3, str(exc), data(exc.output)) from None

    def estimate_gas(self, tx: Any, tag: Any = "latest") -> str:
        sender, to, payload, value, _ = self._message(tx)
        try:
            return qty(self.chain.estimate_gas(sender, to, payload, value))
        except CallReverted as exc:
            raise RpcError(3, str(exc), data(exc.output)) from None

    def fee_history(self, count: Any, newest: Any, percentiles: Any = None) -> dict:
        blocks = max(1, min(parse_qty(count, "block count"), 1024))
        last = self._block(newest).block_number
        first = max(0, last - blocks + 1)
        headers = list(self.chain.headers(first, last))
        return {
            "oldestBlock": qty(first),
            "baseFeePerGas": [qty(h.base_fee_per_gas) for h in headers] + [qty(self.chain.next_base_fee())],
            "gasUsedRatio": [h.gas_used / h.gas_limit for h in headers],
            "reward": [[qty(DEFAULT_PRIORITY_FEE) for _ in (percentiles or [])] for _ in headers],
        }

    # -- transactions ------------------------------------------------------------------------

    def send_raw_transaction(self, raw: Any) -> str:
        try:
            tx_hash = self.chain.send_raw_transaction(parse_data(raw, "raw transaction"))
        except TxRejected as exc:
            raise RpcError(-32000, str(exc)) from None
        self.on_transaction()
        return data(tx_hash)

    def _tx_json(self, tx, header: BlockHeaderAPI | None, index: int | None) -> dict:
        out = {
            "hash": data(tx.hash), "nonce": qty(tx.nonce), "from": data(tx.sender),
            "to": data(tx.to) if tx.to else None, "value": qty(tx.value), "gas": qty(tx.gas),
            "input": data(tx.data), "type": qty(getattr(tx, "type_id", None) or 0), "chainId": qty(self.chain.chain_id),
            "v": qty(tx.y_parity if hasattr(tx, "y_parity") else tx.v), "r": qty(tx.r), "s": qty(tx.s),
            "blockHash": data(header.hash) if header else None,
            "blockNumber": qty(header.block_number) if header else None,
            "transactionIndex": qty(index) if index is not None else None,
        }
        if getattr(tx, "type_id", None):
            out["maxFeePerGas"] = qty(tx.max_fee_per_gas)
            out["maxPriorityFeePerGas"] = qty(tx.max_priority_fee_per_gas)
            out["accessList"] = []
            out["yParity"] = out["v"]
            base = header.base_fee_per_gas if header else self.chain.next_base_fee()
            out["gasPrice"] = qty(min(tx.max_fee_per_gas, base + tx.max_priority_fee_per_gas))
        else:
            out["gasPrice"] = qty(tx.gas_price)
        return out

    def get_transaction_by_hash(self, tx_hash: Any) -> dict | None:
        wanted = parse_data(tx_hash, "transaction hash", 32)
        where = self.chain.locate(wanted)
        if where is None:
            pending = next((tx for tx in self.chain.pending if tx.hash == wanted), None)
            return None if pending is None else self._tx_json(pending, None, None)
        header = self.chain.header(where.block_number)
        tx = self.chain.block(header).transactions[where.index]
        return self._tx_json(tx, header, where.index)

    def get_transaction_receipt(self, tx_hash: Any) -> dict | None:
        where = self.chain.locate(parse_data(tx_hash, "transaction hash", 32))
        if where is None:
            return None
        header = self.chain.header(where.block_number)
        txs = self.chain.block(header).transactions
        receipts = self.chain.receipts(header)
        return self._receipt_json(header, txs, receipts, where.index, _log_offset(receipts, where.index))

    def _receipt_json(self, header: BlockHeaderAPI, txs, receipts, index: int, first_log: int) -> dict:
        tx, receipt = txs[index], receipts[index]
        previous = receipts[index - 1].gas_used if index else 0
        created = create_address(tx.sender, tx.nonce) if not tx.to else None
        price = (min(tx.max_fee_per_gas, header.base_fee_per_gas + tx.max_priority_fee_per_gas)
                 if getattr(tx, "type_id", None) else tx.gas_price)
        return {
            "transactionHash": data(tx.hash), "transactionIndex": qty(index), "blockHash": data(header.hash),
            "blockNumber": qty(header.block_number), "from": data(tx.sender),
            "to": data(tx.to) if tx.to else None, "cumulativeGasUsed": qty(receipt.gas_used),
            "gasUsed": qty(receipt.gas_used - previous), "effectiveGasPrice": qty(price),
            "contractAddress": data(created) if created else None,
            "logs": [self._log_json(header, tx, index, first_log + i, log) for i, log in enumerate(receipt.logs)],
            "logsBloom": data(receipt.bloom.to_bytes(256, "big")),
            "status": qty(1 if receipt.state_root == b"\x01" else 0),
            "type": qty(getattr(tx, "type_id", None) or 0),
        }

    @staticmethod
    def _log_json(header: BlockHeaderAPI, tx, tx_index: int, log_index: int, log) -> dict:
        return {
            "address": data(log.address), "topics": [data(t.to_bytes(32, "big")) for t in log.topics],
            "data": data(log.data), "blockNumber": qty(header.block_number), "blockHash": data(header.hash),
            "transactionHash": data(tx.hash), "transactionIndex": qty(tx_index), "logIndex": qty(log_index),
            "removed": False,
        }

    # -- logs -----------------------------------------------------------------------------------

    def get_logs(self, query: Any) -> list[dict]:
        if not isinstance(query, dict):
            raise RpcError(-32602, "the filter must be an object")
        if "blockHash" in query:
            header = self.chain.header_by_hash(parse_data(query["blockHash"], "blockHash", 32))
            if header is None:
                raise RpcError(-32000, "unknown block")
            first = last = header.block_number
        else:
            first = self._block(query.get("fromBlock", "latest")).block_number
            last = self._block(query.get("toBlock", "latest")).block_number
        if last - first >= MAX_LOG_RANGE:
            raise RpcError(-32602, f"query a range of at most {MAX_LOG_RANGE} blocks")
        addresses = query.get("address")
        if isinstance(addresses, str):
            addresses = [addresses]
        wanted_addresses = {self._address(a) for a in addresses} if addresses else None
        topics = [_topic_set(t) for t in (query.get("topics") or [])]
        out = []
        for header in self.chain.headers(first, last):
            if header.gas_used == 0:
                continue
            txs = self.chain.block(header).transactions
            receipts = self.chain.receipts(header)
            log_index = 0
            for tx_index, receipt in enumerate(receipts):
                for log in receipt.logs:
                    if _matches(log, wanted_addresses, topics):
                        out.append(self._log_json(header, txs[tx_index], tx_index, log_index, log))
                    log_index += 1
        return out

    # -- development --------------------------------------------------------------------------

    def evm_mine(self, timestamp: Any = None) -> str:
        when = None if timestamp is None else parse_qty(timestamp, "timestamp")
        self.chain.mine(when)
        return "0x0"


def _topic_set(value: Any) -> set[int] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return {int.from_bytes(parse_data(v, "topic", 32), "big") for v in values}


def _matches(log, addresses: set[bytes] | None, topics: list[set[int] | None]) -> bool:
    if addresses is not None and log.address not in addresses:
        return False
    if len(topics) > len(log.topics):
        return False
    return all(wanted is None or topic in wanted for wanted, topic in zip(topics, log.topics))


def _log_offset(receipts, index: int) -> int:
    return sum(len(r.logs) for r in receipts[:index])


def _error(request_id: Any, exc: RpcError) -> dict:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.data is not None:
        error["data"] = exc.data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}
