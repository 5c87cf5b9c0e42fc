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
