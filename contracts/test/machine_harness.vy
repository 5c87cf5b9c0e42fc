# pragma version 0.4.3
"""
@title machine test harness
@notice Exposes `fault/lib/machine.vy` (cursor in, cursor out, RLP) for the differential tests
        against `node/stf/steps.py`. Not deployed outside tests.
"""

import fault.lib.cursor as cursor
import fault.lib.machine as machine


@external
@pure
def helper(which: uint256, raw: Bytes[cursor.MAX_CURSOR], a: uint256, b: uint256, root: bytes32,
           regs: DynArray[int256, cursor.MAX_REGS], keep: DynArray[int256, cursor.MAX_KEEP]) -> Bytes[cursor.MAX_CURSOR]:
    """
    @notice 0 goto(c, a, regs), 1 end_tx, 2 fail(c, a), 3 begin_body(c, root),
            4 checkpoint_push(c, root), 5 restore_then(c, a, b, regs), 6 call(c, a, regs, b, keep),
            7 ret(c, regs).
    """
    c: cursor.Cursor = cursor.decode_cursor(raw)
    if which == 0:
        c = machine.goto(c, a, regs)
    elif which == 1:
        c = machine.end_tx(c)
    elif which == 2:
        c = machine.fail(c, a)
    elif which == 3:
        c = machine.begin_body(c, root)
    elif which == 4:
        c = machine.checkpoint_push(c, root)
    elif which == 5:
        c = machine.restore_then(c, a, b, regs)
    elif which == 6:
        c = machine.call(c, a, regs, b, keep)
    else:
        c = machine.ret(c, regs)
    return cursor.encode_cursor(c)
