# pragma version 0.4.3
"""
@title place_ops
@notice A piece of the place family: the book and account writes (`orders.vy`,
        `place_writes.vy`) that the rule pieces DELEGATECALL (`place_ops_call.vy`), and the
        BODY of a CancelOrder, which the entry DELEGATECALLs.
@dev Runs in the entry's context: the state (base root, write buffer) is the entry's
     (`state`, all transient, is the only stateful module of every piece). `cancel` runs
     after the entry's `state.begin` and commits the step's writes.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.matching as matching
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.orders as orders
import fault.lib.place_writes as place_writes

initializes: state
initializes: book[state := state]
initializes: accounts[state := state]
initializes: orders[state := state, book := book, accounts := accounts]
initializes: place_writes[state := state, accounts := accounts, orders := orders]

OK: constant(uint256) = 0  # errors.FailureCode.OK


@external
def write_fill(taker: address, taker_side: uint256, pending: DynArray[int256, matching.MAX_PLACE_REGS],
               maker: records.Order, taker_positions: DynArray[records.Position, records.MAX_POSITIONS],
               maker_positions: DynArray[records.Position, records.MAX_POSITIONS]):
    place_writes.write_fill(taker, taker_side, pending, maker, taker_positions, maker_positions)


@external
def charge_failed_maker(maker_id: uint256, maker: records.Order):
    place_writes.charge_failed_maker(maker_id, maker)


@external
def remove_order(order_id: uint256, order: records.Order):
    orders.remove_order(order_id, order)


@external
def rest_order(order_id: uint256, order: records.Order, hint: uint256):
    orders.rest_order(order_id, order, hint)


@external
def cancel(pre_root: bytes32, sender: address, body: matching.CancelOrder) -> bytes32:
    """
    @notice The BODY of a CancelOrder (machine.py::run_body in `_in_one_call`): the post-root;
            a failed cancel (UNKNOWN_ORDER, NOT_ORDER_OWNER) writes nothing.
    """
    if orders.cancel_order(sender, body.order_id, body.client_order_id) != OK:
        return pre_root
    return state.commit()
