# pragma version 0.4.3
"""
@title margin_machine
@notice The cursor side of the margin steps, `MARGIN` (40) and `MARGIN_FOLD` (41): decodes
        the pre-cursor, has `margin_sums.vy` compute the step (twin of
        `node/stf/margin_steps.py::_margin` and `_margin_fold`) and encodes the post-cursor:
        the next `MARGIN_FOLD` step's (`cursor.encode_cursor_wide`) or the caller's with the
        results (`machine.ret`). Called by the family contract `steps_margin.vy` (the
        caller), which holds the witness and answers the reads (`chunk`).
@dev The cursor codec alone is about 20 KB of code: the rules are `margin_sums.vy`'s. Cursors
     up to `cursor.MAX_WIDE_CURSOR` bytes (3,280 registers at their widest). Reverts
     ("margin_machine: ...", "cursor: ...", or `margin_sums`' reasons) only on cursors the
     STF never builds (Python raises on them).
"""

import fault.lib.cursor as cursor
import fault.lib.machine as machine

MAX_WIDE_REGS: constant(uint256) = cursor.MAX_WIDE_REGS
MAX_RESULTS: constant(uint256) = 6  # margin_steps.py::BACKING_REGS, the longest answer
MARGIN: constant(uint256) = 40  # node/stf/margin_steps.py MarginPhase
MARGIN_FOLD: constant(uint256) = 41


interface MarginSums:
    def step(regs: DynArray[int256, MAX_WIDE_REGS], first_step: bool, reads: address) -> (
        DynArray[int256, MAX_WIDE_REGS], DynArray[int256, MAX_RESULTS], bool): nonpayable


@external
def step(cursor_rlp: Bytes[cursor.MAX_WIDE_CURSOR], sums: address) -> Bytes[cursor.MAX_WIDE_CURSOR]:
    """
    @notice The post-cursor of a margin step from the pre-cursor `cursor_rlp`, with the sums of
            `sums` (`margin_sums.vy`), which reads through the caller (`steps_margin.vy`).
    """
    c: cursor.Cursor = cursor.decode_cursor_wide(cursor_rlp)
    assert c.phase == MARGIN or c.phase == MARGIN_FOLD, "margin_machine: not a margin phase"
    regs: DynArray[int256, MAX_WIDE_REGS] = []
    results: DynArray[int256, MAX_RESULTS] = []
    done: bool = False
    regs, results, done = extcall MarginSums(sums).step(cursor.decode_wide_regs(cursor_rlp), c.phase == MARGIN, msg.sender)
    if done:  # ret(cursor, results)
        out: DynArray[int256, cursor.MAX_REGS] = []
        for r: int256 in results:
            out.append(r)
        return cursor.encode_cursor(machine.ret(c, out))
    c.phase = MARGIN_FOLD
    return cursor.encode_cursor_wide(c, regs)
