# pragma version 0.4.3
"""
@title steps_settle
@notice The settle family on L1: the steps of a Settle (`SettlePhase` 60-63), twin of
        `node/stf/settlement.py::settle_step`, `settle_scan_step`, `settle_position_step`
        and `settle_recovery_step`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty.
     As the place and account families, this entry puts the witness in the trie store's
     pool, begins the state, decodes the cursor and the Settle (`cursor.tx`, re-read at
     every step: `steps.tx_of`), and DELEGATECALLs the piece with the step's rules
     (`settle_scan.vy`: 60-61, `settle_position.vy`: 62-63), which sees that state (same
     transient slots), commits the step's writes and returns the post-root and the step's
     `matching.Outcome`, made here on the decoded cursor as `node/stf/steps.py`'s helpers
     make it. Reverts only on an invalid proof.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.matching as matching
import fault.lib.settle_steps as settle_steps

initializes: state

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), as the place family's.
MAX_NODES: constant(uint256) = 8
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
TX_SETTLE: constant(uint256) = 8  # txtypes.TxType.SETTLE
# ABI of a piece's answer: the root, the Outcome's head (9 words) and its registers.
MAX_ANSWER: constant(uint256) = 32 * (2 + 9 + 1 + matching.MAX_PLACE_REGS)

STEP_ID: constant(bytes4) = method_id("step(bytes32,(uint256,uint256,address,uint256),int256[])", output_type=bytes4)

STORE: public(immutable(address))
SCAN_PIECE: public(immutable(address))
POSITION_PIECE: public(immutable(address))


@deploy
def __init__(store: address, scan_piece: address, position_piece: address):
    """
    @param store the trie store (`trie_store.vy`); scan_piece `settle_scan.vy`; position_piece `settle_position.vy`.
    """
    STORE = store
    SCAN_PIECE = scan_piece
    POSITION_PIECE = position_piece


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 60-63: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_settle: no inputs"
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    f: DynArray[uint256, 12] = matching._fields(c.tx, TX_SETTLE, 3)  # Settle(nonce, account, instrument_id)
    s: settle_steps.Step = settle_steps.Step(
        phase=c.phase, time=c.time, account=convert(convert(f[1], uint160), address), instrument_id=f[2])
    piece: address = POSITION_PIECE
    if c.phase == settle_steps.SETTLE or c.phase == settle_steps.SETTLE_SCAN:
        piece = SCAN_PIECE
    else:
        assert c.phase == settle_steps.SETTLE_POSITION or c.phase == settle_steps.SETTLE_RECOVERY, \
            "steps_settle: not a settle phase"
    regs: DynArray[int256, matching.MAX_PLACE_REGS] = []
    for r: int256 in c.regs:
        regs.append(r)  # reverts past MAX_PLACE_REGS: no settle phase has more than 11
    answer: Bytes[MAX_ANSWER] = raw_call(
        piece, abi_encode(pre_root, s, regs, method_id=STEP_ID), max_outsize=MAX_ANSWER, is_delegate_call=True)
    post_root: bytes32 = empty(bytes32)
    out: matching.Outcome = empty(matching.Outcome)
    post_root, out = abi_decode(answer, (bytes32, matching.Outcome))
    # The cursor after the step, as node/stf/steps.py's helpers make it.
    if out.action == matching.END_TX:  # end_tx
        c = cursor.Cursor(
            phase=machine.NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
            tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    elif out.action == matching.FAIL:  # fail (on the step's own cursor: saved kept)
        c.phase = machine.ROLLBACK
        c.regs = [convert(out.code, int256)]
        c.stack = []
    elif out.action == matching.GOTO:  # goto (after begin_body on SETTLE)
        if out.begin:
            c.saved = [pre_root]
        c.phase = out.phase
        c.regs = []
        for r: int256 in out.regs:
            c.regs.append(r)
    else:  # margin_steps.call_margin(c, who, query, out.phase, out.regs)
        assert out.action == matching.CALL, "steps_settle: unknown outcome"
        c.stack.append(cursor.Frame(phase=out.phase, regs_rlp=cursor.encode_frame_regs(out.regs)))
        c.phase = MARGIN
        c.regs = [convert(convert(out.who, uint256), int256), out.query]
    return post_root, cursor.encode_cursor(c)
