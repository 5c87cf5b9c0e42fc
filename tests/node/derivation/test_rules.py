"""Derivation rules: blocks up to the declared one, clamps, deposits only from L1, deadlines by L1 time, caps."""

from __future__ import annotations

from typing import Sequence

import pytest

from node.derivation.rules import (
    MAX_DEPOSITS_PER_BLOCK,
    MAX_FORCED_PER_BLOCK,
    MAX_TIMESTAMP_DRIFT_S,
    MAX_TIMESTAMP_LAG_S,
    ChainTip,
    Derivation,
    L1Deposit,
    L1Forced,
    L1View,
    build_block,
    deposit_tx,
    derive_batch,
)
from node.l1.batch_codec import BatchBlock
from node.stf.tx_codec import decode_tx
from node.stf.txtypes import Deposit

E6 = 10**6
TIP = ChainTip(number=10, timestamp=1_000, deposits_through=1, forced_through=0)
L1_TIME = 1_100
NOT_DUE = 5_000  # a deadline after L1_TIME
DEPOSITS = [L1Deposit(i, bytes([i + 1]) * 20, (i + 1) * 1_000_000, NOT_DUE, 5 + i) for i in range(3)]
FORCED = [L1Forced(0, b"\x04forced-0", 1_050, 7), L1Forced(1, b"\x7efake-deposit", 1_060, 8),
          L1Forced(2, b"\x04forced-2", NOT_DUE, 9)]


def block(timestamp=1_010, deposits_through=1, forced_through=0, txs=(b"\x01a",)):
    return BatchBlock(timestamp, deposits_through, forced_through, tuple(txs))


def derive(tip: ChainTip, blocks: list[BatchBlock], l1: L1View, declared: int | None = None,
           decode_error: str = "") -> Derivation:
    """``derive_batch`` for a batch declaring its last block (by default: all its blocks used)."""
    return derive_batch(tip, blocks, tip.number + len(blocks) if declared is None else declared, l1, decode_error)


def view(deposits=(), forced=(), time=L1_TIME) -> L1View:
    return L1View.of(time, list(deposits), list(forced))


def test_blocks_are_numbered_after_the_tip_and_used_up_to_the_declared_block():
    three = [block(timestamp=1_010 + i) for i in range(3)]
    used = derive(TIP, three, view(DEPOSITS))
    assert [b.number for b in used.blocks] == [11, 12, 13] and used.used == 3 and not used.dropped
    assert [b.timestamp for b in used.blocks] == [1_010, 1_011, 1_012]
    cut = derive(TIP, three, view(DEPOSITS), declared=12)
    assert [b.number for b in cut.blocks] == [11, 12] and cut.used == 2
    assert cut.dropped == "blocks 13-13 are past the declared last block 12" and cut.last_number(TIP) == 12
    for declared in (TIP.number, TIP.number - 5, 0):  # a batch posted again: nothing is used
        again = derive(TIP, three, view(DEPOSITS), declared=declared)
        assert again.blocks == () and again.used == 0 and again.dropped
        assert again.last_number(TIP) == TIP.number
    # a declared block past the batch's blocks only bounds them
    assert [b.number for b in derive(TIP, three, view(DEPOSITS), declared=99).blocks] == [11, 12, 13]
    # the codec's reason for a malformed tail is kept
    tail = derive(TIP, three[:1], view(DEPOSITS), declared=13, decode_error="block 1 at byte 9: rlp: truncated")
    assert [b.number for b in tail.blocks] == [11] and tail.dropped == "block 1 at byte 9: rlp: truncated"


def test_timestamps_stay_within_the_lag_behind_and_the_drift_ahead_of_l1():
    early, late = derive(TIP, [block(timestamp=900), block(timestamp=10**9)], view()).blocks
    assert early.timestamp == TIP.timestamp  # never back
    assert late.timestamp == L1_TIME + MAX_TIMESTAMP_DRIFT_S
    # a frozen sequencer clock: raised to the L1 time minus the lag
    much_later = L1_TIME + 10 * MAX_TIMESTAMP_LAG_S
    (frozen,) = derive(TIP, [block(timestamp=TIP.timestamp)], view(time=much_later)).blocks
    assert frozen.timestamp == much_later - MAX_TIMESTAMP_LAG_S
    # the previous block's time wins if it is past the drift (never back)
    ahead = ChainTip(10, L1_TIME + 10_000, 1, 0)
    (kept,) = derive(ahead, [block(timestamp=0)], view()).blocks
    assert kept.timestamp == ahead.timestamp


def test_deposits_come_from_visible_l1_events_in_order():
    (derived,) = derive(TIP, [block(deposits_through=99)], view(DEPOSITS)).blocks
    assert derived.deposits_through == 3
    credited = [decode_tx(raw, 1).body for raw in derived.txs[:2]]
    assert credited == [Deposit(1, DEPOSITS[1].recipient, 2_000_000), Deposit(2, DEPOSITS[2].recipient, 3_000_000)]
    assert derived.txs[2:] == (b"\x01a",)
    (back,) = derive(TIP, [block(deposits_through=0)], view(DEPOSITS)).blocks
    assert back.deposits_through == TIP.deposits_through and back.txs == (b"\x01a",)
    # entries queued after the batch's L1 block are invisible, whatever the batch says
    partial = L1View(L1_TIME, DEPOSITS, [], deposits_seen=2, forced_seen=0)
    (clamped,) = derive(TIP, [block(deposits_through=3)], partial).blocks
    assert clamped.deposits_through == 2


def test_a_batch_cannot_credit_collateral_itself():
    fake = deposit_tx(L1Deposit(1, b"\x66" * 20, 10**12, NOT_DUE, 0))
    (derived,) = derive(TIP, [block(txs=(fake, b"\x01ok"))], view(DEPOSITS)).blocks
    assert derived.txs == (b"\x01ok",)


