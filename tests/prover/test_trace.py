"""The trace of a batch: every step re-executes from its proof alone, the steps chain to
the node's root, and a proof with any part changed is refused."""

from __future__ import annotations

import pytest

from node.stf.cursor import decode_cursor
from prover.client.proof import ProofRefused, StepProof
from prover.client.trace import Boundary, TraceRun, bisection_depth
from tests.prover.workload import Scenario, clone, fast_path


def _trace_all(scenario: Scenario, every_step: bool = True):
    """Run every batch on the fast path and as a trace; yield per batch its boundaries and proofs."""
    fast = clone(scenario.chain.backend)
    traced = clone(scenario.chain.backend)
    for batch in scenario.batches:
        root = fast_path(scenario, fast, batch)
        boundaries: list[Boundary] = []
        proofs: list[StepProof] = []
        steps, _ = TraceRun(traced, batch.index, scenario.inputs(batch)).run(
            boundaries.append, on_proof=proofs.append if every_step else None)
        assert boundaries[-1].state_root == root, f"batch {batch.index}: the trace halts on another root"
        assert steps == len(boundaries) - 1
        yield batch, boundaries, proofs


def test_every_step_of_random_batches_re_executes_from_its_proof_and_chains_to_the_node_root() -> None:
    scenario = Scenario.market()
    scenario.build(seed=3, n_batches=6, blocks_per_batch=2, per_block=8)
    kinds: set[str] = set()
    total = 0
    for batch, boundaries, proofs in _trace_all(scenario):
        assert len(proofs) == len(boundaries) - 1
        for proof, before, after in zip(proofs, boundaries, boundaries[1:]):
            assert proof.pre_claim == before.claim
            checked = StepProof.from_json(proof.to_json()).verify()
            assert checked.post_claim == after.claim and checked.post_state_root == after.state_root
            assert checked.kind == before.kind
            kinds.add(checked.kind)
        total += len(proofs)
    assert {"BLOCK_OPEN", "NEXT_TX", "TX_START", "BODY", "BLOCK_CLOSE"} <= kinds
    assert total > 300


def test_halted_trace_is_the_identity_and_depth_covers_it() -> None:
    scenario = Scenario.market()
    scenario.build(seed=5, n_batches=1, blocks_per_batch=2, per_block=4)
    traced = clone(scenario.chain.backend)
    batch = scenario.batches[0]
    boundaries: list[Boundary] = []
    steps, past = TraceRun(traced, 0, scenario.inputs(batch)).run(boundaries.append, prove=10**6)
    assert past is not None and past.pre_claim == past.post_claim == boundaries[-1].claim
    assert past.verify().post_claim == boundaries[-1].claim
    assert 2 ** bisection_depth(steps) >= steps > 2 ** (bisection_depth(steps) - 1)


def _mutations(proof: StepProof):
    if proof.nodes:
        node = bytearray(proof.nodes[0])
        node[len(node) // 2] ^= 1
        yield "witness node", StepProof(**{**proof.__dict__, "nodes": (bytes(node),) + proof.nodes[1:]})
    cursor = bytearray(proof.cursor)
    cursor[-1] ^= 1
    yield "cursor", StepProof(**{**proof.__dict__, "cursor": bytes(cursor)})
    yield "pre root", StepProof(**{**proof.__dict__, "pre_root": bytes(32)})
    yield "post claim", StepProof(**{**proof.__dict__, "post_claim": bytes(32)})
    if proof.keys:
        yield "keys", StepProof(**{**proof.__dict__, "keys": proof.keys[1:]})
    if proof.pieces:
        piece = proof.pieces[0]
        chunk = piece.chunks[0]
        changed = piece.__class__(piece.start, piece.end, piece.first_chunk,
                                  (bytes([chunk[0] ^ 0x40]) + chunk[1:],) + piece.chunks[1:], piece.branches)
        yield "batch bytes", StepProof(**{**proof.__dict__, "pieces": (changed,) + proof.pieces[1:]})
        yield "chunks root", StepProof(**{**proof.__dict__, "chunks_root": bytes(32)})
    if proof.deposits:
        d = proof.deposits[0]
        yield "deposit", StepProof(**{**proof.__dict__, "deposits": (d.__class__(d.index, d.recipient, d.amount_e6 + 1,
                                                                                 d.deadline, d.l1_block),)})


def test_a_changed_proof_is_refused() -> None:
    scenario = Scenario.market()
    scenario.build(seed=11, n_batches=2, blocks_per_batch=2, per_block=6)
    refused: dict[str, int] = {}
    for batch, boundaries, proofs in _trace_all(scenario):
        for proof in proofs[:200]:
            for what, bad in _mutations(proof):
                if what == "deposit":
                    continue  # bound to L1 by the queue check (prover.host.l1_check), not by the claim
                with pytest.raises(ProofRefused):
                    bad.verify()
                refused[what] = refused.get(what, 0) + 1
    assert {"witness node", "cursor", "pre root", "post claim", "keys", "batch bytes", "chunks root"} <= set(refused)


def test_cursor_round_trips_and_rejects_non_canonical_bytes() -> None:
    scenario = Scenario.market()
    scenario.build(seed=13, n_batches=1, blocks_per_batch=1, per_block=6)
    for batch, boundaries, proofs in _trace_all(scenario, every_step=True):
        for proof in proofs:
            cursor = decode_cursor(proof.cursor)
            assert decode_cursor(proof.cursor) == cursor
        padded = proof.cursor[:1] + b"\x00" + proof.cursor[1:]
        with pytest.raises(Exception):
            decode_cursor(padded)


@pytest.mark.slow
def test_soak_every_step_re_executes_from_its_proof() -> None:
    """``make soak``: every step of 20 random chains of 8 batches, re-executed from its proof."""
    for seed in range(20):
        scenario = Scenario.market()
        scenario.build(seed=500 + seed, n_batches=8, blocks_per_batch=3, per_block=12)
        for batch, boundaries, proofs in _trace_all(scenario):
            for proof, after in zip(proofs, boundaries[1:]):
                assert proof.verify().post_claim == after.claim
