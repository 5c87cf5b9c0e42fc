# pragma version 0.4.3
"""
@title oracle_marks
@notice A series' Mark as a stateless contract: `oracle_math.compute_mark` (twin of
        `node/stf/oracle.py::compute_mark`) behind an external call, so the step families
        that mark a series (ORACLE_MARK, and a listing on an underlying with an index)
        stay under the 24 KB code limit: the option math alone is about 9 KB. The oracle
        family's piece also reads its OracleUpdate here (`oracle_update`: the envelope
        decoder is ~4.5 KB more than that piece has room for).
@dev Deployed once; its address is a constructor argument of the families that call it.
"""

from fault.lib import records
import fault.lib.oracle_math as oracle_math
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types


@external
@pure
def compute_mark(strike_e6: uint256, expiry: uint256, is_call: bool, underlying_id: uint256, index_e6: uint256,
                 points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS], rate_e6: int256,
                 now: uint256, settlement_price_e6: uint256) -> (bool, records.Mark):
    """
    @notice `oracle_math.compute_mark`: (False, empty) where Python raises a math-domain
            error (the step then fails with FIELD_OUT_OF_RANGE).
    """
    return oracle_math.compute_mark(strike_e6, expiry, is_call, underlying_id, index_e6, points, rate_e6, now,
                                    settlement_price_e6)


@external
@pure
def oracle_update(envelope: Bytes[tx_codec.MAX_TX_BYTES]) -> tx_types.OracleUpdate:
    """
    @notice The OracleUpdate body of `envelope` (node/stf/steps.py::tx_of); reverts unless it
            is a valid OracleUpdate envelope (a body step's cursor carries one TX_START accepted).
    """
    return tx_codec.oracle_update(tx_codec.body(envelope, tx_types.ORACLE_UPDATE))
