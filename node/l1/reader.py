"""Reading the rollup's L1 contracts over Ethereum JSON-RPC: queues, batches, state roots.

``L1Reader(w3, deployment)`` turns contract events into the values derivation and the
node use: ``DepositQueued`` -> ``L1Deposit``, ``TransactionForced`` -> ``L1Forced``,
``BatchAppended`` -> ``PostedBatch`` (the batch's inbox record, with the batch bytes from
the calldata of the transaction that emitted the event: data availability is the calldata,
not the event),
``StateProposed`` / ``StateInvalidated`` -> ``Proposal`` / invalidations. Queue entries carry
their L1 deadline from the event (the L1 time they were queued + the contract's ``WINDOW``).
``block(n)`` gives an L1 block's hash and timestamp (reorganisation checks, the age of the
sequencer's L1 view). ``settings`` (``bridge.l1.L1Settings``): log queries are split into
ranges of at most ``log_range`` blocks (``MAX_LOG_RANGE`` by default; providers cap it), and
``head()`` is the block named by ``head_tag`` (``latest``, ``safe`` or ``finalized``), which
the watcher and the follower count their confirmations from. Only JSON-RPC is used, so any
Ethereum node serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Iterator, Sequence

from web3 import Web3

from bridge.deploy import Deployment
from bridge.l1 import DEFAULT_SETTINGS, L1Settings
from node.derivation.rules import L1Deposit, L1Forced, L1View

MAX_LOG_RANGE: Final = DEFAULT_SETTINGS.log_range


class L1Inconsistent(RuntimeError):
    """The L1 queues read are not contiguous, or shorter than a batch saw (a missed event,
    or a reorganisation deeper than the confirmations)."""


@dataclass(frozen=True, slots=True)
class L1Block:
    """An L1 block header's identity and time (unix s)."""

    number: int
    block_hash: bytes
    timestamp: int


@dataclass(frozen=True, slots=True)
class PostedBatch:
    """Batch ``index`` as posted: its bytes, the L1 block (number, hash) holding it and its
    inbox record (``BatchInbox.batches(index)``): ``l1_time``, the append's block timestamp;
    ``last_l2_block``, its declared last L2 block; ``deposits_seen`` / ``forced_seen``, the
    queues' counts before the append (what derivation may see: ``view``)."""

    index: int
    data: bytes
    l1_block: int
    l1_block_hash: bytes
    l1_time: int
    tx_hash: bytes
    last_l2_block: int
    deposits_seen: int
    forced_seen: int

    def view(self, deposits: Sequence[L1Deposit], forced: Sequence[L1Forced]) -> L1View:
        """The derivation inputs of this batch over the queues read so far (``L1Inconsistent``
        if they hold fewer entries than the batch saw)."""
        if len(deposits) < self.deposits_seen or len(forced) < self.forced_seen:
            raise L1Inconsistent(f"batch {self.index} saw {self.deposits_seen} deposits and {self.forced_seen} forced "
                                 f"transactions; {len(deposits)} and {len(forced)} were read")
        return L1View(self.l1_time, deposits, forced, self.deposits_seen, self.forced_seen)


@dataclass(frozen=True, slots=True)
class InboxRecord:
    """``BatchInbox.batches(index)``, field by field (the contract's order): the data's length
    (bytes), chunk root and keccak256, the append's L1 block and time (unix s), the queues'
    counts before the append, and the declared last L2 block."""

    data_length: int
    chunks_root: bytes
    data_hash: bytes
    l1_block: int
    l1_time: int
    deposits_seen: int
    forced_seen: int
    last_l2_block: int


@dataclass(frozen=True, slots=True)
class Proposal:
    """State root ``index``: it covers L2 blocks up to ``last_l2_block``; final at ``finalizes_at``."""

    index: int
    last_l2_block: int
    state_root: bytes
    finalizes_at: int
    l1_block: int


