# pragma version 0.4.3
"""
@title margin_machine
@notice The cursor side of the margin steps, `MARGIN` (40) and `MARGIN_FOLD` (41): twin of
        `node/stf/margin_steps.py::_margin` and `_margin_fold` (with `_fold_step`). Called
        by the family contract `steps_margin.vy` (the caller), which holds the witness and
        answers its reads (`chunk`); the sums are `margin_sums.vy`'s.
@dev A rule calls the sub-machine with registers (address, query); it returns
     (`machine.ret`) with INITIAL (code,), BACKING (cash, free cash, equity, maintenance,
     initial, complete) or SUMMARY (cash, value, maintenance, initial, complete). An account
     of at most MARGIN_CHUNK series is answered in the first step (Python's one-shot
     functions, equal to the fold's `finish`: `tests/node/stf/test_margin_fold.py`); a wider
     one folds MARGIN_CHUNK series per `MARGIN_FOLD` step with registers (address, query,
     stage, next series, [six kept backing regs], accumulator). An INITIAL query that fails
     with resting orders then folds the positions alone (stage 1) to tell INSUFFICIENT_MARGIN
     from the orders' codes.

     Reverts ("margin_machine: ...", or a library's prefix) only on cursors the STF never
     builds (Python raises on them): a query or stage out of range, an address over 160
     bits, fewer registers than the layout needs, malformed accumulator registers.
"""

import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.margin_fold as margin_fold

MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK
MAX_WIDE_REGS: constant(uint256) = cursor.MAX_WIDE_REGS

# node/stf/margin_steps.py
MARGIN: constant(uint256) = 40
MARGIN_FOLD: constant(uint256) = 41
INITIAL: constant(int256) = 0
BACKING: constant(int256) = 1
SUMMARY: constant(int256) = 2
WITH_ORDERS: constant(int256) = 0
POSITIONS_ONLY: constant(int256) = 1
HEAD_REGS: constant(uint256) = 4  # address, query, stage, next series
BACKING_REGS: constant(uint256) = 6


interface MarginSums:
    def step(regs: DynArray[int256, MAX_WIDE_REGS], base: uint256, owner: address, with_orders: bool, first: uint256,
             first_step: bool, initial: bool, reads: address) -> (
        DynArray[int256, MAX_WIDE_REGS], margin_fold.AccountView, margin_fold.Backing, int256, bool): nonpayable


@internal
@pure
def _backing_regs(b: margin_fold.Backing) -> DynArray[int256, cursor.MAX_REGS]:
    """node/stf/margin_steps.py::_backing_regs."""
    return [b.cash_e6, b.free_cash_e6, b.equity_e6, b.maintenance_e6, b.initial_e6, convert(b.complete, int256)]


@internal
@pure
def _summary_regs(cash_e6: int256, b: margin_fold.Backing, value_e6: int256) -> DynArray[int256, cursor.MAX_REGS]:
    """node/stf/margin_steps.py::_summary_regs: from the fold of the positions alone."""
    return [cash_e6, value_e6, b.maintenance_e6, b.initial_e6, convert(b.complete, int256)]


@external
def step(cursor_rlp: Bytes[cursor.MAX_CURSOR], sums: address) -> Bytes[cursor.MAX_CURSOR]:
    """
    @notice The post-cursor of a margin step from the pre-cursor `cursor_rlp`, with the sums of
            `sums` (`margin_sums.vy`), which reads through the caller (`steps_margin.vy`).
    """
    c: cursor.Cursor = cursor.decode_cursor_wide(cursor_rlp)
    regs: DynArray[int256, MAX_WIDE_REGS] = cursor.decode_wide_regs(cursor_rlp)
    assert c.phase == MARGIN or c.phase == MARGIN_FOLD, "margin_machine: not a margin phase"
    assert len(regs) >= 2, "margin_machine: registers"
    assert regs[0] >= 0 and regs[0] < 2**160, "margin_machine: not an address"  # int_address
    owner: address = convert(convert(regs[0], uint160), address)
    query: int256 = regs[1]
    assert query >= INITIAL and query <= SUMMARY, "margin_machine: unknown query"
    stage: int256 = WITH_ORDERS
    if query == SUMMARY:
        stage = POSITIONS_ONLY
    base: uint256 = HEAD_REGS
    first: uint256 = 0
    if c.phase == MARGIN:  # _margin: from the empty accumulator
        regs = margin_fold.start_regs([regs[0], query, stage, 0])
    else:  # _margin_fold: the chunk after `first`
        assert len(regs) >= HEAD_REGS, "margin_machine: registers"
        stage = regs[2]
        assert stage == WITH_ORDERS or stage == POSITIONS_ONLY, "margin_machine: unknown stage"
        assert regs[3] >= 0, "margin_machine: negative series index"
        first = convert(regs[3], uint256)
        if stage == POSITIONS_ONLY and query == INITIAL:
            base += BACKING_REGS

    # _fold_step (or _one_shot: the first chunk is the whole account when it has at most
    # MARGIN_CHUNK series; margin_sums then also folds its positions alone for INITIAL)
    view: margin_fold.AccountView = empty(margin_fold.AccountView)
    b: margin_fold.Backing = empty(margin_fold.Backing)
    value: int256 = 0
    positions_ok: bool = False
    regs, view, b, value, positions_ok = extcall MarginSums(sums).step(
        regs, base, owner, stage == WITH_ORDERS, first, c.phase == MARGIN, query == INITIAL, msg.sender)
    one_shot: bool = c.phase == MARGIN and view.series <= MARGIN_CHUNK
    folded: uint256 = view.series
    if stage == POSITIONS_ONLY:
        folded = view.positions
    results: DynArray[int256, cursor.MAX_REGS] = []
    if not one_shot and first + MARGIN_CHUNK < folded:  # the next chunk in the next step
        regs[3] = convert(first + MARGIN_CHUNK, int256)
    elif query == SUMMARY:
        results = self._summary_regs(view.cash_e6, b, value)
    elif query == BACKING:
        results = self._backing_regs(b)
    elif one_shot:  # margin.initial_failure (positions_ok is read only when it is computed)
        results = [margin_fold.failure_code(view.cash_e6, view.has_orders, b, positions_ok)]
    elif stage == POSITIONS_ONLY:  # an INITIAL query whose backing failed: do the positions alone pass?
        kept: margin_fold.Backing = margin_fold.Backing(
            cash_e6=regs[4], free_cash_e6=regs[5], equity_e6=regs[6], maintenance_e6=regs[7], initial_e6=regs[8],
            complete=regs[9] != 0)
        results = [margin_fold.failure_code(view.cash_e6, view.has_orders, kept, margin_fold.is_ok(b))]
    elif margin_fold.is_ok(b) or view.cash_e6 < 0 or not view.has_orders:  # the positions' verdict is not needed
        results = [margin_fold.failure_code(view.cash_e6, view.has_orders, b, False)]
    else:  # the positions alone next, from their first series, with this backing kept
        head: DynArray[int256, MAX_WIDE_REGS] = [regs[0], query, POSITIONS_ONLY, 0]
        kept_regs: DynArray[int256, cursor.MAX_REGS] = self._backing_regs(b)
        for r: int256 in kept_regs:
            head.append(r)
        regs = margin_fold.start_regs(head)
    if len(results) == 0:
        c.phase = MARGIN_FOLD
        return cursor.encode_cursor_wide(c, regs)
    return cursor.encode_cursor(machine.ret(c, results))
