# pragma version 0.4.3
"""
@title oracle_cursor
@notice The cursor codec of an ORACLE_MARK step with more running registers than
        `cursor.MAX_REGS` (up to `oracle_steps.MAX_ORACLE_REGS`: one dropped position per
        settled series), as a stateless contract: `cursor.vy`'s wide codec
        (`decode_cursor_wide` + `decode_wide_regs`, `encode_cursor_wide`), twin of
        `node/stf/cursor.py::decode_cursor` / `encode_cursor`.
@dev Kept apart from the entry (`steps_oracle.vy`) for gas, not code size: Vyper places a
     function's frame above its callees' largest, so an entry linking the wide codec
     would touch its ~0.3 MB of memory on every step (~1.1 M gas); here only the steps
     that need it pay for it. Reverts on a cursor that is not canonical.
"""

import fault.lib.cursor as cursor
import fault.lib.oracle_steps as oracle_steps

MAX_REGS: constant(uint256) = oracle_steps.MAX_ORACLE_REGS


@external
@pure
def decode(raw: Bytes[cursor.MAX_CURSOR]) -> (cursor.Cursor, DynArray[int256, MAX_REGS]):
    """
    @notice The cursor `raw` (its `regs` empty) and its running registers (at most MAX_REGS).
    """
    c: cursor.Cursor = cursor.decode_cursor_wide(raw)
    wide: DynArray[int256, cursor.MAX_WIDE_REGS] = cursor.decode_wide_regs(raw)
    regs: DynArray[int256, MAX_REGS] = []
    for r: int256 in wide:
        regs.append(r)  # reverts past MAX_REGS: no reachable oracle step has more
    return c, regs


@external
@pure
def encode(c: cursor.Cursor, regs: DynArray[int256, MAX_REGS]) -> Bytes[cursor.MAX_CURSOR]:
    """
    @notice The encoding of `c` with running registers `regs` (`c.regs` ignored).
    """
    return cursor.encode_cursor_wide(c, regs)
