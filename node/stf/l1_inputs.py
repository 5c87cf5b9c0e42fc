"""What derivation reads from L1, as the STF's block steps see it, and its fixed bounds.

The derivation rules are stated in ``node/derivation/rules.py`` (the node's fast path) and
run as steps in ``derive_steps.py`` (the trace a fault proof bisects); both take their
constants and L1 records from here. Everything in this module is a value the L1 verifier
can read from contract storage: a batch's record in the inbox, and the queue entries of the
portal and the forced-inclusion contract, each opened against its stored hash.

All values are integers; times are unix seconds; indices count from 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from node.stf.tx_codec import encode_tx
from node.stf.txtypes import Deposit, TxType

# A block may be stamped at most this far past its batch's L1 time: the sequencer's clock
# may run a little ahead of L1's, never far enough to mature expiries or orders early.
MAX_TIMESTAMP_DRIFT_S: Final = 60
# ...and at most this far behind it (rule 2's lower bound), so a frozen or slow sequencer
# clock holds L2 time (oracle staleness, order expiry, settlement) back by at most an hour.
# An honest sequencer's blocks reach L1 within seconds; an hour leaves room for L1
# congestion or a batcher restart before derivation would raise their timestamps.
MAX_TIMESTAMP_LAG_S: Final = 3_600
# Anyone can queue forced transactions by paying L1 gas (~70,000 each: ~400 per 30M-gas L1
# block), each a full L2 transaction of up to 2 KiB. 32 per block keeps a block's forced
# part within 64 KiB and a bounded STF time however long the queue grows; a backlog is
# taken over successive blocks (rule 6).
MAX_FORCED_PER_BLOCK: Final = 32
# The batcher seals at ~18 KB and counts at least 5 bytes per block item; 4,096 blocks bound
# what one batch can ask of derivation (one state commit per block) whatever its size.
MAX_BATCH_BLOCKS: Final = 4_096
# Header integers of a block item (timestamp, queue positions) are uint64.
MAX_UINT_BYTES: Final = 8
# Blocks of due entries only (rule 6) one batch may add: 64 take up to 2,048 forced
# transactions and 16,384 deposits, so a batch's trace stays bounded (the dispute game fixes
# its depth) however long a backlog grows while no batch is posted; the rest of a backlog
# follows in the next batches' blocks.
MAX_DUE_BLOCKS_PER_BATCH: Final = 64
# A deposit is a small fixed credit (one account write), but the queue is as open as the
# forced one: 256 per block bounds a block's deposit part the same way.
MAX_DEPOSITS_PER_BLOCK: Final = 256


@dataclass(frozen=True, slots=True)
class L1Deposit:
    """A ``Portal.DepositQueued`` event: queue index, L2 recipient, amount (collateral units
    e6), L1 deadline (unix s: the L1 time it was queued + the window) and its L1 block."""

    index: int
    recipient: bytes
    amount_e6: int
    deadline: int
    l1_block: int


@dataclass(frozen=True, slots=True)
class L1Forced:
    """A ``ForcedInclusion.TransactionForced`` event: queue index, raw L2 tx, L1 deadline
    (unix s: the L1 time it was queued + the window) and its L1 block."""

    index: int
    raw_tx: bytes
    deadline: int
    l1_block: int


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """What the inbox stores for batch ``index``: its data's ``length`` (bytes), the L1
    ``time`` of the block that appended it, how many deposits and forced transactions were
    queued before it (``deposits_seen`` / ``forced_seen``: the entries it can see), and its
    declared last L2 block (blocks past it are not used)."""

    index: int
    length: int
    time: int
    deposits_seen: int
    forced_seen: int
    last_l2_block: int


class BatchInputs(Protocol):
    """A batch and the L1 queues, read by the block steps (each read is what one step's
    proof must open: a byte range of the batch, one queue entry)."""

    record: BatchRecord

    def data(self, start: int, end: int) -> bytes:
        """The batch's bytes ``[start, end)`` (within ``record.length``)."""

    def deposit(self, index: int) -> L1Deposit:
        """Deposit ``index`` (below ``record.deposits_seen``)."""

    def forced(self, index: int) -> L1Forced:
        """Forced transaction ``index`` (below ``record.forced_seen``)."""


def clamp(value: int, low: int, high: int) -> int:
    """``value`` within ``[low, high]`` (``low`` wins if they cross)."""
    return max(low, min(value, high))


def block_time(timestamp: int, previous: int, l1_time: int) -> int:
    """Rule 2: a block's ``timestamp`` clamped to ``[max(previous, t - MAX_TIMESTAMP_LAG_S),
    t + MAX_TIMESTAMP_DRIFT_S]`` for its batch's L1 time ``t`` (the lower bound wins)."""
    low = max(previous, l1_time - MAX_TIMESTAMP_LAG_S)
    return clamp(timestamp, low, max(l1_time + MAX_TIMESTAMP_DRIFT_S, low))


def queue_limit(start: int, seen: int, cap: int) -> int:
    """Rules 3-4: how far a block may take a queue from ``start``: ``min(seen, start + cap)``,
    never below ``start``."""
    return max(min(seen, start + cap), start)


def is_unsigned(raw: bytes) -> bool:
    """An unsigned system envelope (a deposit), which only the L1 queue may create."""
    return raw[:1] == bytes([TxType.DEPOSIT])


def deposit_tx(deposit: L1Deposit) -> bytes:
    """The L2 system transaction crediting an L1 deposit."""
    return encode_tx(Deposit(deposit.index, deposit.recipient, deposit.amount_e6), None)
