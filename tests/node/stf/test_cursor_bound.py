"""``node/stf/cursor.py::MAX_CURSOR_BYTES`` holds every cursor the STF builds: the field
bounds it is derived from match their sources, the longest cursor within them encodes to
exactly the bound and decodes, and the margin fold's cursors of the widest accounts at sizes
far past any reachable fill count (which outgrew the former 32 KiB bound) encode and decode.
(On L1: ``tests/fault/test_steps_margin.py`` runs such cursors through the verifier.)"""

from __future__ import annotations

import pytest
import rlp

from node.stf import cursor as cursor_module
from node.stf import margin_fold
from node.stf.cursor import (
    MAX_CURSOR_BYTES,
    MAX_FRAME_RLP,
    MAX_FRAMES,
    MAX_OUTER,
    MAX_SAVED,
    MAX_TX,
    MAX_WIDE_REGS,
    Cursor,
    CursorError,
    decode_cursor,
    encode_cursor,
    worst_cursor_size,
    zigzag,
)
from node.stf import keys, margin
from node.stf.backends import MemoryBackend
from node.stf.derive_steps import OUTER_REGS
from node.stf.margin_steps import BACKING_REGS, MarginPhase, Query, call_margin
from node.stf.records import Account
from node.stf.state import State
from node.stf.steps import STEPS, StepIO
from node.stf.tx_codec import MAX_TX_BYTES
from tests.node.stf.test_margin_fold import WIDE, worst_account

ADDRESS = b"\xaa" * 20

INT_MIN = -(2**255)


def worst_cursor(phase: int = MarginPhase.MARGIN_FOLD) -> Cursor:
    """The longest cursor within the field bounds: every integer 32 bytes after zigzag."""
    # a frame's register list of exactly MAX_FRAME_RLP bytes: a 3-byte header, then
    # 30 registers of 33 bytes and one of 31 (a 30-byte zigzag value)
    keep = (INT_MIN,) * 30 + (2**231,)
    frames = tuple((2**256 - 1, keep) for _ in range(MAX_FRAMES))
    return Cursor(phase, 2**256 - 1, 2**256 - 1, 2**256 - 1, (INT_MIN,) * MAX_OUTER, b"\xff" * MAX_TX, b"\x01" * 20,
                  b"\x02" * 32, (INT_MIN,) * MAX_WIDE_REGS, frames, (b"\x03" * 32,) * MAX_SAVED)


def test_the_field_bounds_hold_what_the_stf_builds() -> None:
    assert MAX_TX == MAX_TX_BYTES
    assert OUTER_REGS <= MAX_OUTER
    assert MAX_WIDE_REGS == 4 + BACKING_REGS + margin_fold.MAX_REGS
    assert len(zigzag(INT_MIN).to_bytes(32, "big")) == cursor_module.MAX_INT_BYTES


def test_the_worst_cursor_is_exactly_the_bound_and_decodes() -> None:
    worst = worst_cursor(phase=2**256 - 1)  # (a margin phase is one byte: 32 less)
    raw = encode_cursor(worst)
    assert len(rlp.encode(cursor_module._regs(worst.stack[0][1]))) == MAX_FRAME_RLP
    assert len(raw) == MAX_CURSOR_BYTES == worst_cursor_size() == 115_526
    assert decode_cursor(raw) == worst
    with pytest.raises(CursorError):  # one byte more is refused
        decode_cursor(raw + b"\x00")


def test_the_narrow_bound_is_cursor_vys() -> None:
    """Every step but the margin fold's has at most MAX_REGS running registers:
    ``contracts/fault/lib/cursor.vy`` MAX_NARROW."""
    assert worst_cursor_size(cursor_module.MAX_REGS) == 9_396


def margin_cursors(account: Account, query: Query = Query.INITIAL) -> list[Cursor]:
    """Every cursor of the margin sub-machine for ``account`` (on the wide test chain, at
    ``ADDRESS``), from the call to the return, as the Python steps make them."""
    backend = MemoryBackend()
    backend.apply(dict(WIDE.backend.values))
    state = State(backend)
    state.put(keys.account(ADDRESS), account.at_loss_index(account.balance_e6, state.get(keys.GLOBALS).loss_index))
    state.commit_block()
    cursor = call_margin(Cursor(20, tx=b"\x02" * 200, sender=ADDRESS, tx_hash=b"\x01" * 32, saved=(b"\x04" * 32,)),
                         ADDRESS, query, 27, tuple(range(12)))
    out = [cursor]
    while cursor.phase in (MarginPhase.MARGIN, MarginPhase.MARGIN_FOLD):
        cursor = STEPS[cursor.phase](state, cursor, StepIO())._replace(body=None)
        state.commit_block()
        out.append(cursor)
    return out


def failing_worst_account(size_e6: int) -> Account:
    """``worst_account`` with cash one unit short of initial margin: an INITIAL query folds
    both stages, the second with the six kept backing registers (the widest cursor)."""
    worst = worst_account(size_e6)
    b = margin.backing(WIDE.state, worst)
    return Account(b.cash_e6 - b.excess_e6 - 1, positions=worst.positions, order_totals=worst.order_totals)


@pytest.mark.parametrize("size_bits", [50, 80, 120, 160])
def test_margin_fold_cursors_of_huge_positions_encode(size_bits: int) -> None:
    """The cursors of a 64-series account on 64 underlyings with sizes of ``size_bits`` bits:
    the former 32 KiB bound failed from about 2^45 (an unprovable step; 34,976 bytes at 2^50, 68,880 at 2^160); every register
    fits int256 for sizes below 2^160, so every cursor is within the bound."""
    cursors = margin_cursors(failing_worst_account(2**size_bits))
    assert len(cursors) == 2 * 64 // margin_fold.MARGIN_CHUNK + 1
    sizes = [len(encode_cursor(c)) for c in cursors]
    assert max(sizes) <= MAX_CURSOR_BYTES
    if size_bits >= 80:
        assert max(sizes) > 32_768
    for c in cursors:
        assert decode_cursor(encode_cursor(c)) == c


def test_a_margin_call_carries_one_frame() -> None:
    """The only sub-machine call (``call_margin``) is made by steps that run without a
    suspended frame, so a margin step's cursor has one frame: far within MAX_FRAMES."""
    body = Cursor(20, regs=(1, 2, 3))
    called = call_margin(body, b"\xaa" * 20, Query.INITIAL, 27, tuple(range(31)))
    assert len(called.stack) == 1 and called.phase == MarginPhase.MARGIN
