# pragma version 0.4.3
"""
@title steps_place
@notice The place family on L1: the place-order steps (`PlacePhase` 20-29) and the BODY of
        a CancelOrder, twin of `node/stf/matching.py` (stepped) and of
        `node/stf/machine.py::run_body` for `node/stf/orders.py::cancel_order`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface. `inputs` is the book
     advice: empty, or the 32-byte big-endian price of the level immediately better than a
     level the step creates (0 when none is: `book.find_better_neighbour`, checked there).

     The rules do not fit one contract (24 KB), so this entry puts the witness in the trie
     store's pool (`trie_store.vy`, deployed once), begins the state (`state.begin`: base
     root, empty write buffer), decodes the cursor, and DELEGATECALLs the piece that holds
     the step's rules (`place_match.vy`: PLACE, MATCH; `place_taker.vy`: TAKER_BEFORE;
     `place_checks.vy`: the other phases and the cancel; addresses fixed at deployment). The rule pieces DELEGATECALL the write
     pieces (`place_ops.vy`: the makers' side, fills and removals; `place_rest.vy`: the placed
     order's own writes, resting it and taking its id). A piece runs in this contract's context, so it sees the state this entry began
     (`state`'s slots are transient and the same in every contract initializing it); the
     rule piece commits the step's writes. A TAKER_BEFORE step that stops matching goes on
     as MATCH (Python's `_match` in the same step): the taker piece answers MATCH_AGAIN,
     having written nothing, and this entry runs the matching piece on the same pre-state.
     The piece returns the post-root and the step's `Outcome` (matching.vy), which this
     entry makes on the cursor in place, as the helpers of `node/stf/steps.py` do
     (`machine.vy` twins them on a copy of the cursor; one copy of a cursor is ~110 KB of
     memory, so the changes are made here on the one decoded cursor). Reverts only on an
     invalid proof.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.matching as matching

initializes: state

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), each at most
# MAX_BLOB bytes (trie.vy's MAX_NODE: the longest leaf fits one). Vyper copies the whole argument to memory, so its
# bound is its memory: 8 blobs, ~197 KB, hold a place step's worst witness (~20 keys).
MAX_NODES: constant(uint256) = 8
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
# ABI of a piece's answer: the root, the Outcome's head (9 words) and its registers.
MAX_ANSWER: constant(uint256) = 32 * (2 + 9 + 1 + matching.MAX_PLACE_REGS)

STEP_ID: constant(bytes4) = method_id(
    "step(bytes32,(uint256,uint256,address,(uint256,uint256,uint256,uint256,uint256,uint256,bool,uint256,uint256),uint256,address,address),int256[])",
    output_type=bytes4)
CANCEL_ID: constant(bytes4) = method_id(
    "cancel(bytes32,address,(uint256,uint256,uint256),address)", output_type=bytes4)

STORE: public(immutable(address))
MATCH_PIECE: public(immutable(address))
CHECKS_PIECE: public(immutable(address))
OPS_PIECE: public(immutable(address))
REST_PIECE: public(immutable(address))
TAKER_PIECE: public(immutable(address))


@deploy
def __init__(store: address, match_piece: address, checks_piece: address, ops_piece: address,
             rest_piece: address, taker_piece: address):
    """
    @param store the trie store (`trie_store.vy`); the pieces `place_match.vy`,
           `place_checks.vy`, `place_ops.vy`, `place_rest.vy`, `place_taker.vy`.
    """
    STORE = store
    MATCH_PIECE = match_piece
    CHECKS_PIECE = checks_piece
    OPS_PIECE = ops_piece
    REST_PIECE = rest_piece
    TAKER_PIECE = taker_piece


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 20-29, or the BODY of a CancelOrder: `(post_root, post_cursor)`.
    """
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    sender: address = empty(address)
    if len(c.sender) == 20:
        sender = convert(convert(c.sender, bytes20), address)
    post_root: bytes32 = empty(bytes32)
    out: matching.Outcome = empty(matching.Outcome)
    if c.phase == machine.BODY:
        done: Bytes[32] = raw_call(
            CHECKS_PIECE, abi_encode(pre_root, sender, matching.decode_cancel(c.tx), OPS_PIECE, method_id=CANCEL_ID),
            max_outsize=32, is_delegate_call=True)
        post_root = abi_decode(done, bytes32)
        out.action = matching.END_TX
    else:
        assert c.phase >= matching.PLACE and c.phase <= matching.FINISH, "steps_place: not a place phase"
        hint: uint256 = 0
        if len(inputs) != 0:
            assert len(inputs) == 32, "steps_place: inputs are one 32-byte price"
            hint = convert(extract32(inputs, 0), uint256)
        regs: DynArray[int256, matching.MAX_PLACE_REGS] = []
        for r: int256 in c.regs:
            regs.append(r)  # reverts past MAX_PLACE_REGS: no place phase has more
        s: matching.Step = matching.Step(
            phase=c.phase, time=c.time, sender=sender, order=matching.decode_place(c.tx), hint=hint,
            ops=OPS_PIECE, rest=REST_PIECE)
        piece: address = CHECKS_PIECE
        if c.phase == matching.PLACE or c.phase == matching.MATCH:
            piece = MATCH_PIECE
        elif c.phase == matching.TAKER_BEFORE:
            piece = TAKER_PIECE
        answer: Bytes[MAX_ANSWER] = raw_call(
            piece, abi_encode(pre_root, s, regs, method_id=STEP_ID), max_outsize=MAX_ANSWER, is_delegate_call=True)
        post_root, out = abi_decode(answer, (bytes32, matching.Outcome))
        if out.action == matching.MATCH_AGAIN:  # a TAKER_BEFORE that stops: `_match` on this step, nothing written
            s.phase = matching.MATCH
            answer = raw_call(MATCH_PIECE, abi_encode(pre_root, s, out.regs, method_id=STEP_ID),
                              max_outsize=MAX_ANSWER, is_delegate_call=True)
            post_root, out = abi_decode(answer, (bytes32, matching.Outcome))
    # The cursor after the step, made in place as node/stf/steps.py's helpers make it
    # (machine.vy twins each on a copy of the cursor).
    if out.action == matching.END_TX:  # end_tx
        c = cursor.Cursor(
            phase=machine.NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
            tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    elif out.action == matching.FAIL:  # fail: saved kept
        c.phase = machine.ROLLBACK
        c.regs = [convert(out.code, int256)]
        c.stack = []
    else:
        if out.begin:  # begin_body
            c.saved = [pre_root]
        if out.first_only:  # saved[:1]
            c.saved = [c.saved[0]]
        if out.push:  # checkpoint_push
            c.saved.append(pre_root)
        if out.action == matching.GOTO:  # goto
            c.phase = out.phase
            c.regs = []
        elif out.action == matching.RESTORE:
            c.phase = machine.RESTORE
            c.regs = [1, convert(out.phase, int256)]
        else:  # call_margin(c, who, query, out.phase, out.regs), then restore_then(c, 1, MARGIN, ...) if asked
            c.stack.append(cursor.Frame(phase=out.phase, regs_rlp=cursor.encode_frame_regs(out.regs)))
            c.phase = MARGIN
            c.regs = []
            if out.action == matching.CALL_RESTORED:
                c.phase = machine.RESTORE
                c.regs = [1, convert(MARGIN, int256)]
            c.regs.append(convert(convert(out.who, uint256), int256))
            c.regs.append(out.query)
        if out.action == matching.GOTO or out.action == matching.RESTORE:
            for r: int256 in out.regs:
                c.regs.append(r)
    return post_root, cursor.encode_cursor(c)
