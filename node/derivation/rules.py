"""Derivation rules: from a batch and the L1 queues to the exact L2 blocks.

This is what makes the sequencer's chain reproducible from L1 alone. The sequencer builds
its blocks with the same function (``build_block``), so its roots equal every follower's.

For each ``BatchBlock`` of a batch posted in an L1 block with timestamp ``l1_time``, whose
L1 queues then hold ``deposits`` and ``forced`` entries (only entries in L1 blocks up to
the batch's own block count, so no batch can use an L1 entry from its future):

1. the number must be the previous block's plus one, for every block of the batch, or the
   whole batch is skipped (``BatchRejected``) and the chain continues with the next batch;
2. ``timestamp`` is clamped to ``[previous timestamp, l1_time + MAX_TIMESTAMP_DRIFT_S]``;
3. ``deposits_through`` is clamped to ``[previous, len(deposits)]``;
4. ``forced_through`` is clamped to ``[previous, len(forced)]`` and then raised to cover
   every forced transaction whose L1 deadline is at or before the block's timestamp: a
   forced transaction the sequencer ignores is included by the first block at or past
   its deadline, whatever the batch says;
5. the block's transactions are: the deposits ``[previous, deposits_through)`` built from
   the L1 events (``Deposit`` system transactions), then the forced transactions
   ``[previous, forced_through)`` as their raw bytes, then the batch's transactions. Any
   unsigned deposit envelope (type 0x7E) among the forced or batch transactions is dropped:
   only rule 5's first part can credit collateral.

All values are integers; times are unix seconds; indices count from 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Sequence

from node.l1.batch_codec import BatchBlock
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import Deposit, TxType

MAX_TIMESTAMP_DRIFT_S: Final = 60


class BatchRejected(Exception):
    """A batch derivation skips as a whole (its blocks do not continue the chain)."""


@dataclass(frozen=True, slots=True)
class L1Deposit:
    """A ``Portal.DepositQueued`` event: queue index, L2 recipient, amount (collateral units e6)."""

    index: int
    recipient: bytes
    amount_e6: int
    l1_block: int


@dataclass(frozen=True, slots=True)
class L1Forced:
    """A ``ForcedInclusion.TransactionForced`` event: queue index, raw L2 tx, L1 deadline (s)."""

    index: int
    raw_tx: bytes
    deadline: int
    l1_block: int


@dataclass(frozen=True, slots=True)
class ChainTip:
    """What the next block must follow: the last block's number, time and queue positions."""

    number: int
    timestamp: int
    deposits_through: int
    forced_through: int


@dataclass(frozen=True, slots=True)
class DerivedBlock:
    """An L2 block ready for ``apply_block``: header, queue positions and raw transactions."""

    number: int
    timestamp: int
    deposits_through: int
    forced_through: int
    txs: tuple[bytes, ...]

    @property
    def tip(self) -> ChainTip:
        return ChainTip(self.number, self.timestamp, self.deposits_through, self.forced_through)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def is_unsigned_deposit(raw: bytes) -> bool:
    return raw[:1] == bytes([TxType.DEPOSIT])


def deposit_tx(deposit: L1Deposit) -> bytes:
    """The L2 system transaction crediting an L1 deposit."""
    return encode_tx(Deposit(deposit.index, deposit.recipient, deposit.amount_e6), None)


def forced_due(forced: Sequence[L1Forced], timestamp: int) -> int:
    """How many forced transactions (a prefix: deadlines never decrease) are due at ``timestamp``."""
    due = 0
    for entry in forced:
        if entry.deadline > timestamp:
            break
        due += 1
    return due


def build_block(tip: ChainTip, timestamp: int, deposits_through: int, forced_through: int,
                txs: Sequence[bytes], deposits: Sequence[L1Deposit], forced: Sequence[L1Forced],
                max_timestamp: int) -> DerivedBlock:
    """The block after ``tip`` under rules 2-5 (see module docstring)."""
    when = _clamp(timestamp, tip.timestamp, max(max_timestamp, tip.timestamp))
    deposits_end = _clamp(deposits_through, tip.deposits_through, max(len(deposits), tip.deposits_through))
    forced_end = _clamp(forced_through, tip.forced_through, max(len(forced), tip.forced_through))
    forced_end = max(forced_end, min(forced_due(forced, when), len(forced)))
    body = [deposit_tx(d) for d in deposits[tip.deposits_through:deposits_end]]
    body += [f.raw_tx for f in forced[tip.forced_through:forced_end] if not is_unsigned_deposit(f.raw_tx)]
    body += [raw for raw in txs if not is_unsigned_deposit(raw)]
    return DerivedBlock(tip.number + 1, when, deposits_end, forced_end, tuple(body))


def derive_batch(tip: ChainTip, blocks: Sequence[BatchBlock], l1_time: int,
                 deposits: Sequence[L1Deposit], forced: Sequence[L1Forced]) -> list[DerivedBlock]:
    """The L2 blocks a batch yields after ``tip``; ``BatchRejected`` under rule 1.

    ``deposits`` and ``forced`` are the whole queues as of the batch's L1 block, in index order.
    """
    for offset, block in enumerate(blocks):
        if block.number != tip.number + 1 + offset:
            raise BatchRejected(f"block {block.number} where {tip.number + 1 + offset} was due")
    out = []
    for block in blocks:
        derived = build_block(tip, block.timestamp, block.deposits_through, block.forced_through, block.txs,
                              deposits, forced, l1_time + MAX_TIMESTAMP_DRIFT_S)
        out.append(derived)
        tip = derived.tip
    return out
