# pragma version 0.4.3
"""
@title steps_control
@notice The control family on L1: `ROLLBACK` (2), `RESTORE` (4) and `HALTED` (102), twins of
        `node/stf/machine.py::_rollback`, `node/stf/steps.py::_restore` and
        `node/stf/derive_steps.py::_halted`. None reads the state: a rollback or restore moves
        the root to a checkpoint token, which is a state root (`ProvingState.restore`).
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface (`nodes` and `inputs` are
     not read). Reverts ("steps_control: ...", or the cursor codec's "cursor: ...") only where
     Python's step raises on the cursor, i.e. on no reachable state.
"""

import fault.lib.cursor as cursor
import fault.lib.machine as machine

MAX_NODE: constant(uint256) = 532
MAX_NODES: constant(uint256) = 64
MAX_INPUTS: constant(uint256) = 32


@internal
@pure
def _is_failure_code(code: int256) -> bool:
    """node/stf/errors.py::FailureCode: whether `code` is one of its values."""
    if code < 0 or code > 610:
        return False
    if code == 0:
        return True
    if code >= 100 and code <= 108:
        return code != 103
    if code >= 200 and code <= 221:
        return True
    if code >= 300 and code <= 306:
        return code != 303
    if code >= 400 and code <= 403:
        return True
    if code >= 500 and code <= 502:
        return True
    return code >= 600


@external
@pure
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_NODE], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One control step: `(post_root, post_cursor)`.
    """
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    if c.phase == machine.HALTED:
        return pre_root, cursor_rlp  # the identity (decoded: only a canonical cursor passes)
    if c.phase == machine.ROLLBACK:
        # _rollback: restore saved[0] if any, end the transaction with the code in regs[0]
        assert len(c.regs) > 0, "steps_control: ROLLBACK without a failure code"
        assert self._is_failure_code(c.regs[0]), "steps_control: not a failure code"
        root: bytes32 = pre_root
        if len(c.saved) > 0:
            root = c.saved[0]
        return root, cursor.encode_cursor(machine.end_tx(c))
    assert c.phase == machine.RESTORE, "steps_control: not a control phase"
    # _restore: depth, phase, *regs = regs; restore saved[depth]; saved = saved[:depth]
    assert len(c.regs) >= 2, "steps_control: RESTORE without depth and phase"
    depth: int256 = c.regs[0]
    count: int256 = convert(len(c.saved), int256)
    if depth < 0:  # Python's negative index
        depth += count
    assert depth >= 0 and depth < count, "steps_control: no checkpoint at that depth"
    assert c.regs[1] >= 0, "steps_control: negative phase"
    index: uint256 = convert(depth, uint256)
    root: bytes32 = c.saved[index]
    post: cursor.Cursor = c
    post.phase = convert(c.regs[1], uint256)
    post.regs = []
    for i: uint256 in range(2, cursor.MAX_REGS):
        if i >= len(c.regs):
            break
        post.regs.append(c.regs[i])
    post.saved = []
    for i: uint256 in range(cursor.MAX_SAVED):
        if i >= index:
            break
        post.saved.append(c.saved[i])
    return root, cursor.encode_cursor(post)
