# pragma version 0.4.3
"""
@title steps_account
@notice The account family on L1: cancel-all (CancelPhase 80), withdraw (WithdrawPhase
        90-92) and the BODY of a ListInstrument; twin of `node/stf/orders.py::cancel_all_step`,
        `node/stf/transfers.py`'s withdraw steps and `node/stf/machine.py::run_body` for
        `node/stf/instruments.py::list_instrument`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty.
     As the place family (`steps_place.vy`), this entry puts the witness in the trie
     store's pool, begins the state, decodes the cursor and the transaction's body, and
     DELEGATECALLs the piece with the step's rules (`account_ops.vy`: 80, 90-92;
     `account_list.vy`: the listing), which sees that state (same transient slots) and
     commits the step's writes. The
     piece returns the post-root and, for 80-92, the step's `matching.Outcome`, made here on
     the decoded cursor as `node/stf/steps.py`'s helpers make it. Removing an order runs in
     the place family's piece `place_ops.vy` (`OPS_PIECE`); a listing's Mark is computed by
     `oracle_marks.vy` (`MARKS`). Reverts only on an invalid proof.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.matching as matching
import fault.lib.account_steps as account_steps
import fault.lib.listing as listing

initializes: state

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), as the place family's.
MAX_NODES: constant(uint256) = 8
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
# txtypes.TxType
TX_CANCEL_ALL: constant(uint256) = 3
TX_WITHDRAW: constant(uint256) = 4
TX_LIST_INSTRUMENT: constant(uint256) = 6
# ABI of a piece's answer: the root, the Outcome's head (9 words) and its registers.
MAX_ANSWER: constant(uint256) = 32 * (2 + 9 + 1 + matching.MAX_PLACE_REGS)

STEP_ID: constant(bytes4) = method_id(
    "step(bytes32,(uint256,uint256,address,uint256,address,address),int256[])", output_type=bytes4)
LIST_ID: constant(bytes4) = method_id(
    "list_instrument(bytes32,address,uint256,(uint256,uint256,uint256,uint256,bool,uint256,uint256),address)",
    output_type=bytes4)

STORE: public(immutable(address))
STEPS_PIECE: public(immutable(address))
LIST_PIECE: public(immutable(address))
OPS_PIECE: public(immutable(address))
MARKS: public(immutable(address))


@deploy
def __init__(store: address, steps_piece: address, list_piece: address, ops_piece: address, marks: address):
    """
    @param store the trie store (`trie_store.vy`); steps_piece `account_ops.vy`; list_piece `account_list.vy`; ops_piece the place
           family's `place_ops.vy`; marks `oracle_marks.vy`.
    """
    STORE = store
    STEPS_PIECE = steps_piece
    LIST_PIECE = list_piece
    OPS_PIECE = ops_piece
    MARKS = marks


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 80, 90-92, or the BODY of a ListInstrument: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_account: no inputs"
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    assert len(c.sender) == 20, "steps_account: no sender"
    sender: address = convert(convert(c.sender, bytes20), address)
    post_root: bytes32 = empty(bytes32)
    out: matching.Outcome = empty(matching.Outcome)
    if c.phase == machine.BODY:
        f: DynArray[uint256, 12] = matching._fields(c.tx, TX_LIST_INSTRUMENT, 7)
        assert f[4] <= 1, "steps_account: is_call is a bool"
        body: listing.ListInstrument = listing.ListInstrument(
            nonce=f[0], underlying_id=f[1], expiry=f[2], strike_e6=f[3], is_call=f[4] == 1, tick_size_e6=f[5],
            min_size_e6=f[6])
        done: Bytes[32] = raw_call(
            LIST_PIECE, abi_encode(pre_root, sender, c.time, body, MARKS, method_id=LIST_ID),
            max_outsize=32, is_delegate_call=True)
        post_root = abi_decode(done, bytes32)
        out.action = matching.END_TX
    else:
        s: account_steps.Step = account_steps.Step(
            phase=c.phase, block=c.block, sender=sender, arg=0, recipient=empty(address), ops=OPS_PIECE)
        if c.phase == account_steps.CANCEL_ALL:
            s.arg = matching._fields(c.tx, TX_CANCEL_ALL, 2)[1]
        elif c.phase == account_steps.WITHDRAW:
            f: DynArray[uint256, 12] = matching._fields(c.tx, TX_WITHDRAW, 3)
            s.arg = f[1]
            s.recipient = convert(convert(f[2], uint160), address)
        else:
            assert c.phase == account_steps.WITHDRAW_CHECKED or c.phase == account_steps.WITHDRAW_RECOVERY, \
                "steps_account: not an account phase"
        regs: DynArray[int256, matching.MAX_PLACE_REGS] = []
        for r: int256 in c.regs:
            regs.append(r)  # reverts past MAX_PLACE_REGS: no account phase has more than 6
        answer: Bytes[MAX_ANSWER] = raw_call(
            STEPS_PIECE, abi_encode(pre_root, s, regs, method_id=STEP_ID), max_outsize=MAX_ANSWER,
            is_delegate_call=True)
        post_root, out = abi_decode(answer, (bytes32, matching.Outcome))
    # The cursor after the step, as node/stf/steps.py's helpers make it.
    if out.action == matching.END_TX:  # end_tx
        c = cursor.Cursor(
            phase=machine.NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
            tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    elif out.action == matching.FAIL:  # fail: saved kept
        c.phase = machine.ROLLBACK
        c.regs = [convert(out.code, int256)]
        c.stack = []
    elif out.action == matching.GOTO:  # goto (cancel-all's next order: the same phase)
        c.phase = out.phase
        c.regs = []
        for r: int256 in out.regs:
            c.regs.append(r)
    else:  # begin_body if asked, then margin_steps.call_margin(c, who, query, out.phase, out.regs)
        assert out.action == matching.CALL, "steps_account: unknown outcome"
        if out.begin:
            c.saved = [pre_root]
        c.stack.append(cursor.Frame(phase=out.phase, regs_rlp=cursor.encode_frame_regs(out.regs)))
        c.phase = MARGIN
        c.regs = [convert(convert(out.who, uint256), int256), out.query]
    return post_root, cursor.encode_cursor(c)
