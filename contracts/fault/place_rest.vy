# pragma version 0.4.3
"""
@title place_rest
@notice A piece of the place family: the placed order's own writes, which the rule pieces
        DELEGATECALL (`place_ops_call.vy`, at `Step.rest`): its remainder put on the book
        (`orders.rest_order`) and its id taken (`accounts.take_order_id`).
@dev Runs in the caller's context (the state's transient slots, as every piece). Apart from
     `place_ops.vy` (the makers' side: fills, removals) for EIP-170: the book's insertion
     does not fit there with the removals and the fill.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.orders as orders

initializes: state
initializes: book[state := state]
initializes: accounts[state := state]
initializes: orders[state := state, book := book, accounts := accounts]


@external
def rest_order(order_id: uint256, order: records.Order, hint: uint256):
    orders.rest_order(order_id, order, hint)


@external
def take_order_id(order_id: uint256):
    accounts.take_order_id(order_id)
