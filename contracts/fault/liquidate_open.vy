# pragma version 0.4.3
"""
@title liquidate_open
@notice A piece of the liquidation family (`steps_liquidate.vy` DELEGATECALLs it): the steps
        LIQUIDATE, LIQ_ASSESS, LIQ_CANCEL and LIQ_BEFORE
        (`liquidate_steps.step_open`; LIQ_CANCEL's removal of an order is `orders.remove_order`,
        here and nowhere else in the family).
@dev Runs in the entry's context: the entry put the witness in the trie store's pool and
     began the state (`state.begin`); `state` is this contract's only stateful module, all
     transient, so its slots are the entry's. Writes are buffered and applied by
     `state.commit()` at the end of the step. A failing step (outcome FAIL) leaves the
     state as it was (steps.body_step).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.orders as orders
import fault.lib.liquidate_steps as liquidate_steps

initializes: state
initializes: book[state := state]
initializes: accounts[state := state]
initializes: orders[state := state, book := book, accounts := accounts]
initializes: liquidate_steps[state := state, accounts := accounts]


@external
def step(pre_root: bytes32, s: liquidate_steps.Step,
         regs: DynArray[int256, liquidate_steps.MAX_LIQ_REGS]) -> (bytes32, liquidate_steps.Outcome):
    """
    @notice One liquidation step of phase `s.phase` from `pre_root`: (post-root, outcome).
    """
    out: liquidate_steps.Outcome = empty(liquidate_steps.Outcome)
    if s.phase == liquidate_steps.LIQ_CANCEL:  # liquidation.py::liquidate_cancel_step
        order_id: uint256 = 0
        order: records.Order = empty(records.Order)
        order_id, order = liquidate_steps.cancel_first(s, regs)
        orders.remove_order(order_id, order)
        out = liquidate_steps.after_cancel(s, regs)
    else:
        out = liquidate_steps.step_open(s, regs)
    if out.action == liquidate_steps.FAIL:
        return pre_root, out
    return state.commit(), out
