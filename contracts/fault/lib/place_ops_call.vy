# pragma version 0.4.3
"""
@title place_ops_call
@notice The book and account writes of the place family, run by DELEGATECALL in the piece
        at `ops` (the entry's, fixed at deployment, passed in `Step.ops`: `place_ops.vy`;
        `Step.rest` for `rest_order`: `place_rest.vy`): each wrapper has the effect of the
        function it names there (`orders.vy`, `place_writes.vy`).
@dev A DELEGATECALL runs in the caller's context, so the piece reads and writes the same
     state (base root, write buffer: `state`'s transient slots, the same in every piece). A revert in the piece reverts here.
"""

import fault.lib.records as records
import fault.lib.matching as matching

WRITE_FILL_ID: constant(bytes4) = method_id(
    "write_fill(address,uint256,int256[],(address,uint256,uint256,uint256,uint256,bool,uint256,uint256,uint256,uint256),(uint256,int256)[],(uint256,int256)[])",
    output_type=bytes4)
CHARGE_ID: constant(bytes4) = method_id(
    "charge_failed_maker(uint256,(address,uint256,uint256,uint256,uint256,bool,uint256,uint256,uint256,uint256))",
    output_type=bytes4)
REMOVE_ID: constant(bytes4) = method_id(
    "remove_order(uint256,(address,uint256,uint256,uint256,uint256,bool,uint256,uint256,uint256,uint256))",
    output_type=bytes4)
TAKE_ID: constant(bytes4) = method_id("take_order_id(uint256)", output_type=bytes4)
REST_ID: constant(bytes4) = method_id(
    "rest_order(uint256,(address,uint256,uint256,uint256,uint256,bool,uint256,uint256,uint256,uint256),uint256)",
    output_type=bytes4)


@internal
def write_fill(ops: address, taker: address, taker_side: uint256, pending: DynArray[int256, matching.MAX_PLACE_REGS],
               maker: records.Order, taker_positions: DynArray[records.Position, records.MAX_POSITIONS],
               maker_positions: DynArray[records.Position, records.MAX_POSITIONS]):
    raw_call(ops, abi_encode(taker, taker_side, pending, maker, taker_positions, maker_positions,
                             method_id=WRITE_FILL_ID), is_delegate_call=True)


@internal
def charge_failed_maker(ops: address, maker_id: uint256, maker: records.Order):
    raw_call(ops, abi_encode(maker_id, maker, method_id=CHARGE_ID), is_delegate_call=True)


@internal
def remove_order(ops: address, order_id: uint256, order: records.Order):
    raw_call(ops, abi_encode(order_id, order, method_id=REMOVE_ID), is_delegate_call=True)


@internal
def rest_order(ops: address, order_id: uint256, order: records.Order, hint: uint256):
    raw_call(ops, abi_encode(order_id, order, hint, method_id=REST_ID), is_delegate_call=True)


@internal
def take_order_id(ops: address, order_id: uint256):
    raw_call(ops, abi_encode(order_id, method_id=TAKE_ID), is_delegate_call=True)
