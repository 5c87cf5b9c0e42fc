"""A batch's L1 view is its inbox record: an entry queued after the batch, even in the same
L1 block, is invisible to it (the exact and provable rule), and a record claiming entries the
follower never read stops it."""

from __future__ import annotations

import dataclasses

import pytest

from node.derivation.rules import L1Deposit, deposit_tx
from node.l1.reader import L1Inconsistent
from tests.node.derivation.scripted_l1 import ScriptedL1, empty_blocks, follow

ALICE = b"\xa1" * 20


def test_a_deposit_queued_after_the_batch_in_its_own_l1_block_waits_for_the_next_batch():
    l1 = ScriptedL1()
    l1.post_batch(*empty_blocks(1, 1, deposits_through=1))  # asks for deposit 0, queued after it
    block = l1.height
    l1.deposit_log.append(L1Deposit(0, ALICE, 5_000_000, l1.time_of(block) + l1.window_s, block))
    assert l1.batch_log[0].deposits_seen == 0
    l1.post_batch(*empty_blocks(2, 1, deposits_through=1))
    follower = follow(l1)
    first, second = follower.chain.get_block(1), follower.chain.get_block(2)
    assert first.deposits_through == 0 and first.txs == ()
    assert second.deposits_through == 1 and second.txs == (deposit_tx(l1.deposit_log[0]),)


def test_a_record_that_saw_more_entries_than_were_read_stops_the_follower():
    l1 = ScriptedL1()
    l1.post_deposit(ALICE, 1)
    l1.post_batch(*empty_blocks(1, 1, deposits_through=1))
    l1.batch_log[0] = dataclasses.replace(l1.batch_log[0], deposits_seen=2)
    with pytest.raises(L1Inconsistent, match="saw 2 deposits"):
        follow(l1)
