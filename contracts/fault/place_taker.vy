# pragma version 0.4.3
"""
@title place_taker
@notice A piece of the place family (`steps_place.vy`, which DELEGATECALLs it): TAKER_BEFORE
        (`place_steps.step_taker`): the fill written again when it reduced the taker's risk,
        or outcome MATCH_AGAIN (nothing written: the entry goes on with `place_match.vy`).
@dev Runs in the entry's context: the entry put the witness in the trie store's pool and
     began the state (`state.begin`); `state` is this contract's only stateful module, all
     transient, so its slots are the entry's. Writes are buffered and applied by
     `state.commit()` at the end of the step. A
     failing step (outcome FAIL) leaves the state as it was (steps.body_step).
"""

import fault.lib.state as state
import fault.lib.matching as matching
import fault.lib.accounts as accounts
import fault.lib.place_steps as place_steps

initializes: state
initializes: accounts[state := state]
initializes: place_steps[state := state, accounts := accounts]


@external
def step(pre_root: bytes32, s: matching.Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> (bytes32, matching.Outcome):
    """
    @notice One step of place phase `s.phase` from `pre_root`: (post-root, outcome).
    """
    out: matching.Outcome = place_steps.step_taker(s, regs)
    if out.action == matching.FAIL:
        return pre_root, out
    return state.commit(), out
