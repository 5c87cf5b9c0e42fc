# pragma version 0.4.3
"""
@title settle_math
@notice The pure arithmetic of expiry settlement, bit for bit with
        `node/stf/settlement.py`: the settlement-price TWAP an oracle update accumulates
        (`accumulate_expiry`) and the cash a settled position moves (`settle_cash`; the
        intrinsic value is `oracle_math.intrinsic_e6`).
@dev Prices e6 (collateral units per unit of underlying), sizes contracts e6 (signed:
     negative = short), times unix seconds. A TWAP window holds at most
     SETTLEMENT_WINDOW seconds, so `index_seconds` stays below 1e15 x 1800.
     `settle_cash` multiplies a position by an intrinsic value (both below 2**128 on any
     reachable state: sizes are sums of fills of at most 1e15, prices at most 1e15);
     checked arithmetic reverts beyond, where Python's integers would not.
"""

from fault.lib import records

SETTLEMENT_WINDOW: constant(uint256) = 1800  # node/stf/settlement.py::SETTLEMENT_WINDOW
E6: constant(uint256) = 10**6


@internal
@pure
def accumulate_expiry(index_e6: uint256, oracle_time: uint256, now: uint256, expiry: uint256,
                      record: records.SettlementPrice) -> (bool, records.SettlementPrice, bool):
    """
    @notice Twin of node/stf/settlement.py::accumulate_expiry without the state: the
            underlying's index before the update (`index_e6`, held since `oracle_time`),
            the update's block time `now`, the expiry, and the stored record (an empty one
            if absent: Python's `SettlementPrice()` default).
    @return (write, new record, added): `write` if the record is to be stored (else it is
            left as it is, present or absent); `added` is Python's return value (seconds
            added without fixing the price, `now < expiry`).
    """
    if index_e6 == 0:
        return False, record, False
    start: uint256 = oracle_time
    if expiry >= SETTLEMENT_WINDOW:
        start = max(oracle_time, expiry - SETTLEMENT_WINDOW)
    end: uint256 = min(now, expiry)
    if end <= start and now < expiry:
        return False, record, False  # window not open yet
    if record.price_e6 != 0:
        return False, record, False  # final
    out: records.SettlementPrice = record
    if end > start:
        seconds: uint256 = end - start
        out = records.SettlementPrice(
            index_seconds=record.index_seconds + index_e6 * seconds, seconds=record.seconds + seconds, price_e6=0)
    if now >= expiry:
        if out.seconds != 0:
            out.price_e6 = out.index_seconds // out.seconds
        else:
            out.price_e6 = index_e6
    return True, out, now < expiry


@internal
@pure
def settle_cash(size_e6: int256, intrinsic: uint256) -> (int256, uint256, uint256):
    """
    @notice The cash of node/stf/settlement.py::settle_position_step for a position of
            `size_e6` (non-zero) at `intrinsic` per contract: a long receives
            floor(size x intrinsic / 1e6) from the pool, a short pays
            ceil(|size| x intrinsic / 1e6) into it.
    @return (amount, paid_in, paid_out): the signed cash to the account and what the
            pool's two counters (`Globals.settlement_paid_in_e6` / `_out_e6`) grow by.
    """
    if size_e6 > 0:
        out: uint256 = convert(size_e6, uint256) * intrinsic // E6
        return convert(out, int256), 0, out
    product: uint256 = convert(-size_e6, uint256) * intrinsic
    paid: uint256 = product // E6
    if paid * E6 != product:
        paid += 1
    return -convert(paid, int256), paid, 0
