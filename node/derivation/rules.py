"""Derivation rules: from a batch and the L1 queues to the exact L2 blocks.

This is what makes the sequencer's chain reproducible from L1 alone. The sequencer builds
its blocks with the same block builder (``build_block``), so its roots equal every
follower's; a later L1 verifier implements the same rules.

What derivation reads for one batch (``L1View``) is exactly the batch's record in the
inbox (``BatchInbox.batches(i)``), so the L1 verifier proves it from contract storage: the
L1 time ``t`` of the append (``block.timestamp``), and how far the two L1 queues went when
the batch was appended: deposits ``[0, deposits_seen)`` and forced transactions
``[0, forced_seen)``, the entries queued by earlier L1 transactions (earlier blocks, or
earlier in the batch's own block). An entry queued later, even in the same L1 block as the
batch, is the batch's future and invisible to it. Every entry carries its L1 ``deadline``:
the L1 time it was queued plus the window (``Portal.WINDOW`` = ``ForcedInclusion.WINDOW``,
120 s on the devnet), committed per index in the contracts' storage
(``node.l1.queue_hashes``). Deadlines never decrease along a queue. An entry is *due* for
the batch when it is visible and its deadline is at or before ``t``.

For a batch posted at L1 time ``t`` after the chain tip:

1. **Blocks.** The batch's data is read item by item (``batch_codec``: prefix semantics, a
   malformed block item ends the batch there and drops the rest). Blocks carry no number:
   the batch's blocks are numbered tip+1, tip+2, ... in order, and only those numbered up
   to the batch's declared last L2 block (its inbox record) are used; the rest are dropped.
   So a batch declaring a block at or below the tip (a batch posted twice) adds none, and
   no block past the declared one exists for a root to be bound to. Rule 6 applies in
   every case.
2. **Timestamps.** A block's timestamp is clamped to
   ``[max(previous, t - MAX_TIMESTAMP_LAG_S), t + MAX_TIMESTAMP_DRIFT_S]`` (the lower bound
   wins if they cross), so L2 time stays within an hour behind and a minute ahead of L1.
3. **Deposits.** ``deposits_through`` is clamped to
   ``[previous, min(deposits_seen, previous + MAX_DEPOSITS_PER_BLOCK)]``, then raised to
   cover the due deposits (at most the same cap).
4. **Forced transactions.** ``forced_through`` is clamped to
   ``[previous, min(forced_seen, previous + MAX_FORCED_PER_BLOCK)]``, then raised to cover
   the due forced transactions (at most the same cap).
5. **Body.** The deposits ``[previous, deposits_through)`` as ``Deposit`` system
   transactions built from the portal's queue, then the forced transactions
   ``[previous, forced_through)`` as their raw bytes, then the batch's transactions. Any
   unsigned deposit envelope (type 0x7E) among the forced or batch transactions is dropped:
   only the first part can credit collateral.
6. **Deadlines.** Once the batch is derived, every due entry is in the chain: by rules 3
   and 4 the batch's first block takes them all, whatever the batch says (its next blocks
   continue if the caps stop the first); if some are still missing after the batch's blocks
   (none were used, or the caps), derivation appends blocks holding only due entries
   (timestamp ``t`` under rule 2, no sequenced transaction), as many as the caps need, up
   to ``MAX_DUE_BLOCKS_PER_BATCH`` (64) per batch: a larger backlog (over 2,048 forced
   transactions or 16,384 deposits due at once) is taken by the next batches, whose first
   blocks take due entries first (rules 3 and 4), so the work of one batch stays bounded.

The sequencer (``build_block`` with its own header, no deadlines) takes every confirmed
entry at once, up to the caps, so its batches never need rule 6's raises or extra blocks
(its batches land in later L1 blocks than the entries it confirmed, so they see them).
Work per block is bounded by the caps: queue positions are cursors (``ChainTip``), and
finding the due entries scans forward from them, never from the queue's start.

All values are integers; times are unix seconds; indices count from 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from node.l1.batch_codec import BatchBlock
from node.stf.l1_inputs import (  # noqa: F401 - the rules' constants and L1 records, shared with the trace
    MAX_DEPOSITS_PER_BLOCK,
    MAX_DUE_BLOCKS_PER_BATCH,
    MAX_FORCED_PER_BLOCK,
    MAX_TIMESTAMP_DRIFT_S,
    MAX_TIMESTAMP_LAG_S,
    L1Deposit,
    L1Forced,
    block_time,
    clamp,
    deposit_tx,
    is_unsigned as is_unsigned_deposit,
    queue_limit,
)


@dataclass(frozen=True, slots=True)
class L1View:
    """The L1 inputs of one batch: the L1 ``time`` (unix s) of its append and the queues in
    index order, of which the first ``deposits_seen`` / ``forced_seen`` entries were queued
    before the append (the batch's inbox record; the sequences may hold later entries: they
    are ignored)."""

    time: int
    deposits: Sequence[L1Deposit]
    forced: Sequence[L1Forced]
    deposits_seen: int
    forced_seen: int

    @classmethod
    def of(cls, time: int, deposits: Sequence[L1Deposit], forced: Sequence[L1Forced]) -> L1View:
        """A view in which every entry of both queues is visible."""
        return cls(time, deposits, forced, len(deposits), len(forced))


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


@dataclass(frozen=True, slots=True)
class Derivation:
    """What one batch gives: the blocks to import (the batch's own that rule 1 uses, then any
    rule-6 blocks), how many of them are the batch's own (``used``), and why some of the
    batch's blocks were dropped (``""`` if none was)."""

    blocks: tuple[DerivedBlock, ...]
    used: int = 0
    dropped: str = ""

    def last_number(self, tip: ChainTip) -> int:
        """The chain's last block number once the batch is derived after ``tip``."""
        return self.blocks[-1].number if self.blocks else tip.number


