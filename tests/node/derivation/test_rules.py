"""Derivation rules: numbering, clamps, deposits only from L1, forced inclusion at the deadline."""

from __future__ import annotations

import pytest

from node.derivation.rules import (
    MAX_TIMESTAMP_DRIFT_S,
    BatchRejected,
    ChainTip,
    L1Deposit,
    L1Forced,
    deposit_tx,
    derive_batch,
)
from node.l1.batch_codec import BatchBlock
from node.stf.tx_codec import decode_tx
from node.stf.txtypes import Deposit

TIP = ChainTip(number=10, timestamp=1_000, deposits_through=1, forced_through=0)
DEPOSITS = [L1Deposit(i, bytes([i + 1]) * 20, (i + 1) * 1_000_000, 5 + i) for i in range(3)]
FORCED = [L1Forced(0, b"\x04forced-0", 1_050, 7), L1Forced(1, b"\x7efake-deposit", 1_060, 8),
          L1Forced(2, b"\x04forced-2", 5_000, 9)]
L1_TIME = 1_100


def block(number, timestamp=1_010, deposits_through=1, forced_through=0, txs=(b"\x01a",)):
    return BatchBlock(number, timestamp, deposits_through, forced_through, tuple(txs))


def test_blocks_must_continue_the_chain_or_the_batch_is_skipped():
    with pytest.raises(BatchRejected):
        derive_batch(TIP, [block(11), block(13)], L1_TIME, DEPOSITS, FORCED)
    with pytest.raises(BatchRejected):
        derive_batch(TIP, [block(10)], L1_TIME, DEPOSITS, FORCED)
    assert [b.number for b in derive_batch(TIP, [block(11), block(12)], L1_TIME, DEPOSITS, FORCED)] == [11, 12]


def test_timestamps_never_go_back_nor_past_the_l1_drift():
    early, late = derive_batch(TIP, [block(11, timestamp=900), block(12, timestamp=10**9)], L1_TIME, DEPOSITS, [])
    assert early.timestamp == TIP.timestamp
    assert late.timestamp == L1_TIME + MAX_TIMESTAMP_DRIFT_S


def test_deposits_come_from_l1_events_in_order_and_never_beyond_the_queue():
    (derived,) = derive_batch(TIP, [block(11, deposits_through=99)], L1_TIME, DEPOSITS, [])
    assert derived.deposits_through == 3
    credited = [decode_tx(raw, 1).body for raw in derived.txs[:2]]
    assert credited == [Deposit(1, DEPOSITS[1].recipient, 2_000_000), Deposit(2, DEPOSITS[2].recipient, 3_000_000)]
    assert derived.txs[2:] == (b"\x01a",)
    (back,) = derive_batch(TIP, [block(11, deposits_through=0)], L1_TIME, DEPOSITS, [])
    assert back.deposits_through == TIP.deposits_through and back.txs == (b"\x01a",)


def test_a_batch_cannot_credit_collateral_itself():
    fake = deposit_tx(L1Deposit(1, b"\x66" * 20, 10**12, 0))
    (derived,) = derive_batch(TIP, [block(11, txs=(fake, b"\x01ok"))], L1_TIME, DEPOSITS, [])
    assert derived.txs == (b"\x01ok",)


def test_forced_transactions_are_included_by_the_deadline_whatever_the_batch_says():
    before, at_first, at_second = derive_batch(
        TIP, [block(11, timestamp=1_040), block(12, timestamp=1_050), block(13, timestamp=1_070)],
        L1_TIME, [], FORCED)
    assert before.forced_through == 0 and b"\x04forced-0" not in before.txs
    assert at_first.forced_through == 1 and at_first.txs[0] == b"\x04forced-0"
    assert at_second.forced_through == 2  # the unsigned deposit envelope is consumed but dropped
    assert all(not raw.startswith(b"\x7e") for raw in at_second.txs)
    (voluntary,) = derive_batch(TIP, [block(11, forced_through=3)], L1_TIME, [], FORCED)
    assert voluntary.forced_through == 3 and voluntary.txs[:2] == (b"\x04forced-0", b"\x04forced-2")
