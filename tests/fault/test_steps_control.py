"""``contracts/fault/steps_control.vy`` (ROLLBACK, RESTORE, HALTED) against the Python steps:
random cursors of each phase, the verifier's post-claim equals Python's, and where Python's
step raises (no reachable state) the verifier reverts."""

from __future__ import annotations

import dataclasses
import random

import pytest

from node.stf.cursor import Cursor, claim_of
from node.stf.derive_steps import BlockPhase
from node.stf.errors import FailureCode
from node.stf.machine import STEPS, StepIO
from node.stf.backends import Witness, WitnessBackend
from node.stf.state import ProvingState
from node.stf.steps import Phase
from tests.fault.l1 import l1_post, synthetic_proof

CODES = [int(c) for c in FailureCode]
CONTROL_GAS_MAX = 3_000_000


def _python(pre_root: bytes, cursor: Cursor) -> bytes | None:
    """Python's post-claim of the step at ``cursor`` on a witness-only state (None: it raises)."""
    state = ProvingState(WitnessBackend(Witness(pre_root, frozenset(), frozenset())))
    try:
        post = STEPS[cursor.phase](state, cursor, StepIO(None))._replace(body=None)
        return claim_of(state.commit_block(), post)
    except (ValueError, IndexError, LookupError):
        return None


def _cursor(rng: random.Random, phase: int) -> Cursor:
    saved = tuple(rng.randbytes(32) for _ in range(rng.choice((0, 1, 1, 2, 3))))
    if phase == Phase.ROLLBACK:
        regs = (rng.choice(CODES),) if rng.random() < 0.8 else rng.choice(((), (103,), (-1,), (611,), (5, 6)))
    elif phase == Phase.RESTORE:
        saved = saved or (rng.randbytes(32),) * rng.choice((0, 1, 1, 1, 2))
        depth = rng.randrange(-len(saved), len(saved)) if saved and rng.random() < 0.85 else rng.choice((-3, len(saved)))
        regs = (depth, rng.choice((20, 22, 41, 51, -1))) + tuple(rng.randrange(-10**20, 10**20) for _ in range(rng.randrange(12)))
        if rng.random() < 0.05:
            regs = regs[:rng.randrange(2)]
    else:
        regs = tuple(rng.randrange(-10, 10) for _ in range(rng.randrange(4)))
    return Cursor(phase, rng.randrange(10**6), rng.randrange(2**40), rng.randrange(50),
                  tuple(rng.randrange(-5, 10**6) for _ in range(rng.choice((0, 15)))),
                  rng.randbytes(rng.choice((0, 120))), rng.choice((b"", rng.randbytes(20))),
                  rng.choice((b"", rng.randbytes(32))), regs,
                  tuple((rng.choice((22, 28, 51)), (1, 2, 3)) for _ in range(rng.choice((0, 0, 1)))), saved)


@pytest.mark.parametrize("phase", [Phase.ROLLBACK, Phase.RESTORE, BlockPhase.HALTED])
def test_random_control_steps_equal_python(phase: int) -> None:
    rng = random.Random(phase)
    agreed = refused = 0
    for i in range(120):
        pre_root = rng.randbytes(32)
        cursor = _cursor(rng, phase)
        expected = _python(pre_root, cursor)
        proof = synthetic_proof(pre_root, cursor, expected or b"\x00" * 32)
        post, gas = l1_post(proof)
        assert post == expected, f"step {i}: {cursor}"
        if post is None:
            refused += 1
        else:
            agreed += 1
            assert gas <= CONTROL_GAS_MAX
    assert agreed > 80


def test_rollback_without_a_checkpoint_keeps_the_root_and_with_one_restores_it() -> None:
    pre_root, token = b"\x11" * 32, b"\x22" * 32
    base = Cursor(Phase.ROLLBACK, 5, 1_700_000_000, 2, (0, 7), b"\x02abc", b"\x01" * 20, b"\x03" * 32,
                  (int(FailureCode.INSUFFICIENT_MARGIN),))
    after = Cursor(Phase.NEXT_TX, 5, 1_700_000_000, 3, (0, 7))  # hand-checked: end_tx keeps the block's fields
    for saved, root in (((), pre_root), ((token,), token), ((token, b"\x33" * 32), token)):
        cursor = base._replace(saved=saved)
        assert _python(pre_root, cursor) == claim_of(root, after)
        assert l1_post(synthetic_proof(pre_root, cursor))[0] == claim_of(root, after)


def test_halted_is_the_identity() -> None:
    pre_root = b"\x44" * 32
    cursor = Cursor(BlockPhase.HALTED, outer=tuple(range(15)))
    assert l1_post(synthetic_proof(pre_root, cursor))[0] == claim_of(pre_root, cursor)


def test_the_verifier_refuses_a_proof_whose_pre_claim_does_not_fit() -> None:
    pre_root = b"\x55" * 32
    proof = synthetic_proof(pre_root, Cursor(BlockPhase.HALTED))
    assert l1_post(proof)[0] is not None
    assert l1_post(dataclasses.replace(proof, pre_claim=b"\x00" * 32))[0] is None
    assert l1_post(dataclasses.replace(proof, pre_root=b"\x56" * 32))[0] is None


def test_worst_case_control_steps_stay_under_the_gas_target() -> None:
    """The largest narrow cursor (every field at its bound) through ROLLBACK and RESTORE."""
    pre_root = b"\x66" * 32
    big = Cursor(Phase.ROLLBACK, 2**64, 2**40, 2**32, tuple(-(2**255) for _ in range(16)), b"\xff" * 2048,
                 b"\x01" * 20, b"\x02" * 32, (int(FailureCode.INSUFFICIENT_MARGIN),),
                 tuple((28, tuple(2**250 for _ in range(30))) for _ in range(4)), tuple(bytes([i]) * 32 for i in range(8)))
    restore = big._replace(phase=Phase.RESTORE, regs=(7, 28) + tuple(-(2**255) for _ in range(62)))
    for cursor in (big, restore):
        expected = _python(pre_root, cursor)
        post, gas = l1_post(synthetic_proof(pre_root, cursor, expected))
        assert post == expected and post is not None
        assert gas <= CONTROL_GAS_MAX, f"{cursor.phase}: {gas:,} gas"


def test_py_evm_agrees_with_revm_on_control_steps() -> None:
    """The devnet's EVM (py-evm) gives the same post-claims as the revm the volume runs on."""
    from bridge.evm_call import EvmRunner
    from bridge.fault_contracts import deploy_verifier
    from prover.l1.verifier import StepRefused, run_step

    runner = EvmRunner()
    deployment = deploy_verifier(runner)
    rng = random.Random(77)
    for phase in (Phase.ROLLBACK, Phase.RESTORE, BlockPhase.HALTED):
        for _ in range(3):
            pre_root = rng.randbytes(32)
            cursor = _cursor(rng, phase)
            proof = synthetic_proof(pre_root, cursor)
            revm = l1_post(proof)[0]
            try:
                py_evm = run_step(runner, deployment.verifier, proof).post_claim
            except StepRefused:  # a refusal on both is agreement
                py_evm = None
            assert py_evm == revm
