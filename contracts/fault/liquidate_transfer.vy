# pragma version 0.4.3
"""
@title liquidate_transfer
@notice A piece of the liquidation family (`steps_liquidate.vy` DELEGATECALLs it): the steps
        LIQ_MOVE, LIQ_TERMS and LIQ_APPLY (`liquidate_steps.step_transfer`).
@dev Runs in the entry's context (as `liquidate_open.vy`): the state the entry began,
     writes buffered and applied by `state.commit()`; a failing step (outcome FAIL) leaves
     the state as it was (steps.body_step).
"""

import fault.lib.state as state
import fault.lib.accounts as accounts
import fault.lib.liquidate_steps as liquidate_steps

initializes: state
initializes: accounts[state := state]
initializes: liquidate_steps[state := state, accounts := accounts]


@external
def step(pre_root: bytes32, s: liquidate_steps.Step,
         regs: DynArray[int256, liquidate_steps.MAX_LIQ_REGS]) -> (bytes32, liquidate_steps.Outcome):
    """
    @notice One liquidation step of phase `s.phase` from `pre_root`: (post-root, outcome).
    """
    out: liquidate_steps.Outcome = liquidate_steps.step_transfer(s, regs)
    if out.action == liquidate_steps.FAIL:
        return pre_root, out
    return state.commit(), out
