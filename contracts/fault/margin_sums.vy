# pragma version 0.4.3
"""
@title margin_sums
@notice The rules of the margin steps (`fault/lib/margin_fold.vy` and the step logic of
        `node/stf/margin_steps.py`) as a contract of their own, called by the family
        contract `steps_margin.vy` (the margin family does not fit one contract) with what
        it read: one step over a chunk of series, on the few registers it changes (the
        accumulator's header and the underlyings the chunk touches) and a summary of the
        others. Every function is a twin of `node/stf/margin_fold.py` or `margin.py` (see
        the library; `contracts/test/margin_fold_harness.vy` serves its differential tests).
"""

import fault.lib.margin_fold as margin_fold

MAX_HEAD: constant(uint256) = margin_fold.MAX_HEAD
MAX_POSITIONS: constant(uint256) = margin_fold.MAX_POSITIONS
MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK
MAX_RESULTS: constant(uint256) = 6  # margin_steps.py::BACKING_REGS, the longest answer
# node/stf/margin_steps.py
INITIAL: constant(int256) = 0
BACKING: constant(int256) = 1
SUMMARY: constant(int256) = 2
WITH_ORDERS: constant(int256) = 0
POSITIONS_ONLY: constant(int256) = 1
HEAD_REGS: constant(uint256) = 4  # address, query, stage, next series
BACKING_REGS: constant(uint256) = 6
# `step`'s outcomes
GO_ON: constant(uint256) = 0
RESTART: constant(uint256) = 1
DONE: constant(uint256) = 2


@internal
@pure
def _backing_regs(b: margin_fold.Backing) -> DynArray[int256, MAX_RESULTS]:
    """node/stf/margin_steps.py::_backing_regs."""
    return [b.cash_e6, b.free_cash_e6, b.equity_e6, b.maintenance_e6, b.initial_e6, convert(b.complete, int256)]


@external
@pure
def step(head: DynArray[int256, MAX_HEAD], first_step: bool, count: uint256, view: margin_fold.AccountView,
         chunk: DynArray[margin_fold.Series, MARGIN_CHUNK], maker_fee: int256, fee_cap: int256,
         touched: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK],
         summaries: DynArray[margin_fold.Summary, MAX_POSITIONS]) -> (
        DynArray[int256, MAX_HEAD], DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK], DynArray[int256, MAX_RESULTS],
        uint256):
    """
    @notice One margin step (twin of node/stf/margin_steps.py::_margin / _margin_fold with
            _fold_step) on what `steps_margin.vy` read and checked: `head`, the step's
            registers up to the accumulator's underlyings ((address, query) for a `MARGIN`
            step, `first_step`; else (address, query, stage, next series, [six kept backing
            regs], the accumulator's header)); the account's `view`; the chunk's series from
            the next one with the Config's fee rates; the accumulator's underlyings the chunk
            touches (`touched`, ascending) and a `Summary` of each of its underlyings.
            Returns `(head, merged, results, outcome)`: GO_ON, the next `MARGIN_FOLD`
            step's registers are `head` then the accumulator's underlyings with `merged` (the
            chunk's, ascending) in place of or besides them; RESTART, they are `head` alone
            (the positions-alone stage, from nothing); DONE, return with `results`: INITIAL
            (code,), BACKING (cash, free cash, equity, maintenance, initial, complete),
            SUMMARY (cash, value, maintenance, initial, complete).
    @dev An account of at most MARGIN_CHUNK series is answered in the first step (Python's
         one-shot functions, equal to the fold's `finish`: tests/node/stf/test_margin_fold.py);
         a wider one folds MARGIN_CHUNK series per step. An INITIAL query that fails with
         resting orders then folds the positions alone (stage 1, the stage-0 backing kept)
         to tell INSUFFICIENT_MARGIN from the orders' codes. The registers are checked by
         `steps_margin.vy` (Python's refusals).
    """
    self._check(head, first_step, count, summaries)
    query: int256 = head[1]
    stage: int256 = WITH_ORDERS
    if query == SUMMARY:
        stage = POSITIONS_ONLY
    base: uint256 = HEAD_REGS
    first: uint256 = 0
    acc: DynArray[int256, MAX_HEAD] = []
    if first_step:  # _margin: from the empty accumulator
        acc = self._start([head[0], query, stage, 0])
    else:  # _margin_fold: the chunk after `first`
        stage = head[2]
        first = convert(head[3], uint256)
        if stage == POSITIONS_ONLY and query == INITIAL:
            base += BACKING_REGS
        acc = head
    merged: DynArray[margin_fold.UnderlyingSums, MARGIN_CHUNK] = []
    acc, merged = margin_fold.merge(acc, base, touched, margin_fold.sum_chunk(chunk, maker_fee, fee_cap))
    one_shot: bool = first_step and view.series <= MARGIN_CHUNK
    folded: uint256 = view.series
    if stage == POSITIONS_ONLY:
        folded = view.positions
    if not one_shot and first + MARGIN_CHUNK < folded:  # the next chunk in the next step
        acc[3] = convert(first + MARGIN_CHUNK, int256)
        return acc, merged, [], GO_ON
    b: margin_fold.Backing = margin_fold.finish_with(acc[base] == 1, acc[base + 1], acc[base + 2], acc[base + 3], acc[base + 4],
                                          summaries, merged, view.cash_e6)
    if query == SUMMARY:  # _summary_regs, from the fold of the positions alone
        return [], [], [view.cash_e6, margin_fold.floor_div(acc[base + 1], margin_fold.E6), b.maintenance_e6,
                        b.initial_e6, convert(b.complete, int256)], DONE
    if query == BACKING:
        return [], [], self._backing_regs(b), DONE
    if one_shot:  # margin.initial_failure (the positions' verdict only when it is needed)
        positions_ok: bool = False
        if not margin_fold.is_ok(b) and view.cash_e6 >= 0 and view.has_orders:
            positions_ok = margin_fold.positions_ok(chunk, view.cash_e6)
        return [], [], [margin_fold.failure_code(view.cash_e6, view.has_orders, b, positions_ok)], DONE
    if stage == POSITIONS_ONLY:  # an INITIAL query whose backing failed: do the positions alone pass?
        kept: margin_fold.Backing = margin_fold.Backing(
            cash_e6=acc[4], free_cash_e6=acc[5], equity_e6=acc[6], maintenance_e6=acc[7], initial_e6=acc[8],
            complete=acc[9] != 0)
        return [], [], [margin_fold.failure_code(view.cash_e6, view.has_orders, kept, margin_fold.is_ok(b))], DONE
    if margin_fold.is_ok(b) or view.cash_e6 < 0 or not view.has_orders:  # the positions' verdict is not needed
        return [], [], [margin_fold.failure_code(view.cash_e6, view.has_orders, b, False)], DONE
    # the positions alone next, from their first series, with this backing kept
    return self._start([acc[0], query, POSITIONS_ONLY, 0, b.cash_e6, b.free_cash_e6, b.equity_e6,
                        b.maintenance_e6, b.initial_e6, convert(b.complete, int256)]), [], [], RESTART


