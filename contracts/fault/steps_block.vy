# pragma version 0.4.3
"""
@title steps_block
@notice The block family on L1: `NEXT_TX` (3), `BLOCK_OPEN` (100) and `BLOCK_CLOSE` (101),
        twins of node/stf/derive_steps.py's `_next_tx`, `_block_open` and `_block_close`
        (each followed by `state.commit_block()`, as the prover's trace runs them).
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface. `nodes` is the step's
     witness as blobs of concatenated nodes (prover/l1/calldata.py::pack_nodes): BLOCK_OPEN
     reads Globals, BLOCK_CLOSE reads and writes them, NEXT_TX touches no state. `inputs`
     are its L1 inputs (prover/l1/inputs_codec.py): batch pieces and queue entries, opened
     against the inbox record of the cursor's batch (`outer[BATCH]`) and the queues' stored
     hashes, read from the L1 contracts fixed at deployment (never taken from the proof).

     As the place family (steps_place.vy), this entry puts the witness in the trie store's
     pool (`trie_store.vy`), begins the state (`lib/state.vy`), decodes the cursor and
     DELEGATECALLs the piece `block_globals.vy`, which sees that state (same transient
     slots), reads Globals (BLOCK_OPEN, BLOCK_CLOSE), STATICCALLs the rules with the inputs
     opened (`block_rules.vy`: lib/derive_steps.vy, lib/step_inputs.vy), puts Globals with
     the new block fields (BLOCK_CLOSE) and commits; it returns the post-root and the step's
     `Result`, which this entry makes into the post-cursor. Three contracts: EIP-170.
     Reverts (with a library's or contract's prefix) only on an invalid proof or a cursor
     no reachable state has.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.batch_data as batch_data
import fault.lib.cursor as cursor
import fault.lib.derive_steps as derive_steps

initializes: state


# ABI of the piece's answer: the root, the Result's head (7 words), outer and tx.
MAX_ANSWER: constant(uint256) = 32 * (2 + 7 + 1 + derive_steps.MAX_OUTER + 1) + derive_steps.MAX_TX_BYTES
RUN_ID: constant(bytes4) = method_id(
    "run((uint256,uint256,uint256,uint256,int256[]),bytes,address,address,address,address)", output_type=bytes4)


# The witness: blobs of concatenated nodes (the trie store's `add_nodes`). A block step's
# witness is the Globals path (<= ~17 nodes of <= 532 bytes and the leaf): one blob; two
# are allowed (Vyper reserves the argument's whole bound in memory).
MAX_NODES: constant(uint256) = 2
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = batch_data.MAX_INPUTS

STORE: public(immutable(address))
GLOBALS_PIECE: public(immutable(address))
RULES: public(immutable(address))
INBOX: public(immutable(address))
PORTAL: public(immutable(address))
FORCED_QUEUE: public(immutable(address))


@deploy
def __init__(store: address, globals_piece: address, rules: address, inbox: address, portal: address, forced_queue: address):
    """
    @param store the trie store (`trie_store.vy`); globals_piece `block_globals.vy`; rules
           `block_rules.vy`; inbox BatchInbox
           (batch records), portal Portal (deposit hashes), forced_queue ForcedInclusion
           (forced-transaction hashes).
    """
    assert store != empty(address) and globals_piece != empty(address) and rules != empty(address) and inbox != empty(address) \
        and portal != empty(address) and forced_queue != empty(address), "steps_block: zero address"
    STORE = store
    GLOBALS_PIECE = globals_piece
    RULES = rules
    INBOX = inbox
    PORTAL = portal
    FORCED_QUEUE = forced_queue


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One block step: `(post_root, post_cursor)`.
    """
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    p: derive_steps.Position = derive_steps.Position(
        phase=c.phase, block=c.block, time=c.time, tx_index=c.tx_index, outer=c.outer)
    answer: Bytes[MAX_ANSWER] = raw_call(
        GLOBALS_PIECE, abi_encode(p, inputs, RULES, INBOX, PORTAL, FORCED_QUEUE, method_id=RUN_ID),
        max_outsize=MAX_ANSWER, is_delegate_call=True)
    post_root: bytes32 = empty(bytes32)
    r: derive_steps.Result = empty(derive_steps.Result)
    post_root, r = abi_decode(answer, (bytes32, derive_steps.Result))
    # The post-cursor: a fresh one (Python's `Cursor(phase, block, time, tx_index, outer,
    # tx)`) or `c` with a new phase and outer registers (`cursor._replace`).
    if r.fresh:
        c = cursor.Cursor(
            phase=r.phase, block=r.block, time=r.time, tx_index=r.tx_index, outer=r.outer, tx=r.tx,
            sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    else:
        c.phase = r.phase
        c.outer = r.outer
    return post_root, cursor.encode_cursor(c)
