# pragma version 0.4.3
"""
@title place_ops
@notice A piece of the place family: the book and account writes (`orders.vy`,
        `place_writes.vy`) that the rule pieces DELEGATECALL (`place_ops_call.vy`), and that
        the account family DELEGATECALLs to remove an order (`remove_order`).
@dev Runs in the caller's context: the state (base root, write buffer) is the caller's
     (`state`, all transient, is the only stateful module of every piece). Nothing here
     commits: the rule piece that called commits the step's writes.
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

