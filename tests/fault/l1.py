"""Shared set-up of the fault-verifier tests: one revm with the verifier and every family
that exists, and Python's answer to a step (a post-claim, or a refusal)."""

from __future__ import annotations

from functools import lru_cache

from bridge.revm_call import RevmRunner
from node.l1.batch_chunks import chunks_root
from node.stf.cursor import Cursor, encode_cursor
from node.stf.l1_inputs import BatchRecord
from prover.client.proof import ProofRefused, StepProof
from prover.l1.deploy import FaultDeployment, deploy_verifier
from prover.l1.verifier import StepRefused, run_step


@lru_cache(maxsize=1)
def verifier() -> tuple[RevmRunner, FaultDeployment]:
    """A revm with the verifier deployed (compiled once per process)."""
    runner = RevmRunner()
    return runner, deploy_verifier(runner)


def python_post(proof: StepProof) -> bytes | None:
    """The post-claim Python's re-execution gives ``proof`` (``execute``, whatever post-claim the
    proof states), or None if it refuses (or raises on a cursor no reachable state has)."""
    try:
        return proof.execute().post_claim
    except (ProofRefused, ValueError, IndexError, LookupError):
        return None


def l1_post(proof: StepProof) -> tuple[bytes | None, int]:
    """The verifier's post-claim for ``proof`` (None if it reverts) and the gas it took."""
    runner, deployment = verifier()
    try:
        step = run_step(runner, deployment.verifier, proof)
    except StepRefused:
        return None, 0
    return step.post_claim, step.gas


def synthetic_proof(pre_root: bytes, cursor: Cursor, post_claim: bytes = b"\x00" * 32) -> StepProof:
    """A proof of a step that reads no state and no L1 input (control steps): empty witness."""
    from node.stf.cursor import claim_of

    return StepProof(0, 0, "", pre_root, encode_cursor(cursor), claim_of(pre_root, cursor), post_claim, (), (),
                     BatchRecord(0, 0, 0, 0, 0, 0), chunks_root(b""), (), (), ())
