# pragma version 0.4.3
"""
@title margin_sums
@notice The rules of the margin steps (`fault/lib/margin_fold.vy` and the step logic of
        `node/stf/margin_steps.py`) as a contract of their own, called by
        `margin_machine.vy` (the margin family does not fit one contract): one step over
        the chunk it reads through the family contract, `steps_margin.vy`.
        Every function is a twin of `node/stf/margin_fold.py` or `margin.py` (see the
        library); `fold`, `check_regs`, `known_indices` and `failure_code` also serve the
        differential tests.
"""

import fault.lib.margin_fold as margin_fold

MAX_FOLD_REGS: constant(uint256) = margin_fold.MAX_FOLD_REGS
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


interface MarginReads:
    def chunk(owner: address, with_orders: bool, first: uint256,
              known: DynArray[margin_fold.KnownIndex, margin_fold.MAX_POSITIONS]) -> (
        margin_fold.AccountView, DynArray[margin_fold.Series, MARGIN_CHUNK], int256, int256): nonpayable


@internal
@pure
def _positions_ok(chunk: DynArray[margin_fold.Series, MARGIN_CHUNK], cash_e6: int256) -> bool:
    """
    @notice Whether the positions of `chunk` (a whole account) alone meet initial margin with
            `cash_e6`: margin.py::initial_failure's `meets_initial` of the positions-only account.
    """
    positions: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    for s: margin_fold.Series in chunk:
        if s.position_e6 != 0:  # the series with a position, without their orders
            p: margin_fold.Series = s
            p.ordered = False
            p.bid_size_e6 = 0
            p.bid_notional_e12 = 0
            p.bid_max_e6 = 0
            p.ask_size_e6 = 0
            p.ask_notional_e12 = 0
            p.ask_min_e6 = 0
            positions.append(p)
    sums: DynArray[int256, MAX_FOLD_REGS] = margin_fold.fold_chunk(margin_fold.start_regs([]), 0, positions, 0, 0)
    return margin_fold.is_ok(margin_fold.finish(sums, 0, cash_e6))


@internal
@pure
def _backing_regs(b: margin_fold.Backing) -> DynArray[int256, MAX_RESULTS]:
    """node/stf/margin_steps.py::_backing_regs."""
    return [b.cash_e6, b.free_cash_e6, b.equity_e6, b.maintenance_e6, b.initial_e6, convert(b.complete, int256)]


