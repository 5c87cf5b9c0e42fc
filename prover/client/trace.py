"""A batch's execution trace: positions, the claim at each, and the proof of one step.

**Positions.** Position 0 is the pre-claim: the state root after the previous batch with
``derive_steps.batch_start(batch)``. Position ``k`` is the claim after ``k`` steps. The run
halts at ``HALTED`` after ``steps`` steps; past it every step is the identity, so the claim
at any position ``>= steps`` is the halted claim, whose root must equal the proposed root.
A dispute bisects ``[0, 2**depth)`` with ``depth = bisection_depth(steps)``.

**Proving run.** Every step runs on a fresh ``ProvingState`` over a ``ProvingBackend`` and
its writes are committed to the trie before the next (so each boundary has a root), and the
cursor's decoded-transaction cache is dropped at every boundary (so each step decodes what
the cursor says, exactly as a check from the proof alone does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from node.stf.backends import StateBackend
from node.stf.cursor import Cursor, claim_of
from node.stf.derive_steps import BlockPhase, ClosedBlock, batch_start
from node.stf.machine import STEPS, StepIO
from node.stf.state import ProvingState
from prover.client.backend import ProvingBackend
from prover.client.inputs import MemoryInputs, RecordingInputs
from prover.client.phases import phase_name
from prover.client.proof import StepProof


def bisection_depth(steps: int) -> int:
    """The depth of a bisection over a trace of ``steps`` steps: the smallest ``d`` with
    ``2**d >= steps`` (positions ``0..2**d``, the last ones the halted claim)."""
    return max(steps - 1, 0).bit_length()


@dataclass(frozen=True, slots=True)
class Boundary:
    """The machine at one position: its claim, root and cursor, and the kind of the step
    that starts there."""

    position: int
    claim: bytes
    state_root: bytes
    cursor: Cursor
    kind: str


@dataclass
class TraceRun:
    """The trace of batch ``batch`` over the state held by ``backend`` (at the batch's
    pre-state; the run writes to it) with the L1 ``inputs``. After ``run``,
    ``closed_blocks`` lists the blocks the batch derived (number, time, queue positions)."""

    backend: StateBackend
    batch: int
    inputs: MemoryInputs
    closed_blocks: list[ClosedBlock] = field(default_factory=list)

    def run(self, visit: Callable[[Boundary], None] | None = None, prove: int | None = None,
            on_proof: Callable[[StepProof], None] | None = None) -> tuple[int, StepProof | None]:
        """Run to the halt. ``visit`` sees every boundary (position 0 to ``steps``); with
        ``prove = P`` the step at position ``P`` is recorded and its proof returned; with
        ``on_proof`` every step is, and each proof handed to it. Returns ``(steps, proof)``."""
        backend = ProvingBackend(self.backend)
        inputs = RecordingInputs(self.inputs)
        io = StepIO(inputs)
        self.closed_blocks = io.blocks
        cursor = batch_start(self.batch)
        root = backend.root()
        position = 0
        proof = None
        while True:
            if visit is not None:
                visit(Boundary(position, claim_of(root, cursor), root, cursor, phase_name(cursor.phase)))
            if cursor.phase == BlockPhase.HALTED:
                break
            recording = position == prove or on_proof is not None
            if recording:
                backend.begin_step()
                inputs.reset()
            pre_root, pre_cursor = root, cursor
            state = ProvingState(backend)
            cursor = STEPS[cursor.phase](state, cursor, io)._replace(body=None)
            root = state.commit_block()
            if recording:
                witness = backend.end_step()
                built = StepProof.build(self.batch, position, phase_name(pre_cursor.phase), pre_root, pre_cursor,
                                        root, cursor, witness, inputs)
                if position == prove:
                    proof = built
                if on_proof is not None:
                    on_proof(built)
            if not cursor.saved:
                backend.forget_undo()
            position += 1
        if prove is not None and proof is None:  # past the halt: the identity step, reading nothing
            inputs.reset()
            proof = StepProof.build(self.batch, prove, phase_name(cursor.phase), root, cursor, root, cursor,
                                    None, inputs)
        return position, proof
