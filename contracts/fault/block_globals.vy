# pragma version 0.4.3
"""
@title block_globals
@notice The block steps' state side: Globals read and written through the state
        (lib/state.vy) around the rules (`block_rules.vy`, STATICCALLed): the piece the block
        family (steps_block.vy) DELEGATECALLs, so that each contract stays under EIP-170's
        24 KB code limit (the record codec and the state are ~12 KB of code).
@dev `run` runs in the family's context (DELEGATECALL): `state`'s slots are transient and
     the same in every contract initializing the module, so it reads and writes the state
     the family began (its witness in the trie store's pool) and commits the step's writes.
     Reverts only on an invalid proof (the libraries' prefixes).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.batch_data as batch_data
import fault.lib.derive_steps as derive_steps

initializes: state


interface BlockRules:
    def step(p: derive_steps.Position, tip: derive_steps.Tip, inputs: Bytes[batch_data.MAX_INPUTS], inbox: address,
             portal: address, forced_queue: address) -> (derive_steps.Result, derive_steps.Tip): view


@external
def run(p: derive_steps.Position, inputs: Bytes[batch_data.MAX_INPUTS], rules: address, inbox: address,
        portal: address, forced_queue: address) -> (bytes32, derive_steps.Result):
    """
    @notice The block step at `p` on the state the caller began (DELEGATECALL): Globals read
            (BLOCK_OPEN, BLOCK_CLOSE: `_block_open`'s and `_block_close`'s
            `state.get(keys.GLOBALS)`), the rules (`rules`: block_rules.vy, on the L1
            contracts `inbox`, `portal`, `forced_queue`), Globals' block fields replaced and
            put (BLOCK_CLOSE: `replace(globals_, ...)`, `state.put`), the writes committed
            (`state.commit_block()`): the post-root and the step's result.
    """
    g: records.Globals = empty(records.Globals)
    if p.phase != derive_steps.NEXT_TX:  # NEXT_TX reads no state
        found: bool = False
        found, g = state.get_globals()
        assert found, "block_globals: no Globals"  # Python reads them after genesis only
    r: derive_steps.Result = empty(derive_steps.Result)
    tip: derive_steps.Tip = empty(derive_steps.Tip)
    r, tip = staticcall BlockRules(rules).step(
        p, derive_steps.Tip(last_block_number=g.last_block_number, last_block_time=g.last_block_time,
                            next_deposit_index=g.next_deposit_index, next_forced_index=g.next_forced_index),
        inputs, inbox, portal, forced_queue)
    if p.phase == derive_steps.BLOCK_CLOSE:
        g.last_block_number = tip.last_block_number
        g.last_block_time = tip.last_block_time
        g.next_deposit_index = tip.next_deposit_index
        g.next_forced_index = tip.next_forced_index
        state.put_globals(g)
    return state.commit(), r
