"""Derivation as steps equals the node's derivation, on honest and hostile batches.

The follower (``batch_codec.decode_batch`` + ``rules.derive_batch`` + ``apply_block``) and
the trace (``derive_steps``, one item per step) must reach the same state root from any
bytes a sequencer can post: a divergence would let an honest party lose a dispute.
"""

from __future__ import annotations

import random

import pytest
import rlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf.derive_steps import run_batch
from node.stf.state import State
from tests.prover.workload import Batch, Scenario, clone, fast_path


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One hostile change: a flipped byte, a cut, garbage, a nested or oversized item."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    roll = rng.randrange(7)
    at = rng.randrange(len(data))
    if roll == 0:
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
    if roll == 1:
        return data[:at]
    if roll == 2:
        return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6))) + data[at:]
    if roll == 3:
        return data + rlp.encode([1, 0, 0, [b"ok", [b"nested"]]])
    if roll == 4:
        return data + rlp.encode([1, 0, 0, [b"ok", b"x" * 2049]])
    if roll == 5:
        return data + bytes.fromhex("c6") + bytes.fromhex("8105") + b"\x80\x80" + bytes.fromhex("c180")
    return data + rlp.encode([2**64, 0, 0, []])


def _both(scenario: Scenario, batches: list[Batch]) -> None:
    fast = clone(scenario.chain.backend)
    stepped = clone(scenario.chain.backend)
    for batch in batches:
        expected = fast_path(scenario, fast, batch)
        state = State(stepped)
        run_batch(state, batch.index, scenario.inputs(batch))
        assert state.commit_block() == expected, f"batch {batch.index}: the steps and the node disagree"


def test_hostile_batches_derive_the_same_chain_on_both_paths() -> None:
    scenario = Scenario.market()
    scenario.build(seed=21, n_batches=40, blocks_per_batch=2, per_block=5)
    rng = random.Random(21)
    for batch in scenario.batches:
        for _ in range(rng.randrange(3)):
            batch.data = _mutate(rng, batch.data)
        if rng.random() < 0.2:  # a declared last block short of what the batch holds
            batch.last_l2_block = rng.randrange(0, 3 * (batch.index + 1) + 6)
    _both(scenario, scenario.batches)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), mutations=st.integers(0, 3))
def test_random_hostile_batches_agree(seed: int, mutations: int) -> None:
    scenario = Scenario.market()
    scenario.build(seed=seed, n_batches=4, blocks_per_batch=2, per_block=4)
    rng = random.Random(seed)
    for batch in scenario.batches:
        for _ in range(mutations):
            batch.data = _mutate(rng, batch.data)
    _both(scenario, scenario.batches)


@pytest.mark.slow
def test_soak_hostile_batches_agree() -> None:
    """``make soak``: 2,000 hostile batches over 50 random chains."""
    for seed in range(50):
        scenario = Scenario.market()
        scenario.build(seed=1000 + seed, n_batches=40, blocks_per_batch=2, per_block=6)
        rng = random.Random(seed)
        for batch in scenario.batches:
            for _ in range(rng.randrange(4)):
                batch.data = _mutate(rng, batch.data)
            if rng.random() < 0.2:
                batch.last_l2_block = rng.randrange(0, 3 * (batch.index + 1) + 6)
        _both(scenario, scenario.batches)


def test_a_backlog_beyond_the_due_block_cap_is_taken_over_several_batches(monkeypatch) -> None:
    """Rule 6's cap (``MAX_DUE_BLOCKS_PER_BATCH``, here 2) on both paths: each empty batch
    adds 2 blocks of 32 due forced transactions, the next batch the next 64."""
    from node.derivation import rules
    from node.stf import derive_steps, keys
    from node.stf.l1_inputs import L1Forced
    from node.stf.state import State as _State

    monkeypatch.setattr(derive_steps, "MAX_DUE_BLOCKS_PER_BATCH", 2)
    monkeypatch.setattr(rules, "MAX_DUE_BLOCKS_PER_BATCH", 2)
    scenario = Scenario.market()
    t = scenario.chain.time + 600
    for i in range(150):  # queued long ago: all due, undecodable, so cheap
        scenario.forced.append(L1Forced(len(scenario.forced), b"\x01backlog %d" % i, t - 1, 0))
    scenario.batches = [Batch(k, [], t + k, b"", len(scenario.deposits), len(scenario.forced)) for k in range(4)]
    _both(scenario, scenario.batches)
    fast = clone(scenario.chain.backend)
    taken = []
    for batch in scenario.batches:
        fast_path(scenario, fast, batch)
        taken.append(_State(fast).get(keys.GLOBALS).next_forced_index)
    assert taken == [64, 128, 150, 150]
