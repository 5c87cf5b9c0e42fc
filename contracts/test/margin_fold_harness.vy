# pragma version 0.4.3
"""
@title margin_fold_harness
@notice `fault/lib/margin_fold.vy` as a contract, for its differential tests
        (`tests/fault/test_margin_vyper.py`): a fold over whole register arrays through the
        functions the margin steps run (`sum_chunk`, `merge`, `finish_of` through
        `finish`, `positions_ok`), the registers' checks, the known indices and the
        verdict.
"""

import fault.lib.margin_fold as margin_fold

MAX_FOLD_REGS: constant(uint256) = margin_fold.MAX_FOLD_REGS
MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK


@external
@pure
def fold(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256, chunk: DynArray[margin_fold.Series, MARGIN_CHUNK],
         maker_fee_ppm: int256, fee_cap_ppm: int256,
         cash_e6: int256) -> (DynArray[int256, MAX_FOLD_REGS], margin_fold.Backing, int256, bool):
    """
    @notice The registers after `chunk` is folded into the accumulator at `regs[base:]`,
            `finish` of them, the summary's value and (for a chunk that is a whole account)
            whether its positions alone pass.
    """
    margin_fold.check_regs(regs, base)
    out: DynArray[int256, MAX_FOLD_REGS] = margin_fold.fold_chunk(regs, base, chunk, maker_fee_ppm, fee_cap_ppm)
    return (out, margin_fold.finish(out, base, cash_e6), margin_fold.value_e6(out, base),
            margin_fold.positions_ok(chunk, cash_e6))


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
