# pragma version 0.4.3
"""
@title margin_machine
@notice The cursor side of the margin steps, `MARGIN` (40) and `MARGIN_FOLD` (41), for the
        family contract `steps_margin.vy`, which hands in the pre-cursor without its
        registers (`narrow`: an empty register list in their place): `check` decodes it
        strictly (every field but the registers, which the family checks), `ret` also
        returns to the caller's frame with the step's results (`machine.ret`) and encodes
        that cursor.
@dev The cursor codec alone is about 20 KB of code: the rules are `margin_sums.vy`'s. Reverts
     ("margin_machine: ...", "cursor: ...", "machine: ...") only on cursors the STF never
     builds (Python raises on them).
"""

import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.margin_fold as margin_fold

MAX_RESULTS: constant(uint256) = 6  # margin_steps.py::BACKING_REGS, the longest answer
MARGIN: constant(uint256) = 40  # node/stf/margin_steps.py MarginPhase
MARGIN_FOLD: constant(uint256) = 41
MAX_HEAD: constant(uint256) = margin_fold.MAX_HEAD
MAX_POSITIONS: constant(uint256) = margin_fold.MAX_POSITIONS
MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK
MAX_PIECES: constant(uint256) = margin_fold.MAX_PIECES
UNDERLYING_REGS: constant(uint256) = margin_fold.UNDERLYING_REGS


@internal
@pure
def _decode(narrow: Bytes[cursor.MAX_NARROW]) -> cursor.Cursor:
    c: cursor.Cursor = cursor.decode_cursor(narrow)
    assert c.phase == MARGIN or c.phase == MARGIN_FOLD, "margin_machine: not a margin phase"
    return c


@external
@pure
def check(narrow: Bytes[cursor.MAX_NARROW]) -> uint256:
    """
    @notice The phase of `narrow`; reverts unless it is a canonical cursor at a margin phase.
    """
    return self._decode(narrow).phase


@external
@pure
def ret(narrow: Bytes[cursor.MAX_NARROW], results: DynArray[int256, MAX_RESULTS]) -> Bytes[cursor.MAX_NARROW]:
    """
    @notice `machine.ret(cursor, results)` of the cursor `narrow` (checked as `check` does):
            the caller's frame continues with its registers and `results`.
    """
    out: DynArray[int256, cursor.MAX_REGS] = []
    for r: int256 in results:
        out.append(r)
    return cursor.encode_cursor(machine.ret(self._decode(narrow), out))


@external
@pure
def pieces(n: uint256, lay: margin_fold.Layout, head: DynArray[int256, MAX_HEAD], slots: DynArray[margin_fold.Slot, MAX_POSITIONS],
            merged: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK], restart: bool) -> (DynArray[uint256, MAX_PIECES], uint256):
    """
    @notice The post-cursor of a step that goes on, as pieces and ranges of the pre-cursor
            (`MAX_PIECES`), and its length: the phase `MARGIN_FOLD`, the fields up to the
            registers as they are, the registers `head` then the accumulator's underlyings
            (`slots`; none when `restart`) with the chunk's (`merged`) in place of or
            besides them in id order, the fields after the registers as they are.
    """
    pieces: DynArray[uint256, MAX_PIECES] = [0, (MARGIN_FOLD << 248) | 1]  # [0]: the top header, set last
    body: uint256 = 1
    if lay.regs_start > lay.top_offset + 1:
        pieces.append(((lay.top_offset + 1) << 128) | (lay.regs_start << 8))
        body += lay.regs_start - lay.top_offset - 1
    at_header: uint256 = len(pieces)
    pieces.append(0)  # the register list's header, set when its size is known
    regs_size: uint256 = 0
    i: uint256 = 0  # the accumulator's next underlying
    j: uint256 = 0  # the merged list's
    if restart:
        i = len(slots)
        j = len(merged)
    w1: uint256 = 0
    w2: uint256 = 0
    w3: uint256 = 0
    for part: uint256 in range(1 + MAX_POSITIONS + MARGIN_CHUNK):
        values: DynArray[int256, UNDERLYING_REGS] = []
        if part == 0:
            for r: int256 in head:
                values.append(r)
        elif i == len(slots) and j == len(merged):
            break
        elif j < len(merged) and (i == len(slots) or merged[j].underlying_id <= slots[i].summary.underlying_id):
            if i < len(slots) and merged[j].underlying_id == slots[i].summary.underlying_id:
                i += 1
            values = self._values(merged[j])
            j += 1
        else:  # an untouched underlying: its bytes as they are
            stop: uint256 = lay.regs_end
            if i + 1 < len(slots):
                stop = slots[i + 1].start
            pieces.append((slots[i].start << 128) | (stop << 8))
            regs_size += stop - slots[i].start
            i += 1
            continue
        for r: int256 in values:
            w1, w2, w3 = cursor._int_pieces(cursor.zigzag(r))
            pieces.append(w1)
            regs_size += w1 & 255
            if w2 != 0:
                pieces.append(w2)
                regs_size += w2 & 255
                if w3 != 0:
                    pieces.append(w3)
                    regs_size += w3 & 255
    w1, w2 = cursor._header_word(192, regs_size)
    pieces[at_header] = w1 | w2
    body += w2 + regs_size
    if n > lay.regs_end:
        pieces.append((lay.regs_end << 128) | (n << 8))
        body += n - lay.regs_end
    w1, w2 = cursor._header_word(192, body)
    pieces[0] = w1 | w2
    size: uint256 = w2 + body
    assert size <= cursor.MAX_WIDE_CURSOR, "cursor: over MAX_CURSOR"

    return pieces, size


@internal
@pure
def _values(u: margin_fold.UnderlyingSums) -> DynArray[int256, UNDERLYING_REGS]:
    """An underlying's registers (margin_fold.py::MarginAcc.to_regs)."""
    out: DynArray[int256, UNDERLYING_REGS] = [u.underlying_id, u.index_e6, u.calls_e6, u.puts_e6, u.least_long_e12]
    for k: uint256 in range(margin_fold.N_SCENARIOS):
        out.append(u.worst[k])
    for k: uint256 in range(margin_fold.N_SCENARIOS):
        out.append(u.uncovered[k])
    return out
