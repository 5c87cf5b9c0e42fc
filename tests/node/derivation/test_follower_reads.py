"""A follower step is all-or-nothing: a transient L1 read error at any point of any step
leaves it able to continue, and it ends exactly where a follower without errors ends."""

from __future__ import annotations

import dataclasses
from typing import Callable

import pytest

from node.derivation.follower import Follower
from node.l1.watcher import L1Inconsistent
from tests.node.derivation.scripted_l1 import FlakyL1, ScriptedL1, TransientL1Error, empty_blocks, follow, replica

ALICE, BOB = b"\xa1" * 20, b"\xb0" * 20


def stages(roots: dict[int, bytes]) -> list[Callable[[ScriptedL1], None]]:
    """Three rounds of L1 activity (deposits, batches, a bad batch, roots), one step each."""
    def first(l1: ScriptedL1) -> None:
        l1.post_deposit(ALICE, 5_000_000)
        l1.post_batch(*empty_blocks(1, 2, deposits_through=1))

    def second(l1: ScriptedL1) -> None:
        l1.post_deposit(BOB, 7_000_000)
        l1.post_batch(*empty_blocks(3, 2, deposits_through=2))
        l1.post_batch([], 4, data=b"\x03\x00")  # not a block item: derives nothing

    def third(l1: ScriptedL1) -> None:
        for last in (2, 4, 4):
            l1.propose(last, roots.get(last, b"\x01" * 32))
        l1.post_batch(*empty_blocks(5, 1, deposits_through=2))
    return [first, second, third]


def run(reader_of: Callable[[ScriptedL1], object], roots: dict[int, bytes]) -> tuple[Follower, int]:
    """Play the stages, stepping after each until the follower has read the head (retrying
    after transient errors); returns the follower and how many steps failed."""
    l1 = ScriptedL1()
    follower = Follower(reader_of(l1), replica(), confirmations=0)
    failures = 0
    for stage in stages(roots):
        stage(l1)
        while follower.status.l1_block < l1.head():
            try:
                follower.step()
            except TransientL1Error:
                failures += 1
    return follower, failures


def test_a_transient_error_at_every_read_position_is_retried_to_the_same_result():
    plain, _ = run(lambda l1: l1, {})
    roots = {n: plain.chain.state_root_at(n) for n in (2, 4)}
    reference, failures = run(lambda l1: l1, roots)
    assert failures == 0 and reference.status.roots_checked == 3 and not reference.status.mismatches
    counter: list[FlakyL1] = []
    run(lambda l1: counter.append(FlakyL1(l1, -1)) or counter[0], roots)
    reads = counter[0].reads
    assert reads > 20
    for position in range(reads):
        follower, failures = run(lambda l1: FlakyL1(l1, position), roots)
        assert failures == 1, position
        assert follower.chain.head_root == reference.chain.head_root, position
        assert follower.deposits == reference.deposits and follower.batch_last_block == reference.batch_last_block
        assert follower.status.roots_checked == 3 and not follower.status.mismatches, position


def test_a_real_gap_in_a_queue_still_stops_the_follower():
    l1 = ScriptedL1()
    l1.post_deposit(ALICE, 1)
    follower = follow(l1)
    l1.post_deposit(BOB, 1)
    l1.deposit_log[-1] = dataclasses.replace(l1.deposit_log[-1], index=2)  # index 1 missing
    with pytest.raises(L1Inconsistent):
        follower.step()
    assert len(follower.deposits) == 1
