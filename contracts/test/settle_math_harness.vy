# pragma version 0.4.3
"""
@title settle_math and haircut test harness
@notice Exposes `fault/lib/settle_math.vy` and `fault/lib/haircut.vy` externally for the
        differential tests against `node/stf/settlement.py` and `node/stf/haircut.py`.
        Not deployed outside tests.
"""

from fault.lib import records
import fault.lib.settle_math as settle_math
import fault.lib.haircut as haircut


@external
@pure
def accumulate_expiry(index_e6: uint256, oracle_time: uint256, now: uint256, expiry: uint256,
                      record: records.SettlementPrice) -> (bool, records.SettlementPrice, bool):
    return settle_math.accumulate_expiry(index_e6, oracle_time, now, expiry, record)


@external
@pure
def settle_cash(size_e6: int256, intrinsic: uint256) -> (int256, uint256, uint256):
    return settle_math.settle_cash(size_e6, intrinsic)


@external
@pure
def apply(balance_e6: int256, written_at: uint256, loss_index: uint256) -> (int256, uint256):
    account: records.Account = empty(records.Account)
    account.balance_e6 = balance_e6
    account.loss_index = written_at
    out: records.Account = haircut.apply(account, loss_index)
    return out.balance_e6, out.loss_index


@external
@pure
def on_write(globals_: records.Globals, old_found: bool, old_balance_e6: int256, old_loss_index: uint256,
             new_balance_e6: int256) -> (bool, records.Globals):
    return haircut.on_write(globals_, old_found, old_balance_e6, old_loss_index, new_balance_e6)


@external
@pure
def socialise(globals_: records.Globals, loss_e6: uint256) -> records.Globals:
    return haircut.socialise(globals_, loss_e6)


@external
@pure
def collect_fees(globals_: records.Globals, fees_e6: uint256) -> records.Globals:
    return haircut.collect_fees(globals_, fees_e6)


@external
@pure
def cover(globals_: records.Globals, deficit_e6: uint256) -> records.Globals:
    return haircut.cover(globals_, deficit_e6)