@external
def step(regs: DynArray[int256, MAX_FOLD_REGS], first_step: bool, reads: address) -> (
        DynArray[int256, MAX_FOLD_REGS], DynArray[int256, MAX_RESULTS], bool):
    """
    @notice One margin step from the running registers `regs` of a `MARGIN` step
            (`first_step`: (address, query)) or a `MARGIN_FOLD` step ((address, query, stage,
            next series, [six kept backing regs], accumulator)): twin of
            node/stf/margin_steps.py::_margin / _margin_fold with _fold_step. Reads the
            account and the chunk through `reads` (`steps_margin.vy::chunk`). Returns the
            registers of the next `MARGIN_FOLD` step, or the results to return with (`done`):
            INITIAL (code,), BACKING (cash, free cash, equity, maintenance, initial,
            complete), SUMMARY (cash, value, maintenance, initial, complete).
    @dev An account of at most MARGIN_CHUNK series is answered in the first step (Python's
         one-shot functions, equal to the fold's `finish`: tests/node/stf/test_margin_fold.py);
         a wider one folds MARGIN_CHUNK series per step. An INITIAL query that fails with
         resting orders then folds the positions alone (stage 1, the stage-0 backing kept)
         to tell INSUFFICIENT_MARGIN from the orders' codes. Reverts ("margin_sums: ...",
         "margin_fold: ...") where Python raises: a query or stage out of range, an address
         over 160 bits, fewer registers than the layout needs, malformed accumulator
         registers.
    """
    assert len(regs) >= 2, "margin_sums: registers"
    assert regs[0] >= 0 and regs[0] < 2**160, "margin_sums: not an address"  # int_address
    owner: address = convert(convert(regs[0], uint160), address)
    query: int256 = regs[1]
    assert query >= INITIAL and query <= SUMMARY, "margin_sums: unknown query"
    stage: int256 = WITH_ORDERS
    if query == SUMMARY:
        stage = POSITIONS_ONLY
    base: uint256 = HEAD_REGS
    first: uint256 = 0
    acc: DynArray[int256, MAX_FOLD_REGS] = []
    if first_step:  # _margin: from the empty accumulator
        acc = margin_fold.start_regs([regs[0], query, stage, 0])
    else:  # _margin_fold: the chunk after `first`
        assert len(regs) >= HEAD_REGS, "margin_sums: registers"
        stage = regs[2]
        assert stage == WITH_ORDERS or stage == POSITIONS_ONLY, "margin_sums: unknown stage"
        assert regs[3] >= 0, "margin_sums: negative series index"
        first = convert(regs[3], uint256)
        if stage == POSITIONS_ONLY and query == INITIAL:
            base += BACKING_REGS
        acc = regs
    margin_fold.check_regs(acc, base)

    # _fold_step (or _one_shot: the first chunk is the whole account when it has at most
    # MARGIN_CHUNK series; then for INITIAL its positions alone are folded too)
    view: margin_fold.AccountView = empty(margin_fold.AccountView)
    chunk: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    maker_fee: int256 = 0
    fee_cap: int256 = 0
    view, chunk, maker_fee, fee_cap = extcall MarginReads(reads).chunk(owner, stage == WITH_ORDERS, first,
                                                                      margin_fold.known_indices(acc, base))
    acc = margin_fold.fold_chunk(acc, base, chunk, maker_fee, fee_cap)
    one_shot: bool = first_step and view.series <= MARGIN_CHUNK
    folded: uint256 = view.series
    if stage == POSITIONS_ONLY:
        folded = view.positions
    if not one_shot and first + MARGIN_CHUNK < folded:  # the next chunk in the next step
        acc[3] = convert(first + MARGIN_CHUNK, int256)
        return acc, [], False
    b: margin_fold.Backing = margin_fold.finish(acc, base, view.cash_e6)
    if query == SUMMARY:  # _summary_regs, from the fold of the positions alone
        return [], [view.cash_e6, margin_fold.value_e6(acc, base), b.maintenance_e6, b.initial_e6,
                    convert(b.complete, int256)], True
    if query == BACKING:
        return [], self._backing_regs(b), True
    if one_shot:  # margin.initial_failure (the positions' verdict only when it is needed)
        positions_ok: bool = False
        if not margin_fold.is_ok(b) and view.cash_e6 >= 0 and view.has_orders:
            positions_ok = self._positions_ok(chunk, view.cash_e6)
        return [], [margin_fold.failure_code(view.cash_e6, view.has_orders, b, positions_ok)], True
    if stage == POSITIONS_ONLY:  # an INITIAL query whose backing failed: do the positions alone pass?
        kept: margin_fold.Backing = margin_fold.Backing(
            cash_e6=acc[4], free_cash_e6=acc[5], equity_e6=acc[6], maintenance_e6=acc[7], initial_e6=acc[8],
            complete=acc[9] != 0)
        return [], [margin_fold.failure_code(view.cash_e6, view.has_orders, kept, margin_fold.is_ok(b))], True
    if margin_fold.is_ok(b) or view.cash_e6 < 0 or not view.has_orders:  # the positions' verdict is not needed
        return [], [margin_fold.failure_code(view.cash_e6, view.has_orders, b, False)], True
    # the positions alone next, from their first series, with this backing kept
    return margin_fold.start_regs([acc[0], query, POSITIONS_ONLY, 0, b.cash_e6, b.free_cash_e6, b.equity_e6,
                                   b.maintenance_e6, b.initial_e6, convert(b.complete, int256)]), [], False


@external
@pure
def fold(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256, chunk: DynArray[margin_fold.Series, MARGIN_CHUNK],
         maker_fee_ppm: int256, fee_cap_ppm: int256,
         cash_e6: int256) -> (DynArray[int256, MAX_FOLD_REGS], margin_fold.Backing, int256, bool):
    """
    @notice The fold of `step` on a given chunk (no reads), for tests: the registers, `finish`,
            the summary's value and (for a chunk that is a whole account) `_positions_ok`.
    """
    margin_fold.check_regs(regs, base)
    out: DynArray[int256, MAX_FOLD_REGS] = margin_fold.fold_chunk(regs, base, chunk, maker_fee_ppm, fee_cap_ppm)
    return out, margin_fold.finish(out, base, cash_e6), margin_fold.value_e6(out, base), self._positions_ok(chunk, cash_e6)


@external
@pure
def check_regs(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256):
    """@notice margin_fold.py::MarginAcc.from_regs's checks on `regs[base:]`."""
    margin_fold.check_regs(regs, base)


@external
@pure
def known_indices(regs: DynArray[int256, MAX_FOLD_REGS],
                  base: uint256) -> DynArray[margin_fold.KnownIndex, margin_fold.MAX_POSITIONS]:
    """@notice The accumulator's underlyings and their indices."""
    return margin_fold.known_indices(regs, base)


@external
@pure
def failure_code(cash_e6: int256, has_orders: bool, b: margin_fold.Backing, positions_ok: bool) -> int256:
    """@notice margin.py::failure_code."""
    return margin_fold.failure_code(cash_e6, has_orders, b, positions_ok)
