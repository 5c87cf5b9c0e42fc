"""Shared set-up of the fault-verifier tests: one revm with the verifier and every family
that exists, and Python's answer to a step (a post-claim, or a refusal).

``verifier()`` has no L1 contracts, so the block family (which reads the inbox, portal and
forced queue) is not deployed and the block steps are skipped; ``verifier(with_l1=True)``
has it too, reading an L1 storage double: put each batch there first (``post_batch``, the
differential driver's ``before`` hook)."""

from __future__ import annotations

import dataclasses
import random
from functools import lru_cache
from typing import Any, Iterable

from bridge.revm_call import RevmRunner
from node.l1.batch_chunks import chunks_root
from node.stf.cursor import Cursor, encode_cursor
from node.stf.l1_inputs import BatchRecord
from node.stf.mpt.errors import MissingTrieNode
from prover.client.inputs import MemoryInputs
from prover.client.proof import ProofRefused, StepProof
from prover.l1.deploy import FaultDeployment, deploy_verifier
from prover.l1.verifier import StepRefused, run_step
from tests.fault.l1_fixture import L1Double, load_batch


@lru_cache(maxsize=1)
def _l1() -> tuple[RevmRunner, L1Double]:
    runner = RevmRunner()
    return runner, L1Double(runner)


@lru_cache(maxsize=2)
def verifier(with_l1: bool = False) -> tuple[RevmRunner, FaultDeployment]:
    """A revm with the verifier deployed (compiled once per process); ``with_l1``: with the
    block family too, reading the L1 double."""
    runner, double = _l1()
    l1 = {"inbox": double.address, "portal": double.address, "forced": double.address} if with_l1 else None
    return runner, deploy_verifier(runner, l1)


def post_batch(batch: int, inputs: MemoryInputs) -> None:
    """Put batch ``batch`` and the queue entries it sees on the L1 double (the differential
    driver's ``before`` hook)."""
    load_batch(_l1()[1], batch, inputs)


def python_post(proof: StepProof) -> bytes | None:
    """The post-claim Python's re-execution gives ``proof`` (``execute``, whatever post-claim the
    proof states), or None if it refuses (or raises on a cursor no reachable state has)."""
    try:
        return proof.execute().post_claim
    except (ProofRefused, ValueError, IndexError, LookupError):
        return None


def l1_post(proof: StepProof, with_l1: bool = False) -> tuple[bytes | None, int]:
    """The verifier's post-claim for ``proof`` (None if it reverts, or if the prover's encoder
    cannot make its calldata: the place advice, ``calldata.encode_inputs``, walks the witness,
    and a tampered one may lack the node it needs) and the gas it took; ``with_l1``: on the
    deployment with the block family (``verifier(with_l1=True)``)."""
    runner, deployment = verifier(with_l1)
    try:
        step = run_step(runner, deployment.verifier, proof)
    except (StepRefused, MissingTrieNode):
        return None, 0
    return step.post_claim, step.gas


def synthetic_proof(pre_root: bytes, cursor: Cursor, post_claim: bytes = b"\x00" * 32) -> StepProof:
    """A proof of a step that reads no state and no L1 input (control steps): empty witness."""
    from node.stf.cursor import claim_of

    return StepProof(0, 0, "", pre_root, encode_cursor(cursor), claim_of(pre_root, cursor), post_claim, (), (),
                     BatchRecord(0, 0, 0, 0, 0, 0), chunks_root(b""), (), (), ())


def tampered_witness_refused(runner: Any, verifier_address: bytes, proofs: Iterable[StepProof], seed: int) -> int:
    """Each proof with one witness node changed (a bit flipped), then one dropped: wherever
    Python refuses the tampered proof, L1 must revert, never answer a post-claim (an
    AssertionError names the proof). Returns how many tampered proofs both refused."""
    rng = random.Random(seed)
    refused = 0
    for proof in proofs:
        for drop in (False, True):
            i = rng.randrange(len(proof.nodes))
            if drop:
                nodes = proof.nodes[:i] + proof.nodes[i + 1:]
            else:
                node = bytearray(proof.nodes[i])
                node[rng.randrange(1, len(node))] ^= 1
                nodes = proof.nodes[:i] + (bytes(node),) + proof.nodes[i + 1:]
            bad = dataclasses.replace(proof, nodes=nodes)
            if python_post(bad) is not None:
                continue  # Python accepts it (e.g. an unused node): nothing to compare here
            try:
                step = run_step(runner, verifier_address, bad)
            except StepRefused:
                refused += 1
                continue
            raise AssertionError((proof.kind, drop, i, len(proof.nodes), step.post_claim == proof.post_claim))
    return refused


def scenario_proofs(scenario: Any) -> Iterable[StepProof]:
    """Every step proof of every batch of ``scenario`` (``tests.prover.workload.Scenario``),
    traced from its genesis."""
    from prover.client.trace import TraceRun
    from tests.prover.workload import clone

    traced = clone(scenario.chain.backend)
    for batch in scenario.batches:
        proofs: list[StepProof] = []
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(lambda _b: None, on_proof=proofs.append)
        yield from proofs


def first_steps_on_py_evm(proofs: Iterable[StepProof], keys: Iterable[int]) -> Any:
    """The first proof of each dispatch key of ``keys`` through the differential driver on
    py-evm (the devnet's EVM) with the verifier deployed as on L1 (EIP-170 on): its report,
    with no divergence and every such step run."""
    from bridge.evm_call import EvmRunner
    from prover.l1.deploy import dispatch_key
    from prover.l1.differential import Driver

    runner = EvmRunner()
    driver = Driver(runner, deploy_verifier(runner), reexecute=False)
    wanted, seen = set(keys), set()
    for proof in proofs:
        key = dispatch_key(proof.cursor)
        if key in wanted and key not in seen:
            seen.add(key)
            driver.check(proof)
    report = driver.report
    assert not report.divergences, [(d.kind, d.detail) for d in report.divergences]
    assert report.run == len(seen)
    return report