class L1Reader:
    """Event and calldata reads of one deployment (see module docstring)."""

    def __init__(self, w3: Web3, deployment: Deployment, settings: L1Settings = DEFAULT_SETTINGS) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.settings = settings
        self.contracts = deployment.contracts(w3)
        self.first_block = deployment.deployed_at_block

    def head(self) -> int:
        """The L1 head by ``settings.head_tag`` (``latest``: ``eth_blockNumber``)."""
        if self.settings.head_tag == "latest":
            return self.w3.eth.block_number
        return self.w3.eth.get_block(self.settings.head_tag)["number"]

    def block_hash(self, number: int) -> bytes:
        return bytes(self.w3.eth.get_block(number)["hash"])

    def block(self, number: int) -> L1Block:
        header = self.w3.eth.get_block(number)
        return L1Block(number, bytes(header["hash"]), header["timestamp"])

    def forced_window(self) -> int:
        """Seconds between an entry's L1 time and its deadline (``ForcedInclusion.WINDOW``,
        the same as ``Portal.WINDOW``)."""
        return self.contracts["forced"].functions.WINDOW().call()

    def _logs(self, contract: str, event: str, first: int, last: int) -> Iterator:
        handle = getattr(self.contracts[contract].events, event)()
        start = max(first, self.first_block)
        while start <= last:
            end = min(last, start + self.settings.log_range - 1)
            yield from sorted(handle.get_logs(from_block=start, to_block=end),
                              key=lambda log: (log.blockNumber, log.logIndex))
            start = end + 1

    def deposits(self, first: int, last: int) -> list[L1Deposit]:
        """Deposits queued in L1 blocks ``[first, last]``, in queue order."""
        return [L1Deposit(log.args.index, bytes.fromhex(log.args.recipient[2:]), log.args.amount, log.args.deadline,
                          log.blockNumber)
                for log in self._logs("portal", "DepositQueued", first, last)]

    def forced(self, first: int, last: int) -> list[L1Forced]:
        """Forced transactions queued in L1 blocks ``[first, last]``, in queue order."""
        return [L1Forced(log.args.index, bytes(log.args.raw_tx), log.args.deadline, log.blockNumber)
                for log in self._logs("forced", "TransactionForced", first, last)]

    def batches(self, first: int, last: int) -> list[PostedBatch]:
        """Batches posted in L1 blocks ``[first, last]``, in index order, with their bytes."""
        inbox = self.contracts["inbox"]
        out = []
        hashes: dict[int, bytes] = {}
        for log in self._logs("inbox", "BatchAppended", first, last):
            tx = self.w3.eth.get_transaction(log.transactionHash)
            function, args = inbox.decode_function_input(tx["input"])
            if function.fn_name != "append_batch":  # cannot happen: only append_batch emits it
                continue
            data = bytes(args["data"])
            record = log.args
            if (Web3.keccak(data) != record.data_hash or len(data) != record.data_length
                    or record.l1_block != log.blockNumber):
                raise ValueError(f"inbox: batch {record.index}: calldata or block does not match its record")
            if log.blockNumber not in hashes:
                hashes[log.blockNumber] = self.block_hash(log.blockNumber)
            out.append(PostedBatch(record.index, data, log.blockNumber, hashes[log.blockNumber], record.l1_time,
                                   bytes(log.transactionHash), record.last_l2_block, record.deposits_seen,
                                   record.forced_seen))
        return out

    def proposals(self, first: int, last: int) -> list[Proposal]:
        return [Proposal(log.args.index, log.args.last_l2_block, bytes(log.args.state_root), log.args.finalizes_at,
                         log.blockNumber)
                for log in self._logs("commitments", "StateProposed", first, last)]

    def batch_record(self, index: int) -> InboxRecord:
        """The inbox's record of batch ``index`` (all zero if there is no such batch)."""
        fields = self.contracts["inbox"].functions.batches(index).call()
        return InboxRecord(fields[0], bytes(fields[1]), bytes(fields[2]), *fields[3:])

    def batch_count(self) -> int:
        return self.contracts["inbox"].functions.batch_count().call()

    def commitment_count(self) -> int:
        return self.contracts["commitments"].functions.commitment_count().call()

    def genesis_root(self) -> bytes:
        """The L2 genesis state root the contracts committed to at deployment."""
        return bytes(self.contracts["commitments"].functions.GENESIS_STATE_ROOT().call())
