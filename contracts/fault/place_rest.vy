# pragma version 0.4.3
"""
@title place_rest
@notice A piece of the place family: an order's remainder put on the book
        (`orders.rest_order`), which the matching piece DELEGATECALLs (`place_ops_call.vy`,
        at `Step.rest`).
@dev Runs in the caller's context (the state's transient slots, as every piece). Apart from
     `place_ops.vy` for EIP-170: the book's insertion (`book.append_order`) does not fit
     there with the removals and the fill.
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
