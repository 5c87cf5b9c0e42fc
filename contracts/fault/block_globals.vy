# pragma version ~=0.4.3
"""
@title block_globals
@notice The one key the block steps touch, Globals (node/stf/keys.py::GLOBALS), as raw
        record bytes: read against a state root through the step's MPT witness, and
        written back (node/stf/derive_steps.py::_block_close's `state.put`). A contract of
        its own, called by the block family (steps_block.vy), so that each contract stays
        under the 24 KB code limit.
@dev The witness nodes go into this contract's transient node pool (trie.vy), which lasts
     for the transaction: `write` after `read` in the same transaction finds the path's
     nodes there. A node missing from the witness reverts ("trie: missing node").
"""

import fault.lib.derive_steps as derive_steps
import fault.lib.keys as keys
import fault.lib.trie as trie

initializes: trie

MAX_NODE: constant(uint256) = 1024  # the Globals path: branches (<= 532 bytes), extensions, the Globals leaf
MAX_NODES: constant(uint256) = 32   # a secure trie of 2**64 keys is ~16 levels deep


@external
def read(pre_root: bytes32, nodes: DynArray[Bytes[MAX_NODE], MAX_NODES]) -> Bytes[derive_steps.GLOBALS_BYTES]:
    """
    @notice The Globals record's bytes under `pre_root` (b"" if absent), after putting the
            witness `nodes` in the pool.
    """
    for node: Bytes[MAX_NODE] in nodes:
        trie.add_node(node)
    return convert(trie.get(pre_root, keys.GLOBALS), Bytes[derive_steps.GLOBALS_BYTES])


@external
def write(root: bytes32, raw: Bytes[derive_steps.GLOBALS_BYTES]) -> bytes32:
    """
    @notice The state root after storing `raw` as the Globals record under `root` (whose
            path's nodes `read` put in the pool earlier in this transaction).
    """
    return trie.put(root, keys.GLOBALS, raw)
