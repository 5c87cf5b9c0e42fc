"""Derivation workloads for the block steps' L1 tests: random and hostile batches traced
step by step in Python, with their L1 (records and queues) loaded into an L1 storage double.

``block_step_cases`` yields, for every step of a block phase (BLOCK_OPEN, NEXT_TX,
BLOCK_CLOSE), the step's proof (``StepProof``, built by the prover's trace) and what the
Python step computes from that proof alone (post-cursor and Globals after it), as
``StepProof.verify`` re-executes it.
"""

from __future__ import annotations

import random

import rlp
from dataclasses import dataclass
from typing import Iterator

from node.l1.batch_chunks import verify_range
from node.stf import keys
from node.stf.backends import Witness, WitnessBackend
from node.stf.cursor import Cursor, decode_cursor
from node.stf.derive_steps import BlockPhase
from node.stf.l1_inputs import L1Deposit, L1Forced
from node.stf.machine import STEPS, StepIO
from node.stf.records import Globals
from node.stf.state import ProvingState
from node.stf.steps import Phase
from prover.client.inputs import ProofInputs
from prover.client.proof import StepProof
from prover.client.trace import TraceRun
from tests.fault.l1_fixture import L1Double
from tests.prover.test_derivation_steps import _mutate
from tests.prover.workload import Batch, Scenario, clone

BLOCK_PHASES = (BlockPhase.BLOCK_OPEN, Phase.NEXT_TX, BlockPhase.BLOCK_CLOSE)


@dataclass
class Case:
    proof: StepProof
    pre: Cursor
    globals_pre: Globals | None  # None: the step does not read Globals (NEXT_TX)
    post: Cursor
    globals_post: Globals | None


def hostile_scenario(seed: int, n_batches: int = 6, per_block: int = 4) -> Scenario:
    """Random batches (``Scenario.build``), a third of them damaged as in the derivation
    tests (flipped and cut bytes, garbage, nested and oversized items, header integers
    past uint64), some with a declared last block short of what they hold."""
    scenario = Scenario.market()
    scenario.build(seed=seed, n_batches=n_batches, blocks_per_batch=2, per_block=per_block)
    rng = random.Random(seed)
    for batch in scenario.batches:
        if rng.random() < 0.35:
            for _ in range(rng.randrange(1, 3)):
                batch.data = _mutate(rng, batch.data)
        if rng.random() < 0.2:
            batch.last_l2_block = rng.randrange(0, 3 * (batch.index + 1) + 6)
    return scenario


def backlog_scenario(forced: int, batches: int) -> Scenario:
    """Empty batches after a backlog of ``forced`` due (undecodable) forced transactions:
    blocks of due entries only, up to the per-batch cap."""
    scenario = Scenario.market()
    t = scenario.chain.time + 600
    for i in range(forced):
        scenario.forced.append(L1Forced(len(scenario.forced), b"\x01backlog %d" % i, t - 1, 0))
    scenario.batches = [Batch(k, [], t + k, b"", len(scenario.deposits), len(scenario.forced)) for k in range(batches)]
    return scenario


def load_l1(l1: L1Double, scenario: Scenario) -> None:
    for batch in scenario.batches:
        l1.set_batch(batch.record(), batch.data)
    l1.set_deposits(scenario.deposits)
    l1.set_forced(scenario.forced)


def re_execute(proof: StepProof) -> tuple[Cursor, Globals | None, Cursor, Globals | None]:
    """The step from its proof alone (as ``StepProof.verify``): pre-cursor, Globals before,
    post-cursor, Globals after (``None`` if the step does not read them)."""
    cursor = decode_cursor(proof.cursor)
    state = ProvingState(WitnessBackend(Witness(proof.pre_root, frozenset(proof.nodes), frozenset(proof.keys))))
    pieces = {p.start: verify_range(proof.chunks_root, proof.record.length, p) for p in proof.pieces}
    inputs = ProofInputs(proof.record, pieces, {d.index: d for d in proof.deposits}, {f.index: f for f in proof.forced})
    reads_globals = keys.GLOBALS in proof.keys
    globals_pre = state.get(keys.GLOBALS) if reads_globals else None
    post = STEPS[cursor.phase](state, cursor, StepIO(inputs))._replace(body=None)
    return cursor, globals_pre, post, state.get(keys.GLOBALS) if reads_globals else None


def trace_proofs(scenario: Scenario) -> Iterator[StepProof]:
    """Every step's proof, batch after batch, on one chain."""
    traced = clone(scenario.chain.backend)
    for batch in scenario.batches:
        proofs: list[StepProof] = []
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(on_proof=proofs.append)
        yield from proofs


def block_step_cases(scenario: Scenario) -> Iterator[Case]:
    for proof in trace_proofs(scenario):
        if decode_cursor(proof.cursor).phase in BLOCK_PHASES:
            yield Case(proof, *re_execute(proof))


def worst_read_scenario(batch_bytes: int = 118 * 1024) -> Scenario:
    """The NEXT_TX step that reads the most: a deposit and a 2 KiB forced transaction, both
    queued but neither declared nor due (each is read and left), then the block's first
    transaction, of 2 KiB, whose item spans four chunks (bytes 1022..3072) of a batch of
    ``batch_bytes`` (118 chunks: the deepest chunk branches). A block before it pads the
    batch; garbage after it fills the batch (the batch's blocks end there)."""
    scenario = Scenario.market()
    chain = scenario.chain
    l1_time = chain.time + 120
    start = len(scenario.deposits)
    scenario.deposits.append(L1Deposit(start, b"\x42" * 20, 10**6, l1_time + 3_600, 0))
    scenario.forced.append(L1Forced(0, b"\x01" + bytes(range(256)) * 7 + b"\x02" * 255, l1_time + 3_600, 0))
    big = rlp.encode([chain.time + 61, start, 0, [b"\x03" * 2048]])
    offset = 1022 - (len(big) - 2051)  # where the block item starts for its tx item at 1022
    for pad in range(offset):
        first = rlp.encode([chain.time + 60, start, 0, [b"\x05" * pad]])
        if len(first) == offset:
            break
    else:
        raise AssertionError("no padding puts the item at 1022")
    data = first + big
    data += rlp.encode(b"\x00" * (batch_bytes - len(data) - 4))
    scenario.batches = [Batch(0, [], l1_time, data, len(scenario.deposits), len(scenario.forced))]
    return scenario


def deep_state_scenario(extra_keys: int = 70_000) -> Scenario:
    """A short batch over a state holding ``extra_keys`` more keys (no step reads them): the
    Globals leaf sits under three full branches, as in a chain of ~10^5 records."""
    scenario = Scenario.market()
    scenario.build(seed=3, n_batches=1, blocks_per_batch=1, per_block=2)
    rng = random.Random(extra_keys)
    scenario.chain.backend.apply({b"\xee" + rng.randbytes(20): b"\x01" for _ in range(extra_keys)})
    return scenario
