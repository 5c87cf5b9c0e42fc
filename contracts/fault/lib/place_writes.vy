# pragma version 0.4.3
"""
@title place_writes
@notice The writes of a fill and of a failed maker: twins of `node/stf/matching.py`'s
        `_write_fill` and `_charge_failed_maker`. Run in the `place_ops.vy` piece.
@dev Sizes, prices, fees and balances e6; `pending` is the registers B + P (matching.vy).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.matching as matching
import fault.lib.accounts as accounts
import fault.lib.orders as orders

uses: (state, accounts, orders)


@internal
def write_fill(taker: address, taker_side: uint256, pending: DynArray[int256, matching.MAX_PLACE_REGS],
               maker: records.Order, taker_positions: DynArray[records.Position, records.MAX_POSITIONS],
               maker_positions: DynArray[records.Position, records.MAX_POSITIONS]):
    """
    @notice Twin of node/stf/matching.py::_write_fill: rule 4's writes for the fill `pending`
            against `maker` (the order as it rests); `taker_positions` / `maker_positions`
            are both sides' positions after the fill (matching.py::_positions_after).
    """
    maker_id: uint256 = convert(pending[matching.MAKER_ID], uint256)
    size: uint256 = convert(pending[matching.SIZE], uint256)
    if pending[matching.CAPPED] != 0 or size == maker.remaining_e6:
        orders.remove_order(maker_id, maker)
    else:
        orders.reduce_order(maker_id, maker, size)
    premium: int256 = convert(matching.premium_e6(convert(pending[matching.PRICE], uint256), size, taker_side), int256)
    taker_cash: int256 = premium
    if taker_side == matching.BUY:
        taker_cash = -premium
    taker_fee: int256 = pending[matching.TAKER_FEE]
    maker_fee: int256 = pending[matching.MAKER_FEE]
    taker_before: records.Account = accounts.load(taker)
    maker_before: records.Account = accounts.load(maker.owner)
    taker_before.positions = taker_positions
    taker_before.balance_e6 += taker_cash - taker_fee
    maker_before.positions = maker_positions
    maker_before.balance_e6 += -taker_cash - maker_fee
    accounts.store(taker, taker_before)
    accounts.store(maker.owner, maker_before)
    accounts.add_fees(convert(taker_fee + maker_fee, uint256))


@internal
def charge_failed_maker(maker_id: uint256, maker: records.Order):
    """
    @notice Twin of node/stf/matching.py::_charge_failed_maker: remove a maker that failed its
            check at fill time and charge it the taker fee on the order's remaining size, at
            most its cash, into the fee pool.
    """
    orders.remove_order(maker_id, maker)
    config: records.Config = accounts.get_config()
    found: bool = False
    mark: records.Mark = empty(records.Mark)
    found, mark = state.get_mark(maker.instrument_id)
    assert found, "steps_place: mark missing"
    fee: uint256 = matching.fill_fee(maker.remaining_e6, maker.price_e6, mark.index_e6, config.taker_fee_ppm,
                                     config.fee_cap_ppm)
    owner: records.Account = accounts.load(maker.owner)
    cash: uint256 = 0
    if owner.balance_e6 > 0:
        cash = convert(owner.balance_e6, uint256)
    charge: uint256 = min(fee, cash)
    if charge != 0:
        owner.balance_e6 -= convert(charge, int256)
        accounts.store(maker.owner, owner)
        accounts.add_fees(charge)
