# pragma version ~=0.4.3
"""
@title block_rules
@notice The block steps' rules (lib/derive_steps.vy) with the step's L1 inputs opened
        (lib/step_inputs.vy), as a contract of its own: the block family (steps_block.vy)
        calls it, so that each contract stays under the 24 KB code limit.
@dev Stateless (no constructor): the family passes the L1 contracts' addresses it was
     deployed with. Reverts only on an invalid proof (the libraries' prefixes).
"""

import fault.lib.batch_data as batch_data
import fault.lib.derive_steps as derive_steps
import fault.lib.step_inputs as step_inputs


@external
@view
def step(p: derive_steps.Position, tip: derive_steps.Tip, inputs: Bytes[batch_data.MAX_INPUTS], inbox: address,
         portal: address, forced_queue: address) -> (derive_steps.Result, derive_steps.Tip):
    """
    @notice The block step at `p` (NEXT_TX, BLOCK_OPEN or BLOCK_CLOSE) with Globals' block
            fields `tip` (read by BLOCK_OPEN): the step's result and the block fields after it
            (BLOCK_CLOSE writes them; the other steps return `tip`).
    """
    assert len(p.outer) > derive_steps.BATCH, "block_rules: no batch register"
    o: step_inputs.Opened = step_inputs.open(
        inputs, convert(p.outer[derive_steps.BATCH], uint256), inbox, portal, forced_queue)
    if p.phase == derive_steps.NEXT_TX:
        return derive_steps.next_tx(p, o, inputs), tip
    if p.phase == derive_steps.BLOCK_OPEN:
        return derive_steps.block_open(p, tip, o, inputs), tip
    assert p.phase == derive_steps.BLOCK_CLOSE, "block_rules: not a block phase"
    return derive_steps.block_close(p)
