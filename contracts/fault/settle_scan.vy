# pragma version 0.4.3
"""
@title settle_scan
@notice A piece of the settle family (`steps_settle.vy`, which DELEGATECALLs it):
        the SETTLE and SETTLE_SCAN steps (`settle_steps.scan_step`), with the removal of a resting order (`orders.remove_order`) linked in.
@dev Runs in the entry's context: the entry put the witness in the trie store's pool and
     began the state (`state.begin`); `state` is this contract's only stateful module, all
     transient, so its slots are the entry's. Writes are buffered and applied by
     `state.commit()` at the end of the step; a failing step (outcome FAIL) leaves the
     state as it was (steps.body_step).
"""

import fault.lib.state as state
import fault.lib.matching as matching
import fault.lib.book as book
import fault.lib.accounts as accounts
import fault.lib.orders as orders
import fault.lib.settle_steps as settle_steps

initializes: state
initializes: book[state := state]
initializes: accounts[state := state]
initializes: orders[state := state, book := book, accounts := accounts]
initializes: settle_steps[state := state, accounts := accounts, orders := orders]


@external
def step(pre_root: bytes32, s: settle_steps.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> (bytes32, matching.Outcome):
    """
    @notice One step of phase `s.phase` from `pre_root`: (post-root, outcome).
    """
    out: matching.Outcome = settle_steps.scan_step(s, regs)
    if out.action == matching.FAIL:
        return pre_root, out
    return state.commit(), out