def due_through(queue: Sequence[L1Deposit] | Sequence[L1Forced], start: int, seen: int, l1_time: int,
                cap: int) -> int:
    """The queue position after the entries of ``queue[start:seen]`` due at ``l1_time``, at
    most ``start + cap``: a scan forward from the cursor ``start`` (deadlines never
    decrease), so its cost is the entries it returns, never the queue's history."""
    end, limit = start, min(seen, start + cap)
    while end < limit and queue[end].deadline <= l1_time:
        end += 1
    return end


def build_block(tip: ChainTip, timestamp: int, deposits_through: int, forced_through: int, txs: Sequence[bytes],
                view: L1View) -> DerivedBlock:
    """The block after ``tip`` under rules 3-5 without deadlines (the sequencer's builder;
    ``derive_block`` adds rules 2 and 6). ``timestamp`` is used as given."""
    deposits_end = clamp(deposits_through, tip.deposits_through,
                         queue_limit(tip.deposits_through, view.deposits_seen, MAX_DEPOSITS_PER_BLOCK))
    forced_end = clamp(forced_through, tip.forced_through,
                       queue_limit(tip.forced_through, view.forced_seen, MAX_FORCED_PER_BLOCK))
    body = [deposit_tx(d) for d in view.deposits[tip.deposits_through:deposits_end]]
    body += [f.raw_tx for f in view.forced[tip.forced_through:forced_end] if not is_unsigned_deposit(f.raw_tx)]
    body += [raw for raw in txs if not is_unsigned_deposit(raw)]
    return DerivedBlock(tip.number + 1, timestamp, deposits_end, forced_end, tuple(body))


def derive_block(tip: ChainTip, timestamp: int, deposits_through: int, forced_through: int, txs: Sequence[bytes],
                 view: L1View) -> DerivedBlock:
    """The block after ``tip`` under rules 2-6, for a batch (or rule-6 block) seen at ``view``."""
    when = block_time(timestamp, tip.timestamp, view.time)
    deposits_due = due_through(view.deposits, tip.deposits_through, view.deposits_seen, view.time,
                               MAX_DEPOSITS_PER_BLOCK)
    forced_due = due_through(view.forced, tip.forced_through, view.forced_seen, view.time, MAX_FORCED_PER_BLOCK)
    return build_block(tip, when, max(deposits_through, deposits_due), max(forced_through, forced_due), txs, view)


def has_due(tip: ChainTip, view: L1View) -> bool:
    """Whether an entry due at ``view`` is not yet in the chain after ``tip`` (rule 6)."""
    return (due_through(view.deposits, tip.deposits_through, view.deposits_seen, view.time, 1) > tip.deposits_through
            or due_through(view.forced, tip.forced_through, view.forced_seen, view.time, 1) > tip.forced_through)


def blocks_used(tip_number: int, count: int, declared_last_block: int) -> int:
    """Rule 1: how many of a batch's ``count`` blocks (numbered from ``tip_number + 1``) are
    at or below its declared last block."""
    return max(0, min(count, declared_last_block - tip_number))


def derive_batch(tip: ChainTip, blocks: Sequence[BatchBlock], declared_last_block: int, view: L1View,
                 decode_error: str = "") -> Derivation:
    """The L2 blocks one batch yields after ``tip`` (rules 1-6). ``blocks`` is the batch's
    well-formed prefix (``batch_codec.decode_batch``) and ``decode_error`` why the rest was
    dropped (``""``: nothing was); ``declared_last_block`` is its inbox record's."""
    used = blocks_used(tip.number, len(blocks), declared_last_block)
    dropped = decode_error
    if used < len(blocks):
        dropped = (f"blocks {tip.number + used + 1}-{tip.number + len(blocks)} are past the declared last block "
                   f"{declared_last_block}") + (f"; {dropped}" if dropped else "")
    out: list[DerivedBlock] = []
    for block in blocks[:used]:
        derived = derive_block(tip, block.timestamp, block.deposits_through, block.forced_through, block.txs, view)
        out.append(derived)
        tip = derived.tip
    for _ in range(MAX_DUE_BLOCKS_PER_BATCH):  # each such block takes at least one due entry
        if not has_due(tip, view):
            break
        derived = derive_block(tip, view.time, tip.deposits_through, tip.forced_through, (), view)
        out.append(derived)
        tip = derived.tip
    return Derivation(tuple(out), used, dropped)
