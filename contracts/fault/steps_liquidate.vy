# pragma version 0.4.3
"""
@title steps_liquidate
@notice The liquidation family on L1: LiquidatePhase 50-59, twin of
        node/stf/liquidation.py (stepped form; rules in its module docstring).
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty (a
     liquidation reads no L1 input). As the place family (`steps_place.vy`), this entry
     puts the witness in the trie store's pool, begins the state, decodes the cursor and
     the Liquidate body, and DELEGATECALLs the piece holding the step's rules
     (`liquidate_open.vy`: 50-52, 59; `liquidate_transfer.vy`: 53-55; `liquidate_finish.vy`:
     56-58; addresses fixed at deployment), which sees that state (same transient slots), commits the
     step's writes and answers the post-root and an `Outcome` (liquidate_steps.vy). The
     outcome is made here on the decoded cursor as the helpers of node/stf/steps.py make
     it. Reverts only on an invalid proof.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.matching as matching
import fault.lib.liquidate_steps as liquidate_steps

initializes: state

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), as the place family's.
MAX_NODES: constant(uint256) = 8
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
TX_LIQUIDATE: constant(uint256) = 7  # txtypes.TxType.LIQUIDATE
# ABI of a piece's answer: the root, the Outcome's head (10 words), its registers' length and registers
MAX_ANSWER: constant(uint256) = 32 * (2 + 10 + 1 + liquidate_steps.MAX_LIQ_REGS)

STEP_ID: constant(bytes4) = method_id(
    "step(bytes32,(uint256,uint256,address,address,uint256,uint256,uint256),int256[])",
    output_type=bytes4)

STORE: public(immutable(address))
OPEN_PIECE: public(immutable(address))
TRANSFER_PIECE: public(immutable(address))
FINISH_PIECE: public(immutable(address))


@deploy
def __init__(store: address, open_piece: address, transfer_piece: address, finish_piece: address):
    """
    @param store the trie store (`trie_store.vy`); the pieces `liquidate_open.vy`,
           `liquidate_transfer.vy`, `liquidate_finish.vy`.
    """
    STORE = store
    OPEN_PIECE = open_piece
    TRANSFER_PIECE = transfer_piece
    FINISH_PIECE = finish_piece


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 50-59: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_liquidate: no inputs"
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    assert c.phase >= liquidate_steps.LIQUIDATE and c.phase <= liquidate_steps.LIQ_BEFORE, \
        "steps_liquidate: not a liquidation phase"
    assert len(c.sender) == 20, "steps_liquidate: no sender"
    f: DynArray[uint256, 12] = matching._fields(c.tx, TX_LIQUIDATE, 4)  # nonce, account, instrument, size
    assert f[1] < 2**160, "steps_liquidate: account"
    s: liquidate_steps.Step = liquidate_steps.Step(
        phase=c.phase, time=c.time, sender=convert(convert(c.sender, bytes20), address),
        target=convert(convert(f[1], uint160), address), instrument_id=f[2], size_e6=f[3], saved=len(c.saved))
    regs: DynArray[int256, liquidate_steps.MAX_LIQ_REGS] = []
    for r: int256 in c.regs:
        regs.append(r)  # reverts past MAX_LIQ_REGS: no liquidation phase has more
    piece: address = OPEN_PIECE
    if c.phase >= liquidate_steps.LIQ_MOVE and c.phase <= liquidate_steps.LIQ_APPLY:
        piece = TRANSFER_PIECE
    elif c.phase >= liquidate_steps.LIQ_CHECK and c.phase <= liquidate_steps.LIQ_RECOVERY:
        piece = FINISH_PIECE
    answer: Bytes[MAX_ANSWER] = raw_call(
        piece, abi_encode(pre_root, s, regs, method_id=STEP_ID), max_outsize=MAX_ANSWER, is_delegate_call=True)
    post_root: bytes32 = empty(bytes32)
    out: liquidate_steps.Outcome = empty(liquidate_steps.Outcome)
    post_root, out = abi_decode(answer, (bytes32, liquidate_steps.Outcome))
    # The cursor after the step, made in place as node/stf/steps.py's helpers make it.
    if out.action == liquidate_steps.END_TX:  # end_tx
        c = cursor.Cursor(
            phase=machine.NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
            tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    elif out.action == liquidate_steps.FAIL:  # fail(the step's own cursor): saved kept
        c.phase = machine.ROLLBACK
        c.regs = [convert(out.code, int256)]
        c.stack = []
    else:
        if out.begin:  # begin_body
            c.saved = [pre_root]
        if out.pop:  # saved[:-1]
            c.saved.pop()
        if out.push:  # checkpoint_push
            c.saved.append(pre_root)
        c.regs = []
        if out.action == liquidate_steps.GOTO:  # goto
            c.phase = out.phase
        elif out.action == liquidate_steps.TO_RESTORE:  # restore_then(c, depth, phase, regs)
            c.phase = machine.RESTORE
            c.regs = [convert(out.depth, int256), convert(out.phase, int256)]
        else:  # call_margin(c, who, query, out.phase, out.regs)
            c.stack.append(cursor.Frame(phase=out.phase, regs_rlp=cursor.encode_frame_regs(out.regs)))
            c.phase = MARGIN
            c.regs = [convert(convert(out.who, uint160), int256), out.query]
        if out.action != liquidate_steps.CALL:
            for r: int256 in out.regs:
                c.regs.append(r)
    return post_root, cursor.encode_cursor(c)
