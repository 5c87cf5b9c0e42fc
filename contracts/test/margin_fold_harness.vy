# pragma version 0.4.3
"""
@title margin_fold test harness
@notice Exposes `fault/lib/margin_fold.vy` externally for the differential tests against
        `node/stf/margin_fold.py`. Not deployed outside tests.
"""

import fault.lib.margin_fold as margin_fold


@external
@pure
def fold_chunk(regs: DynArray[int256, margin_fold.MAX_FOLD_REGS], base: uint256,
               chunk: DynArray[margin_fold.Series, margin_fold.MARGIN_CHUNK], maker_fee_ppm: int256,
               fee_cap_ppm: int256) -> DynArray[int256, margin_fold.MAX_FOLD_REGS]:
    margin_fold.check_regs(regs, base)
    return margin_fold.fold_chunk(regs, base, chunk, maker_fee_ppm, fee_cap_ppm)


@external
@pure
def check_regs(regs: DynArray[int256, margin_fold.MAX_FOLD_REGS], base: uint256):
    margin_fold.check_regs(regs, base)


@external
@pure
def known_indices(regs: DynArray[int256, margin_fold.MAX_FOLD_REGS],
                  base: uint256) -> DynArray[margin_fold.KnownIndex, margin_fold.MAX_POSITIONS]:
    return margin_fold.known_indices(regs, base)


@external
@pure
def finish(regs: DynArray[int256, margin_fold.MAX_FOLD_REGS], base: uint256,
           cash_e6: int256) -> (margin_fold.Backing, int256):
    margin_fold.check_regs(regs, base)
    return margin_fold.finish(regs, base, cash_e6), margin_fold.value_e6(regs, base)


@external
@pure
def failure_code(cash_e6: int256, has_orders: bool, b: margin_fold.Backing, positions_ok: bool) -> int256:
    return margin_fold.failure_code(cash_e6, has_orders, b, positions_ok)