@internal
@pure
def _start(head: DynArray[int256, MAX_HEAD]) -> DynArray[int256, MAX_HEAD]:
    """`head` followed by margin_fold.py::start()'s registers (complete, nothing summed)."""
    regs: DynArray[int256, MAX_HEAD] = head
    regs.append(1)
    for _: uint256 in range(margin_fold.HEADER_REGS - 1):
        regs.append(0)
    return regs


@internal
@pure
def _check(head: DynArray[int256, MAX_HEAD], first_step: bool, count: uint256,
           summaries: DynArray[margin_fold.Summary, MAX_POSITIONS]):
    """
    @notice Reverts unless the step's registers are as Python takes them (margin_steps.py,
            MarginAcc.from_regs): `head` as `step` has it, `count` registers in all, the
            accumulator's underlyings summarised in `summaries` (their ids).
    """
    assert count >= 2, "margin_sums: registers"
    assert head[0] >= 0 and head[0] < 2**160, "margin_sums: not an address"  # int_address
    query: int256 = head[1]
    assert query >= INITIAL and query <= SUMMARY, "margin_sums: unknown query"
    if first_step:
        return
    assert count >= HEAD_REGS, "margin_sums: registers"
    stage: int256 = head[2]
    assert stage == WITH_ORDERS or stage == POSITIONS_ONLY, "margin_sums: unknown stage"
    assert head[3] >= 0, "margin_sums: negative series index"
    base: uint256 = HEAD_REGS
    if stage == POSITIONS_ONLY and query == INITIAL:
        base += BACKING_REGS
    assert count >= base + margin_fold.HEADER_REGS, "margin_fold: registers shorter than the header"
    assert head[base] == 0 or head[base] == 1, "margin_fold: bad header"
    underlyings: int256 = head[base + 5]
    assert underlyings >= 0 and underlyings <= convert(MAX_POSITIONS, int256), "margin_fold: bad header"
    assert count == base + margin_fold.HEADER_REGS + convert(underlyings, uint256) * margin_fold.UNDERLYING_REGS, \
        "margin_fold: register count"
    previous: int256 = -1
    for s: margin_fold.Summary in summaries:
        assert s.underlying_id > previous, "margin_fold: underlyings out of order"
        previous = s.underlying_id
