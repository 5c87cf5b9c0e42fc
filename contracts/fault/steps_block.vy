# pragma version ~=0.4.3
"""
@title steps_block
@notice The block family on L1: `NEXT_TX` (3), `BLOCK_OPEN` (100) and `BLOCK_CLOSE` (101),
        twins of node/stf/derive_steps.py's `_next_tx`, `_block_open` and `_block_close`
        (each followed by `state.commit_block()`, as the prover's trace runs them).
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface: `nodes` is the step's
     MPT witness (BLOCK_OPEN reads Globals, BLOCK_CLOSE reads and writes them, NEXT_TX
     touches no state), `inputs` its L1 inputs (prover/l1/inputs_codec.py): batch pieces
     and queue entries, opened against the inbox record of the cursor's batch
     (`outer[BATCH]`) and the queues' stored hashes, read from the contracts fixed at
     deployment (step_inputs.vy). The rules are in lib/derive_steps.vy.
     Reverts ("steps_block: ...", or a library's prefix) only on an invalid proof or a
     cursor no reachable state has.
"""

import fault.lib.batch_data as batch_data
import fault.lib.cursor as cursor
import fault.lib.derive_steps as derive_steps
import fault.lib.records as records
import fault.lib.state as state
import fault.lib.step_inputs as step_inputs
import fault.lib.trie as trie

initializes: trie
initializes: state[trie := trie]

MAX_NODE: constant(uint256) = trie.MAX_NODE
MAX_NODES: constant(uint256) = 32  # the Globals path: a trie of 2**64 keys is 16 levels deep
MAX_INPUTS: constant(uint256) = batch_data.MAX_INPUTS

INBOX: public(immutable(address))
PORTAL: public(immutable(address))
FORCED_QUEUE: public(immutable(address))


@deploy
def __init__(inbox: address, portal: address, forced_queue: address):
    """
    @param inbox BatchInbox (batch records), portal Portal (deposit hashes),
           forced_queue ForcedInclusion (forced-transaction hashes).
    """
    assert inbox != empty(address) and portal != empty(address) and forced_queue != empty(address), \
        "steps_block: zero address"
    INBOX = inbox
    PORTAL = portal
    FORCED_QUEUE = forced_queue
    trie.__init__()
    state.__init__()


@internal
@view
def _tip(g: records.Globals) -> derive_steps.Tip:
    return derive_steps.Tip(
        last_block_number=g.last_block_number, last_block_time=g.last_block_time,
        next_deposit_index=g.next_deposit_index, next_forced_index=g.next_forced_index)


@internal
@pure
def _post(c: cursor.Cursor, r: derive_steps.Result) -> cursor.Cursor:
    """
    @notice The post-cursor: a fresh cursor (`Cursor(phase, block, time, tx_index, outer,
            tx)`) or `c` with a new phase and outer registers (`cursor._replace`).
    """
    if not r.fresh:
        d: cursor.Cursor = c
        d.phase = r.phase
        d.outer = r.outer
        return d
    return cursor.Cursor(
        phase=r.phase, block=r.block, time=r.time, tx_index=r.tx_index, outer=r.outer, tx=r.tx,
        sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_NODE], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One block step: `(post_root, post_cursor)`.
    """
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    assert len(c.outer) > derive_steps.BATCH, "steps_block: no batch register"
    o: step_inputs.Opened = step_inputs.open(
        inputs, convert(c.outer[derive_steps.BATCH], uint256), INBOX, PORTAL, FORCED_QUEUE)
    p: derive_steps.Position = derive_steps.Position(
        phase=c.phase, block=c.block, time=c.time, tx_index=c.tx_index, outer=c.outer)
    if c.phase == derive_steps.NEXT_TX:
        return pre_root, cursor.encode_cursor(self._post(c, derive_steps.next_tx(p, o, inputs)))
    for node: Bytes[MAX_NODE] in nodes:
        trie.add_node(node)
    state.begin(pre_root)
    g: records.Globals = state.get_globals()
    if c.phase == derive_steps.BLOCK_OPEN:
        return pre_root, cursor.encode_cursor(self._post(c, derive_steps.block_open(p, self._tip(g), o, inputs)))
    assert c.phase == derive_steps.BLOCK_CLOSE, "steps_block: not a block phase"
    r: derive_steps.Result = empty(derive_steps.Result)
    tip: derive_steps.Tip = empty(derive_steps.Tip)
    r, tip = derive_steps.block_close(p)
    g.last_block_number = tip.last_block_number
    g.last_block_time = tip.last_block_time
    g.next_deposit_index = tip.next_deposit_index
    g.next_forced_index = tip.next_forced_index
    state.put_globals(g)
    return state.root(), cursor.encode_cursor(self._post(c, r))
