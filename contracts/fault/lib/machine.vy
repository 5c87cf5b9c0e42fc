# pragma version 0.4.3
"""
@title machine
@notice Twins of the cursor helpers of `node/stf/steps.py` (and the phases of
        `node/stf/machine.py`): every family moves the cursor through these, so that a step's
        post-cursor is exactly Python's.
@dev A helper takes the cursor and returns the next one (Vyper passes structs by value: call
     each once per step, `c = machine.goto(c, ...)`). Checkpoint tokens are state roots (a
     proving run's `ProvingState.checkpoint`): the root the step started from, which a family
     passes as `pre_root` (take checkpoints before writing, as Python does).
     Receipts, `StepIO.failure_detail`, fills and cancellations are outputs, not machine
     state: they have no twin here.
"""

import fault.lib.cursor as cursor

# node/stf/steps.py Phase
TX_START: constant(uint256) = 1
ROLLBACK: constant(uint256) = 2
NEXT_TX: constant(uint256) = 3
RESTORE: constant(uint256) = 4
BODY: constant(uint256) = 10
# node/stf/derive_steps.py BlockPhase
BLOCK_OPEN: constant(uint256) = 100
BLOCK_CLOSE: constant(uint256) = 101
HALTED: constant(uint256) = 102


@internal
@pure
def goto(c: cursor.Cursor, phase: uint256, regs: DynArray[int256, cursor.MAX_REGS]) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::goto (stack and saved kept): `c` at `phase` with `regs`.
    """
    d: cursor.Cursor = c
    d.phase = phase
    d.regs = regs
    return d


@internal
@pure
def end_tx(c: cursor.Cursor) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::end_tx: the transaction is over; `NEXT_TX` at the next index,
            only the block's fields (block, time, tx_index + 1, outer) kept.
    """
    return cursor.Cursor(
        phase=NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
        tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])


@internal
@pure
def fail(c: cursor.Cursor, code: uint256) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::fail: continue to `ROLLBACK` with regs (code,) and an empty stack
            (saved kept). The family undoes the failing step's own writes (returns the root
            the step started from), as `body_step` does.
    """
    d: cursor.Cursor = c
    d.phase = ROLLBACK
    d.regs = [convert(code, int256)]
    d.stack = []
    return d


@internal
@pure
def begin_body(c: cursor.Cursor, pre_root: bytes32) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::begin_body: saved = (pre_root,), the checkpoint after the nonce.
    """
    d: cursor.Cursor = c
    d.saved = [pre_root]
    return d


@internal
@pure
def checkpoint_push(c: cursor.Cursor, pre_root: bytes32) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::checkpoint_push: another checkpoint, `pre_root`, innermost.
    """
    d: cursor.Cursor = c
    d.saved.append(pre_root)
    return d


@internal
@pure
def restore_then(c: cursor.Cursor, depth: uint256, phase: uint256, regs: DynArray[int256, cursor.MAX_REGS]) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::restore_then: go to `RESTORE` with regs (depth, phase) + regs.
    """
    assert len(regs) + 2 <= cursor.MAX_REGS, "machine: regs over the MAX_REGS bound"
    d: cursor.Cursor = c
    d.phase = RESTORE
    d.regs = [convert(depth, int256), convert(phase, int256)]
    for r: int256 in regs:
        d.regs.append(r)
    return d


@internal
@pure
def call(c: cursor.Cursor, phase: uint256, regs: DynArray[int256, cursor.MAX_REGS], return_phase: uint256,
         keep: DynArray[int256, cursor.MAX_KEEP]) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::call: run the sub-machine at `phase` with `regs`; it returns to
            `return_phase` with registers keep + results.
    """
    d: cursor.Cursor = c
    d.phase = phase
    d.regs = regs
    d.stack.append(cursor.Frame(phase=return_phase, regs_rlp=cursor.encode_frame_regs(keep)))
    return d


@internal
@pure
def ret(c: cursor.Cursor, results: DynArray[int256, cursor.MAX_REGS]) -> cursor.Cursor:
    """
    @notice node/stf/steps.py::ret: pop the innermost frame and continue at its phase with
            its registers + `results`. Reverts if the stack is empty (Python: IndexError).
    """
    assert len(c.stack) > 0, "machine: ret with an empty stack"
    d: cursor.Cursor = c
    frame: cursor.Frame = d.stack.pop()
    keep: DynArray[int256, cursor.MAX_KEEP] = cursor.decode_frame_regs(frame.regs_rlp)
    assert len(keep) + len(results) <= cursor.MAX_REGS, "machine: regs over the MAX_REGS bound"
    d.phase = frame.phase
    d.regs = []
    for r: int256 in keep:
        d.regs.append(r)
    for r: int256 in results:
        d.regs.append(r)
    return d
