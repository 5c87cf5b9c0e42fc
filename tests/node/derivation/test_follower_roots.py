"""The follower checks every posted root against the L2 block derivation gives for its batch,
keeps roots and batches in step whatever a batch holds, and refuses another genesis."""

from __future__ import annotations

import pytest

from node.l1.genesis_anchor import GenesisMismatch, genesis_state_root
from node.sequencer.dev import dev_chain
from tests.node.derivation.scripted_l1 import T0, ScriptedL1, empty_blocks, follow, replica


def chain_of_batches() -> ScriptedL1:
    """Batches 0-4: blocks 1-3, blocks 4-5, not a block, a repeat of block 4 (declares a block
    already reached: adds none), blocks 6-7."""
    l1 = ScriptedL1()
    l1.post_batch(*empty_blocks(1, 3))
    l1.post_batch(*empty_blocks(4, 2))
    l1.post_batch([], 5, data=b"\x03not RLP")
    l1.post_batch(*empty_blocks(4, 1))
    l1.post_batch(*empty_blocks(6, 2))
    return l1


def test_every_batch_has_the_block_derivation_gives_and_honest_roots_all_match():
    l1 = chain_of_batches()
    reference = follow(l1)
    assert reference.batch_last_block == {0: 3, 1: 5, 2: 5, 3: 5, 4: 7}
    for index in range(5):
        last = reference.batch_last_block[index]
        l1.propose(last, reference.chain.state_root_at(last))
    follower = follow(l1)
    assert follower.status.roots_checked == 5 and not follower.status.mismatches


def test_a_proposer_that_lies_about_the_block_is_a_mismatch():
    l1 = ScriptedL1()
    for first, count in ((1, 3), (4, 2), (6, 1)):
        l1.post_batch(*empty_blocks(first, count))
    roots = follow(l1).chain
    l1.propose(3, roots.state_root_at(3))  # honest
    l1.propose(3, roots.state_root_at(3))  # "batch 1 derived nothing": a true root, at the wrong block
    l1.propose(10**18, b"\x66" * 32)       # a block no batch reaches: it must not wait forever
    l1.propose(7, b"\x67" * 32)            # batch 3 is not posted yet: this root waits for it
    seen = []
    follower = follow(l1, on_mismatch=seen.append)
    assert [(m.index, m.last_l2_block, m.derived_l2_block, m.posted, m.ours) for m in seen] == [
        (1, 3, 5, roots.state_root_at(3), roots.state_root_at(5)),
        (2, 10**18, 6, b"\x66" * 32, roots.state_root_at(6)),
    ]
    assert follower.status.roots_checked == 3 and follower.status.mismatches == seen
    l1.post_batch(*empty_blocks(7, 1))
    follower.step()
    assert follower.status.roots_checked == 4
    assert follower.status.mismatches[-1].index == 3 and follower.status.mismatches[-1].derived_l2_block == 7


def test_a_follower_on_another_genesis_refuses_to_run():
    l1 = chain_of_batches()
    other = dev_chain(T0 + 86_400).genesis
    with pytest.raises(GenesisMismatch) as refused:
        follow(l1, replica(other))
    message = str(refused.value)
    assert genesis_state_root(other).hex() in message and l1.genesis_root().hex() in message
