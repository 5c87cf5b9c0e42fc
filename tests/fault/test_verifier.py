"""The verifier entry (``contracts/fault/verifier.vy``): mutated proofs of real steps are
refused exactly where Python refuses them (a changed witness byte, a wrong cursor field, a
pre-claim of another position, a non-canonical layout), and a phase without a family is
refused by name."""

from __future__ import annotations

import dataclasses
import random

from eth_abi import encode

from node.stf.cursor import Cursor, claim_of, decode_cursor, encode_cursor
from prover.client.proof import StepProof
from prover.client.trace import TraceRun
from prover.l1.calldata import STEP_SELECTOR, encode_proof
from prover.l1.deploy import dispatch_key
from prover.l1.verifier import revert_reason
from tests.fault.l1 import l1_post, post_batch, python_post, synthetic_proof, verifier
from tests.prover.workload import Scenario, clone


def _implemented_proofs(limit: int = 40) -> list[StepProof]:
    """Proofs of a random chain's steps whose kind has a family (and a few of any kind)."""
    _, deployment = verifier(with_l1=True)
    scenario = Scenario.market()
    scenario.build(seed=7, n_batches=2, blocks_per_batch=2, per_block=10)
    proofs: list[StepProof] = []
    backend = clone(scenario.chain.backend)
    for batch in scenario.batches:
        post_batch(batch.index, scenario.inputs(batch))
        TraceRun(backend, batch.index, scenario.inputs(batch)).run(on_proof=proofs.append)
    implemented = [p for p in proofs if dispatch_key(p.cursor) in deployment.implemented]
    return implemented[:limit] + proofs[:: max(1, len(proofs) // 10)]


def _agree(proof: StepProof) -> bytes | None:
    expected = python_post(proof)
    got, _ = l1_post(proof, with_l1=True)
    if dispatch_key_or_none(proof) in verifier(with_l1=True)[1].implemented or got is not None:
        assert got == expected, f"{proof.kind}: L1 {got and got.hex()} Python {expected and expected.hex()}"
    return got


def dispatch_key_or_none(proof: StepProof) -> int | None:
    try:
        return dispatch_key(proof.cursor)
    except ValueError:
        return None


def test_mutated_witnesses_and_cursors_agree_with_python() -> None:
    rng = random.Random(1)
    for proof in _implemented_proofs():
        _agree(proof)
        if proof.nodes:  # a changed witness byte
            i = rng.randrange(len(proof.nodes))
            node = bytearray(proof.nodes[i])
            node[rng.randrange(len(node))] ^= 1 << rng.randrange(8)
            _agree(dataclasses.replace(proof, nodes=proof.nodes[:i] + (bytes(node),) + proof.nodes[i + 1:]))
        cursor = decode_cursor(proof.cursor)
        for field in ("block", "time", "tx_index"):  # a wrong cursor field, its pre-claim recomputed
            changed = cursor._replace(**{field: getattr(cursor, field) + 1})
            _agree(dataclasses.replace(proof, cursor=encode_cursor(changed), pre_claim=claim_of(proof.pre_root, changed)))
        # a wrong cursor field under the original pre-claim: refused
        changed = cursor._replace(tx_index=cursor.tx_index + 1)
        assert l1_post(dataclasses.replace(proof, cursor=encode_cursor(changed)), with_l1=True)[0] is None


def test_a_pre_claim_of_another_position_is_refused() -> None:
    proofs = _implemented_proofs(10)
    for a, b in zip(proofs, proofs[1:]):
        if a.pre_claim != b.pre_claim:
            assert l1_post(dataclasses.replace(a, pre_claim=b.pre_claim), with_l1=True)[0] is None


def test_non_canonical_layouts_and_unknown_phases_are_refused() -> None:
    runner, deployment = verifier(with_l1=True)
    proof = synthetic_proof(b"\x01" * 32, Cursor(102))
    good = encode_proof(proof)
    assert l1_post(proof, with_l1=True)[0] == claim_of(b"\x01" * 32, Cursor(102))

    def call(body: bytes, pre_claim: bytes = proof.pre_claim):
        return runner.call(deployment.verifier, STEP_SELECTOR + encode(["bytes32", "bytes"], [pre_claim, body]))

    assert call(good).success
    assert not call(good[:170]).success  # truncated inside the cursor
    assert not call(good[:32] + (0xa0).to_bytes(32, "big") + good[64:]).success  # cursor offset moved
    unknown = Cursor(77)
    result = call(encode_proof(synthetic_proof(b"\x01" * 32, unknown)), claim_of(b"\x01" * 32, unknown))
    assert not result.success and revert_reason(result.output) == "verifier: no step for phase 77"


def test_proofs_as_large_as_real_families_take_pass_the_verifier() -> None:
    """A witness of ~90 KB and the largest cursor (22 KB of margin registers) reach the family."""
    from bridge.fault_contracts import Family, deploy_verifier
    from bridge.revm_call import RevmRunner

    runner = RevmRunner()
    deployment = deploy_verifier(runner, families=[Family("test/echo_family.vy", (77,))])
    rng = random.Random(2)
    for regs, nodes in ((2, 0), (2, 150), (3280, 60)):
        cursor = Cursor(77, outer=tuple(range(15)), regs=tuple(rng.randrange(-2**44, 2**44) for _ in range(regs)))
        root = rng.randbytes(32)
        body = encode(["bytes32", "bytes", "bytes[]", "bytes"],
                      [root, encode_cursor(cursor), [rng.randbytes(600) for _ in range(nodes)], b""])
        result = runner.call(deployment.verifier,
                             STEP_SELECTOR + encode(["bytes32", "bytes"], [claim_of(root, cursor), body]))
        assert result.success, revert_reason(result.output)
        assert result.output == claim_of(root, cursor)
