# pragma version 0.4.3
"""
@title oracle_ops
@notice The piece of the oracle family (`steps_oracle.vy`, which DELEGATECALLs it): the
        ORACLE_CHECK and ORACLE_MARK steps (`oracle_steps.step`).
@dev Runs in the entry's context: the entry put the witness in the trie store's pool and
     began the state (`state.begin`); `state` is this contract's only stateful module, all
     transient, so its slots are the entry's. Writes are buffered and applied by
     `state.commit()` at the end of the step; a failing step (outcome FAIL) leaves the
     state as it was (steps.body_step).
"""

import fault.lib.state as state
import fault.lib.oracle_steps as oracle_steps

initializes: state
initializes: oracle_steps[state := state]


@external
def step(pre_root: bytes32, phase: uint256, now: uint256, sender: address, envelope: Bytes[oracle_steps.MAX_TX],
         regs: DynArray[int256, oracle_steps.MAX_ORACLE_REGS], marks: address) -> (bytes32, oracle_steps.Outcome):
    """
    @notice One step of phase `phase` from `pre_root`: (post-root, outcome).
    """
    out: oracle_steps.Outcome = oracle_steps.step(phase, now, sender, envelope, regs, marks)
    if out.action == oracle_steps.FAIL:
        return pre_root, out
    return state.commit(), out
