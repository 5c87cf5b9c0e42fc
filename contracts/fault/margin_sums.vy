# pragma version 0.4.3
"""
@title margin_sums
@notice The sums of the margin steps (`fault/lib/margin_fold.vy`) as a contract of its own,
        called by `margin_machine.vy` (the margin family does not fit one contract): one
        fold step over the chunk it reads through the family contract, `steps_margin.vy`.
        Every function is a twin of `node/stf/margin_fold.py` or `margin.py` (see the
        library); `fold`, `check_regs`, `known_indices` and `failure_code` also serve the
        differential tests.
"""

import fault.lib.margin_fold as margin_fold

MAX_FOLD_REGS: constant(uint256) = margin_fold.MAX_FOLD_REGS
MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK


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


@external
def step(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256, owner: address, with_orders: bool, first: uint256,
         first_step: bool, initial: bool, reads: address) -> (
        DynArray[int256, MAX_FOLD_REGS], margin_fold.AccountView, margin_fold.Backing, int256, bool):
    """
    @notice One fold step of `margin_machine.vy`: reads the account at `owner` and its chunk
            of series from `first` through `reads` (`steps_margin.vy::chunk`, positions alone
            unless `with_orders`), folds it into the accumulator at `regs[base:]` (checked:
            reverts "margin_fold: ..." unless it is `MarginAcc.to_regs` output), and returns
            the registers, the account's view, and what they give if this was the last
            chunk: `finish`, the summary's value (e6, rounded down) and, for a one-shot
            INITIAL (`first_step` and `initial`, the account has at most MARGIN_CHUNK
            series), whether its positions alone meet initial margin.
    """
    margin_fold.check_regs(regs, base)
    view: margin_fold.AccountView = empty(margin_fold.AccountView)
    chunk: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    maker_fee: int256 = 0
    fee_cap: int256 = 0
    view, chunk, maker_fee, fee_cap = extcall MarginReads(reads).chunk(owner, with_orders, first,
                                                                      margin_fold.known_indices(regs, base))
    out: DynArray[int256, MAX_FOLD_REGS] = margin_fold.fold_chunk(regs, base, chunk, maker_fee, fee_cap)
    positions_ok: bool = False
    if first_step and initial and view.series <= MARGIN_CHUNK:
        positions_ok = self._positions_ok(chunk, view.cash_e6)
    return out, view, margin_fold.finish(out, base, view.cash_e6), margin_fold.value_e6(out, base), positions_ok


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
