# pragma version ~=0.4.3
"""
@title block_tip
@notice The Globals record's block fields (last block number and time, queue positions:
        `derive_steps.Tip`) read from its bytes, and its bytes with them replaced
        (node/stf/derive_steps.py::_block_close's `replace(globals_, ...)` then `encode`),
        with the record codec of lib/records.vy. A contract of its own, called by the block
        family (steps_block.vy), so that each contract stays under the 24 KB code limit.
@dev Decoding reverts on bytes that are not a canonical Globals record (records.vy), which
     no state the STF reached holds.
"""

import fault.lib.derive_steps as derive_steps
import fault.lib.records as records


@internal
@pure
def _tip(g: records.Globals) -> derive_steps.Tip:
    return derive_steps.Tip(
        last_block_number=g.last_block_number, last_block_time=g.last_block_time,
        next_deposit_index=g.next_deposit_index, next_forced_index=g.next_forced_index)


@external
@pure
def tip_of(raw: Bytes[derive_steps.GLOBALS_BYTES]) -> derive_steps.Tip:
    """
    @notice The block fields of the Globals record `raw`.
    """
    return self._tip(records.decode_globals(raw))


@external
@pure
def with_tip(raw: Bytes[derive_steps.GLOBALS_BYTES], tip: derive_steps.Tip) -> Bytes[derive_steps.GLOBALS_BYTES]:
    """
    @notice The Globals record `raw` with its block fields set to `tip`, the others kept.
    """
    g: records.Globals = records.decode_globals(raw)
    g.last_block_number = tip.last_block_number
    g.last_block_time = tip.last_block_time
    g.next_deposit_index = tip.next_deposit_index
    g.next_forced_index = tip.next_forced_index
    return convert(records.encode_globals(g), Bytes[derive_steps.GLOBALS_BYTES])