def test_due_forced_transactions_enter_the_first_block_whatever_its_timestamp():
    # L2 timestamps at or before the deadlines (a frozen clock): L1 time decides
    first, second = derive(TIP, [block(timestamp=1_000), block(timestamp=1_000)],
                                 view(forced=FORCED)).blocks
    assert first.forced_through == 2 and first.txs == (b"\x04forced-0", b"\x01a")  # the fake deposit is dropped
    assert second.forced_through == 2 and second.txs == (b"\x01a",)
    # not due yet (L1 time before the deadline): only what the batch takes
    (early,) = derive(TIP, [block(timestamp=2_000)], view(forced=FORCED, time=1_049)).blocks
    assert early.forced_through == 0
    (voluntary,) = derive(TIP, [block(forced_through=3)], view(forced=FORCED, time=1_049)).blocks
    assert voluntary.forced_through == 3 and voluntary.txs[:2] == (b"\x04forced-0", b"\x04forced-2")


def test_due_deposits_enter_the_first_block_whatever_the_batch_says():
    deposits = [L1Deposit(i, bytes([i + 1]) * 20, E6 * (i + 1), deadline, 5 + i)
                for i, deadline in enumerate((900, 1_100, 1_101))]
    first, second = derive(TIP, [block(deposits_through=0), block(deposits_through=1)],
                                 view(deposits)).blocks
    assert first.deposits_through == 2  # deposit 1 is due at 1,100 (deposit 0 was in already)
    assert decode_tx(first.txs[0], 1).body == Deposit(1, deposits[1].recipient, 2 * E6)
    assert second.deposits_through == 2 and second.txs == (b"\x01a",)


@pytest.mark.parametrize("batch", [[], [block()], [block(), block()]], ids=["empty", "posted-again", "posted-again-2"])
def test_a_batch_without_blocks_still_brings_the_due_entries(batch):
    deposits = [L1Deposit(0, b"\x01" * 20, E6, 900, 4), L1Deposit(1, b"\x02" * 20, E6, 1_090, 5)]
    derivation = derive(TIP, batch, view(deposits, FORCED), declared=TIP.number)
    assert bool(derivation.dropped) == bool(batch) and derivation.used == 0
    (due,) = derivation.blocks
    assert (due.number, due.timestamp, due.deposits_through, due.forced_through) == (11, L1_TIME, 2, 2)
    assert due.txs[1:] == (b"\x04forced-0",)  # the deposit, then forced 0; no sequenced transaction
    assert derivation.last_number(TIP) == 11
    # nothing due: nothing derived
    assert derive(TIP, batch, view(DEPOSITS, FORCED, time=1_000), declared=TIP.number).blocks == ()


def forced_queue(count: int, deadline: int = 1_000) -> list[L1Forced]:
    return [L1Forced(i, b"\x04f" + i.to_bytes(4, "big"), deadline, 3) for i in range(count)]


def test_forced_transactions_are_capped_per_block_and_a_backlog_takes_more_blocks():
    due = 3 * MAX_FORCED_PER_BLOCK + 4
    tip = ChainTip(10, 1_000, 0, 0)
    derivation = derive(tip, [block(deposits_through=0, forced_through=due),
                                    block(deposits_through=0)], view(forced=forced_queue(due)))
    blocks = derivation.blocks
    assert [b.number for b in blocks] == [11, 12, 13, 14]
    assert [b.forced_through for b in blocks] == [MAX_FORCED_PER_BLOCK * k for k in (1, 2, 3)] + [due]
    assert [len(b.txs) for b in blocks] == [MAX_FORCED_PER_BLOCK + 1] * 2 + [MAX_FORCED_PER_BLOCK, 4]
    assert blocks[2].txs and b"\x01a" not in blocks[2].txs + blocks[3].txs  # rule-6 blocks: due entries only
    # the sequencer's builder takes as many, no more
    built = build_block(tip, 1_000, 0, due, (), view(forced=forced_queue(due)))
    assert built.forced_through == MAX_FORCED_PER_BLOCK


def test_deposits_are_capped_per_block_too():
    deposits = [L1Deposit(i, b"\x01" * 20, 1, 900, 3) for i in range(MAX_DEPOSITS_PER_BLOCK + 1)]
    derivation = derive(ChainTip(10, 1_000, 0, 0), [], view(deposits))
    assert [b.deposits_through for b in derivation.blocks] == [MAX_DEPOSITS_PER_BLOCK, MAX_DEPOSITS_PER_BLOCK + 1]


class CountingQueue(Sequence):
    """A queue that counts how many entries derivation reads."""

    def __init__(self, entries: list) -> None:
        self.entries = entries
        self.reads = 0

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, item):
        got = self.entries[item]
        self.reads += len(got) if isinstance(item, slice) else 1
        return got


@pytest.mark.parametrize("history", [10, 100_000])
def test_work_per_block_does_not_grow_with_the_queues_history(history):
    forced = CountingQueue(forced_queue(history + 40))
    deposits = CountingQueue([L1Deposit(i, b"\x01" * 20, 1, 900, 3) for i in range(history + 2)])
    tip = ChainTip(10, 1_000, history, history)  # everything before is in the chain already
    derivation = derive(tip, [block(deposits_through=history, forced_through=history)],
                              L1View(L1_TIME, deposits, forced, len(deposits), len(forced)))
    assert [b.forced_through for b in derivation.blocks] == [history + 32, history + 40]
    assert derivation.blocks[0].deposits_through == history + 2
    # a few reads per entry taken (the due scans, the block body), none for the history
    assert deposits.reads <= 3 * 2 + 3 and forced.reads <= 3 * 40 + 3
