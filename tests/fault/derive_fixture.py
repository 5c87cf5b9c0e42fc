"""Derivation workloads for the block steps' L1 tests: random and hostile batches traced
step by step in Python, with their L1 (records and queues) loaded into an L1 storage double.

``block_step_cases`` yields, for every step of a block phase (BLOCK_OPEN, NEXT_TX,
BLOCK_CLOSE), the step's proof (``StepProof``, built by the prover's trace) and what the
Python step computes from that proof alone (post-cursor and Globals after it), as
``StepProof.verify`` re-executes it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

from node.l1.batch_chunks import verify_range
from node.stf import keys
from node.stf.backends import Witness, WitnessBackend
from node.stf.cursor import Cursor, decode_cursor
from node.stf.derive_steps import BlockPhase
from node.stf.l1_inputs import L1Forced
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
