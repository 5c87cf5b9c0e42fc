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
     (`outer[BATCH]`) and the queues' stored hashes, read from the L1 contracts fixed at
     deployment.
     Four contracts, each under the 24 KB code limit: this one (the cursor codec),
     block_rules.vy (the rules, lib/derive_steps.vy, with the inputs opened),
     block_globals.vy (the Globals record's bytes in the state trie) and block_tip.vy (its
     block fields, with the record codec).
     Reverts (with a library's or contract's prefix) only on an invalid proof or a cursor
     no reachable state has.
"""

import fault.lib.batch_data as batch_data
import fault.lib.cursor as cursor
import fault.lib.derive_steps as derive_steps


interface BlockRules:
    def step(p: derive_steps.Position, tip: derive_steps.Tip, inputs: Bytes[batch_data.MAX_INPUTS], inbox: address,
             portal: address, forced_queue: address) -> (derive_steps.Result, derive_steps.Tip): view


interface BlockGlobals:
    def read(pre_root: bytes32, nodes: DynArray[Bytes[MAX_NODE], MAX_NODES]) -> Bytes[derive_steps.GLOBALS_BYTES]: nonpayable
    def write(root: bytes32, raw: Bytes[derive_steps.GLOBALS_BYTES]) -> bytes32: nonpayable


interface BlockTip:
    def tip_of(raw: Bytes[derive_steps.GLOBALS_BYTES]) -> derive_steps.Tip: pure
    def with_tip(raw: Bytes[derive_steps.GLOBALS_BYTES], tip: derive_steps.Tip) -> Bytes[derive_steps.GLOBALS_BYTES]: pure


MAX_NODE: constant(uint256) = 1024  # block_globals.vy MAX_NODE
MAX_NODES: constant(uint256) = 32   # block_globals.vy MAX_NODES
MAX_INPUTS: constant(uint256) = batch_data.MAX_INPUTS

INBOX: public(immutable(address))
PORTAL: public(immutable(address))
FORCED_QUEUE: public(immutable(address))
RULES: public(immutable(BlockRules))
GLOBALS: public(immutable(BlockGlobals))
TIP: public(immutable(BlockTip))


@deploy
def __init__(inbox: address, portal: address, forced_queue: address, rules: address, globals_: address,
             tip: address):
    """
    @param inbox BatchInbox (batch records), portal Portal (deposit hashes), forced_queue
           ForcedInclusion (forced-transaction hashes); rules block_rules.vy, globals_
           block_globals.vy, tip block_tip.vy.
    """
    assert inbox != empty(address) and portal != empty(address) and forced_queue != empty(address) \
        and rules != empty(address) and globals_ != empty(address) and tip != empty(address), \
        "steps_block: zero address"
    INBOX = inbox
    PORTAL = portal
    FORCED_QUEUE = forced_queue
    RULES = BlockRules(rules)
    GLOBALS = BlockGlobals(globals_)
    TIP = BlockTip(tip)


@internal
@pure
def _post(c: cursor.Cursor, r: derive_steps.Result) -> cursor.Cursor:
    """
    @notice The post-cursor: a fresh one (Python's `Cursor(phase, block, time, tx_index,
            outer, tx)`) or `c` with a new phase and outer registers (`cursor._replace`).
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
    p: derive_steps.Position = derive_steps.Position(
        phase=c.phase, block=c.block, time=c.time, tx_index=c.tx_index, outer=c.outer)
    r: derive_steps.Result = empty(derive_steps.Result)
    tip: derive_steps.Tip = empty(derive_steps.Tip)
    if c.phase == derive_steps.NEXT_TX:  # reads no state
        r, tip = staticcall RULES.step(p, tip, inputs, INBOX, PORTAL, FORCED_QUEUE)
        return pre_root, cursor.encode_cursor(self._post(c, r))
    raw: Bytes[derive_steps.GLOBALS_BYTES] = extcall GLOBALS.read(pre_root, nodes)
    assert len(raw) > 0, "steps_block: no Globals"  # Python reads them after genesis only
    r, tip = staticcall RULES.step(p, staticcall TIP.tip_of(raw), inputs, INBOX, PORTAL, FORCED_QUEUE)
    if c.phase == derive_steps.BLOCK_OPEN:
        return pre_root, cursor.encode_cursor(self._post(c, r))
    # BLOCK_CLOSE: replace(globals_, last_block_number=..., ...), then state.put
    return extcall GLOBALS.write(pre_root, staticcall TIP.with_tip(raw, tip)), cursor.encode_cursor(self._post(c, r))
