# pragma version 0.4.3
"""
@title haircut
@notice Socialised loss: the global loss index and the lazy cut of positive balances,
        bit for bit with `node/stf/haircut.py` (its module docstring states the rules
        and why claims never exceed assets).
@dev Amounts in collateral units e6; the loss index is WAD-scaled (LOSS_INDEX_ONE at
     genesis, never below MIN_LOSS_INDEX). Every division is unsigned and floors, or
     rounds up where Python calls `mul_div_up`. Products stay far below 2**256 on any
     reachable state (balances and pools below the collateral's supply, < 2**128;
     indices <= 1e18); checked arithmetic would revert beyond, where Python would not.
"""

from fault.lib import records

LOSS_INDEX_ONE: constant(uint256) = 10**18  # node/stf/haircut.py::LOSS_INDEX_ONE
MIN_LOSS_INDEX: constant(uint256) = 1


@internal
@pure
def apply(account: records.Account, loss_index: uint256) -> records.Account:
    """
    @notice Twin of node/stf/haircut.py::apply: `account` as read at `loss_index`, a
            positive balance b written at r reading as floor(b x R / r), recorded at R.
    """
    if account.balance_e6 <= 0 or account.loss_index == loss_index:
        return account
    out: records.Account = account
    out.balance_e6 = convert(convert(account.balance_e6, uint256) * loss_index // account.loss_index, int256)
    out.loss_index = loss_index
    return out


@internal
@pure
def collect_fees(globals_: records.Globals, fees_e6: uint256) -> records.Globals:
    """
    @notice Twin of node/stf/haircut.py::collect_fees: fees repay unbacked loss first,
            the rest goes to the fee pool.
    """
    out: records.Globals = globals_
    repay: uint256 = min(fees_e6, globals_.unbacked_loss_e6)
    out.unbacked_loss_e6 = globals_.unbacked_loss_e6 - repay
    out.fee_pool_e6 = globals_.fee_pool_e6 + fees_e6 - repay
    return out


@internal
@pure
def on_write(globals_: records.Globals, old_found: bool, old_balance_e6: int256, old_loss_index: uint256,
             new_balance_e6: int256) -> (bool, records.Globals):
    """
    @notice Twin of node/stf/haircut.py::on_write: the Globals after the account stored with
            `old_balance_e6` at `old_loss_index` (absent unless `old_found`) is rewritten with
            `new_balance_e6` at the current index; (False, unchanged) where Python returns
            None. The old account's two fields, not the record: callers hold a whole
            Account, and copying one costs memory and code (`accounts.store`).
    """
    index: uint256 = globals_.loss_index
    old_scaled: uint256 = 0
    cut: uint256 = 0
    if old_found and old_balance_e6 > 0:
        balance: uint256 = convert(old_balance_e6, uint256)
        old_scaled = balance * LOSS_INDEX_ONE // old_loss_index
        if old_loss_index != index:
            cut = balance - balance * index // old_loss_index
    new_scaled: uint256 = 0
    if new_balance_e6 > 0:
        new_scaled = convert(new_balance_e6, uint256) * LOSS_INDEX_ONE // index
    out: records.Globals = globals_
    if cut == 0:
        if new_scaled == old_scaled:
            return False, globals_
        out.scaled_positive_e6 = globals_.scaled_positive_e6 + new_scaled - old_scaled
        return True, out
    out.scaled_positive_e6 = globals_.scaled_positive_e6 + new_scaled - old_scaled
    if cut <= globals_.haircut_due_e6:
        out.haircut_due_e6 = globals_.haircut_due_e6 - cut
        return True, out
    out.haircut_due_e6 = 0  # what exceeds the due is rounding dust, routed like fees
    return True, self.collect_fees(out, cut - globals_.haircut_due_e6)


@internal
@pure
def socialise(globals_: records.Globals, loss_e6: uint256) -> records.Globals:
    """
    @notice Twin of node/stf/haircut.py::socialise (the caller sets the other fields that
            change with it first): the loss index falls by ceil(L x 1e18 / U), at most to
            MIN_LOSS_INDEX, placing L (or what that fall can carry) on the positive
            balances; the rest is unbacked.
    """
    index: uint256 = globals_.loss_index
    scaled: uint256 = globals_.scaled_positive_e6
    placed: uint256 = loss_e6
    drop: uint256 = 0
    if scaled == 0:
        placed = 0
    elif loss_e6 != 0:
        product: uint256 = loss_e6 * LOSS_INDEX_ONE
        drop = product // scaled
        if drop * scaled != product:
            drop += 1
        if drop > index - MIN_LOSS_INDEX:
            drop = index - MIN_LOSS_INDEX
            placed = min(drop * scaled // LOSS_INDEX_ONE, loss_e6)
    out: records.Globals = globals_
    out.loss_index = index - drop
    out.haircut_due_e6 = globals_.haircut_due_e6 + placed
    out.unbacked_loss_e6 = globals_.unbacked_loss_e6 + loss_e6 - placed
    return out


@internal
@pure
def cover(globals_: records.Globals, deficit_e6: uint256) -> records.Globals:
    """
    @notice The Globals of node/stf/solvency.py::cover_deficit for a deficit > 0: the
            insurance fund pays first, then the fee pool, the rest is socialised.
    """
    from_insurance: uint256 = min(deficit_e6, globals_.insurance_fund_e6)
    from_fees: uint256 = min(deficit_e6 - from_insurance, globals_.fee_pool_e6)
    out: records.Globals = globals_
    out.insurance_fund_e6 = globals_.insurance_fund_e6 - from_insurance
    out.fee_pool_e6 = globals_.fee_pool_e6 - from_fees
    return self.socialise(out, deficit_e6 - from_insurance - from_fees)
