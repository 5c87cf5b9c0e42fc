# pragma version ~=0.4.3
"""
@title block steps' rules test harness
@notice Exposes contracts/fault/lib/derive_steps.vy (with the step's inputs opened by
        step_inputs.vy against an L1 at `l1`, one address answering as inbox, portal and
        forced queue) for the differential tests against node/stf/derive_steps.py. Not
        deployed outside tests.
"""

import fault.lib.batch_data as batch_data
import fault.lib.derive_steps as derive_steps
import fault.lib.step_inputs as step_inputs


@external
@view
def step(p: derive_steps.Position, tip: derive_steps.Tip, inputs: Bytes[batch_data.MAX_INPUTS], l1: address) -> (
    derive_steps.Result, derive_steps.Tip
):
    o: step_inputs.Opened = step_inputs.open(inputs, convert(p.outer[derive_steps.BATCH], uint256), l1, l1, l1)
    if p.phase == derive_steps.BLOCK_OPEN:
        return derive_steps.block_open(p, tip, o, inputs), tip
    if p.phase == derive_steps.NEXT_TX:
        return derive_steps.next_tx(p, o, inputs), tip
    assert p.phase == derive_steps.BLOCK_CLOSE, "harness: not a block step"
    return derive_steps.block_close(p)
