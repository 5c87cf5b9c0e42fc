"""The devnet L1: a py-evm chain (Prague rules) with a transaction pool and a miner.

``DevnetChain`` owns one ``MiningChain`` over ``devnet.db`` (LMDB in a data directory,
or memory). Transactions arrive signed (``send_raw_transaction``), are checked the way a
node's pool checks them (decodable, signature, chain id, the sender's next nonce, fee at
least the next base fee, balance, gas limit) and wait in FIFO order; a pending transaction
is replaced by one of the same sender and nonce paying ``REPLACE_BUMP_PERCENT`` more on both
fee fields (replace-by-fee, as geth's pool does); ``mine()`` puts all
of them in one block with one ``mine_all`` call (about 10x faster than applying them one
by one, see DESIGN.md), persists the block and flushes the database in one write.

Time: a block's timestamp is ``max(parent + 1, clock() + time_offset)``; ``increase_time``
moves the offset forward (the ``evm_increaseTime`` of development chains), so tests can
pass a challenge window without waiting. The offset is stored with the chain.

Values are wei and gas units (integers); addresses are 20 raw bytes; hashes 32 bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Final, Iterator, Sequence

import eth_abi
import eth_abi.exceptions
import rlp
from eth import constants
from eth.abc import BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.exceptions import CanonicalHeadNotFound, HeaderNotFound, TransactionNotFound
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError, keccak

from devnet.db import BufferedLmdbDB

DEVNET_CHAIN_ID: Final = 900
DEFAULT_GAS_LIMIT: Final = 30_000_000
MAX_PENDING: Final = 10_000
REPLACE_BUMP_PERCENT: Final = 10  # a replacement pays at least this much more on both fee fields (geth)
_TIME_OFFSET_KEY: Final = b"optrollup-devnet:time-offset"
WEI_PER_ETH: Final = 10**18
ERROR_SELECTOR: Final = keccak(b"Error(string)")[:4]


class TxRejected(Exception):
    """A raw transaction the pool refuses; the message says why (JSON-RPC error -32000)."""


class CallReverted(Exception):
    """``eth_call`` / ``eth_estimateGas`` reverted: ``output`` is the revert data."""

    def __init__(self, message: str, output: bytes) -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True, slots=True)
class MinedTx:
    """Where an included transaction is: block number and index."""

    block_number: int
    index: int


def create_address(sender: bytes, nonce: int) -> bytes:
    """The address of a contract created by ``sender`` at ``nonce`` (CREATE)."""
    return keccak(rlp.encode([sender, nonce]))[12:]


class DevnetChain:
    """A persistent single-node L1 (see module docstring)."""

    def __init__(
        self,
        data_dir: str | None,
        *,
        alloc: dict[bytes, int],
        chain_id: int = DEVNET_CHAIN_ID,
        gas_limit: int = DEFAULT_GAS_LIMIT,
        genesis_time: int | None = None,
        clock: Callable[[], float] = time.time,
        sync: bool = True,
    ) -> None:
        self.chain_id = chain_id
        self.clock = clock
        self._db = BufferedLmdbDB(data_dir, sync=sync) if data_dir is not None else None
        base_db = AtomicDB(self._db if self._db is not None else MemoryDB())
        chain_class = MiningChain.configure(
            __name__="OptrollupDevnet", vm_configuration=((0, PragueVM),), chain_id=chain_id
        )
        try:
            self.chain = chain_class(base_db)
            self.resumed = True
        except CanonicalHeadNotFound:
            genesis = {
                "difficulty": 0,
                "gas_limit": gas_limit,
                "timestamp": int(clock()) if genesis_time is None else genesis_time,
                "coinbase": constants.ZERO_ADDRESS,
                "extra_data": b"optrollup devnet",
                "nonce": b"\x00" * 8,
                "mix_hash": constants.ZERO_HASH32,
            }
            state = {addr: {"balance": wei, "nonce": 0, "code": b"", "storage": {}} for addr, wei in alloc.items()}
            self.chain = chain_class.from_genesis(base_db, genesis, state)
            self.resumed = False
        self._base_db = base_db
        raw_offset = base_db.get(_TIME_OFFSET_KEY)
        self.time_offset = int.from_bytes(raw_offset, "big") if raw_offset else 0
        self._flush()
        self.pending: list[SignedTransactionAPI] = []
        self._pending_nonce: dict[bytes, int] = {}
        self._pending_cost: dict[bytes, int] = {}

    # -- heads and reads ------------------------------------------------------------------

    @property
    def head(self) -> BlockHeaderAPI:
        return self.chain.get_canonical_head()

    def header(self, number: int | None = None) -> BlockHeaderAPI | None:
        """The canonical header ``number`` (``None`` = head), or ``None`` beyond the head."""
        if number is None:
            return self.head
        try:
            return self.chain.get_canonical_block_header_by_number(number)
        except HeaderNotFound:
            return None

    def header_by_hash(self, block_hash: bytes) -> BlockHeaderAPI | None:
        try:
            header = self.chain.get_block_header_by_hash(block_hash)
        except HeaderNotFound:
            return None
        canonical = self.header(header.block_number)
        return header if canonical is not None and canonical.hash == header.hash else None

    def block(self, header: BlockHeaderAPI):
        return self.chain.get_block_by_header(header)

    def state_at(self, header: BlockHeaderAPI | None = None):
        return self.chain.get_vm(header or self.head).state

    def balance(self, address: bytes, header: BlockHeaderAPI | None = None) -> int:
        return self.state_at(header).get_balance(address)

    def nonce(self, address: bytes, header: BlockHeaderAPI | None = None, *, pending: bool = False) -> int:
        if pending and address in self._pending_nonce:
            return self._pending_nonce[address]
        return self.state_at(header).get_nonce(address)

    def code(self, address: bytes, header: BlockHeaderAPI | None = None) -> bytes:
        return self.state_at(header).get_code(address)

    def storage(self, address: bytes, slot: int, header: BlockHeaderAPI | None = None) -> int:
        return self.state_at(header).get_storage(address, slot)

    def locate(self, tx_hash: bytes) -> MinedTx | None:
        try:
            number, index = self.chain.chaindb.get_transaction_index(tx_hash)
        except TransactionNotFound:
            return None
        return MinedTx(number, index)

    def receipts(self, header: BlockHeaderAPI) -> tuple[ReceiptAPI, ...]:
        block = self.block(header)
        return self.chain.chaindb.get_receipts(header, self.chain.get_vm(header).get_receipt_builder()) \
            if block.transactions else ()

    def next_base_fee(self) -> int:
        return self.chain.header.base_fee_per_gas

    # -- execution without a transaction ---------------------------------------------------

    def _spoof(self, sender: bytes, to: bytes, data: bytes, value: int, gas: int | None,
               header: BlockHeaderAPI) -> SpoofTransaction:
        vm = self.chain.get_vm(header)
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(sender), gas_price=0, gas=gas or header.gas_limit, to=to, value=value, data=data,
        )
        return SpoofTransaction(unsigned, from_=sender)

    def call(self, sender: bytes, to: bytes, data: bytes, value: int = 0, gas: int | None = None,
             header: BlockHeaderAPI | None = None) -> bytes:
        """``eth_call``: run a message at ``header`` (head) and discard its changes."""
        header = header or self.head
        tx = self._spoof(sender, to, data, value, gas, header)
        with self.chain.get_vm(header).in_costless_state() as state:
            computation = state.costless_execute_transaction(tx)
        if computation.is_error:
            raise CallReverted(_revert_message(computation), computation.output)
        return computation.output

    def estimate_gas(self, sender: bytes, to: bytes, data: bytes, value: int = 0) -> int:
        """``eth_estimateGas``: the least gas limit under which the message succeeds."""
        header = self.chain.header.copy(gas_limit=self.head.gas_limit)
        tx = self._spoof(sender, to, data, value, None, self.head)
        self.call(sender, to, data, value)  # a revert is an error, with its reason
        return self.chain.estimate_gas(tx, header)

    # -- the pool -----------------------------------------------------------------------

    def send_raw_transaction(self, raw: bytes) -> bytes:
        """Check ``raw`` and queue it; returns its hash. Raises ``TxRejected``."""
        if len(self.pending) >= MAX_PENDING:
            raise TxRejected("txpool is full")
        builder = self.chain.get_vm().get_transaction_builder()
        try:
            tx = builder.decode(raw)
            tx.check_signature_validity()
            sender = tx.sender
        except Exception as exc:  # untrusted bytes: py-evm raises many kinds, each means "invalid"
            raise TxRejected(f"invalid transaction: {exc!r}") from None
        if tx.chain_id is not None and tx.chain_id != self.chain_id:
            raise TxRejected(f"invalid chain id {tx.chain_id}, expected {self.chain_id}")
        if tx.chain_id is None:
            raise TxRejected("only replay-protected (EIP-155 or typed) transactions are accepted")
        if self.locate(tx.hash) is not None or any(p.hash == tx.hash for p in self.pending):
            raise TxRejected("already known")
        expected = self.nonce(sender, pending=True)
        replaced = next((i for i, p in enumerate(self.pending) if p.sender == sender and p.nonce == tx.nonce), None)
        if replaced is not None:
            return self._replace(replaced, tx)
        if tx.nonce != expected:
            raise TxRejected(f"nonce too {'low' if tx.nonce < expected else 'high'}: "
                             f"next nonce {expected}, tx nonce {tx.nonce}")
        if tx.gas > self.head.gas_limit:
            raise TxRejected(f"exceeds block gas limit: gas {tx.gas} > {self.head.gas_limit}")
        if tx.gas < tx.intrinsic_gas:
            raise TxRejected(f"intrinsic gas too low: gas {tx.gas} < {tx.intrinsic_gas}")
        if tx.max_fee_per_gas < self.next_base_fee():
            raise TxRejected(f"max fee per gas {tx.max_fee_per_gas} < base fee {self.next_base_fee()}")
        cost = tx.gas * tx.max_fee_per_gas + tx.value
        committed = self._pending_cost.get(sender, 0)
        if self.balance(sender) < committed + cost:
            raise TxRejected(f"insufficient funds for gas * price + value: need {committed + cost} wei")
        self.pending.append(tx)
        self._pending_nonce[sender] = tx.nonce + 1
        self._pending_cost[sender] = committed + cost
        return tx.hash

    def _replace(self, position: int, tx: SignedTransactionAPI) -> bytes:
        """Replace-by-fee: ``tx`` takes the place of the pending transaction at ``position``
        (same sender and nonce) if it pays at least ``REPLACE_BUMP_PERCENT`` more on both fee
        fields, as geth's pool requires; ``TxRejected`` otherwise."""
        old = self.pending[position]
        for field in ("max_fee_per_gas", "max_priority_fee_per_gas"):
            if _fee(tx, field) * 100 < _fee(old, field) * (100 + REPLACE_BUMP_PERCENT):
                raise TxRejected("replacement transaction underpriced")
        if tx.gas > self.head.gas_limit:
            raise TxRejected(f"exceeds block gas limit: gas {tx.gas} > {self.head.gas_limit}")
        if tx.gas < tx.intrinsic_gas:
            raise TxRejected(f"intrinsic gas too low: gas {tx.gas} < {tx.intrinsic_gas}")
        cost_delta = tx.gas * tx.max_fee_per_gas + tx.value - (old.gas * old.max_fee_per_gas + old.value)
        committed = self._pending_cost.get(tx.sender, 0)
        if self.balance(tx.sender) < committed + cost_delta:
            raise TxRejected(f"insufficient funds for gas * price + value: need {committed + cost_delta} wei")
        self.pending[position] = tx
        self._pending_cost[tx.sender] = committed + cost_delta
        return tx.hash

    # -- mining -------------------------------------------------------------------------

    def _next_timestamp(self) -> int:
        return max(self.head.timestamp + 1, int(self.clock()) + self.time_offset)

    def increase_time(self, seconds: int) -> int:
        """Move the chain's clock forward by ``seconds``: the next block is at least ``seconds``
        after the head (and after the current chain time, if that is later)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        now = int(self.clock())
        self.time_offset = max(self.time_offset, self.head.timestamp - now) + seconds
        self._base_db[_TIME_OFFSET_KEY] = self.time_offset.to_bytes(8, "big")
        self._flush()
        return self.time_offset

    def mine(self, timestamp: int | None = None) -> tuple[BlockHeaderAPI, list[tuple[bytes, str]]]:
        """Mine one block with every pending transaction (possibly none).

        Returns the new head and the transactions dropped because the block could not
        include them (hash, reason): rare, since the pool checks them, but a block is never
        lost for one bad transaction.
        """
        txs, self.pending = self.pending, []
        self._pending_nonce.clear()
        self._pending_cost.clear()
        when = self._next_timestamp() if timestamp is None else max(timestamp, self.head.timestamp + 1)
        dropped: list[tuple[bytes, str]] = []
        try:
            self._mine_all(txs, when)
        except ValidationError:
            # Find the culprits: one block per transaction (slow, and only on this path).
            self._discard()
            for tx in txs:
                try:
                    self._mine_all([tx], max(when, self.head.timestamp + 1))
                except ValidationError as exc:
                    self._discard()
                    dropped.append((tx.hash, str(exc)))
        return self.head, dropped

    def _mine_all(self, txs: Sequence[SignedTransactionAPI], timestamp: int) -> None:
        self.chain.set_header_timestamp(timestamp)
        self.chain.mine_all(txs)
        self._flush()

    def _flush(self) -> None:
        if self._db is not None:
            self._db.flush()

    def _discard(self) -> None:
        """Drop unflushed writes of a failed block and re-read the chain head."""
        if self._db is not None:
            self._db.discard()
        self.chain = type(self.chain)(self._base_db)

    def headers(self, first: int, last: int) -> Iterator[BlockHeaderAPI]:
        for number in range(first, min(last, self.head.block_number) + 1):
            header = self.header(number)
            if header is not None:
                yield header

    def size_bytes(self) -> int:
        return self._db.size_bytes() if self._db is not None else 0

    def close(self) -> None:
        self._flush()
        if self._db is not None:
            self._db.close()


def _fee(tx: SignedTransactionAPI, field: str) -> int:
    """A fee field of a typed transaction, or the gas price of a legacy one."""
    return getattr(tx, field) if hasattr(tx, field) else tx.gas_price


def _revert_message(computation) -> str:
    """``execution reverted`` plus the ``Error(string)`` reason when the output has one."""
    output = computation.output
    if output[:4] == ERROR_SELECTOR:
        try:
            (reason,) = eth_abi.decode(["string"], output[4:])
            return f"execution reverted: {reason}"
        except (eth_abi.exceptions.DecodingError, UnicodeDecodeError):
            pass
    error = computation.error
    if output:
        return "execution reverted"
    return f"execution reverted: {error}" if error else "execution reverted"
