# pragma version 0.4.3
"""
@title steps_tx
@notice The tx family on L1: TX_START (1), the first step of every transaction, and the
        deposit's steps DEPOSIT (93) and DEPOSIT_RECOVERY (94); twin of
        `node/stf/machine.py::_tx_start` and `node/stf/transfers.py::deposit_step` /
        `deposit_recovery_step`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty.
     As the place and account families, this entry puts the witness in the trie store's
     pool, begins the state, decodes the cursor and DELEGATECALLs the piece with the
     step's rules (`tx_start.vy`: decoding, recovery, the nonce; `tx_deposit.vy`: the
     deposit's steps), which sees that state (same transient slots) and commits the step's
     writes; the piece answers the post-root and what happens to the cursor, made here on
     the decoded cursor as Python makes it. Reverts only on an invalid proof.

     TX_START: an envelope refused by the decoder (every failure of `decode_tx`) or a
     refused nonce ends the transaction (`steps.end_tx`: NEXT_TX at the next index, state
     unchanged); otherwise the cursor moves to the kind's first body phase
     (`steps.BODY_PHASE`, `BODY` for the kinds not listed) with the sender (none for a
     deposit) and `tx_hash = keccak256(tx)`, registers, stack and checkpoints kept.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.errors as errors
import fault.lib.tx_types as tx_types

initializes: state

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), as the place
# family's. A TX_START reads 2 keys (Config, the sender's account), a deposit step at most
# 3 (Globals, the recipient's account, its auction): one or two blobs.
MAX_NODES: constant(uint256) = 4
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MARGIN: constant(uint256) = 40  # margin_steps.MarginPhase.MARGIN
SUMMARY: constant(int256) = 2  # margin_steps.Query.SUMMARY
DEPOSIT_RECOVERY: constant(uint256) = 94  # transfers.DepositPhase.DEPOSIT_RECOVERY
SUMMARY_REGS: constant(uint256) = 5
# tx_deposit.vy's actions
END_TX: constant(uint256) = 1
FAIL: constant(uint256) = 2
CALL: constant(uint256) = 3

START_ID: constant(bytes4) = method_id("start(bytes32,bytes)", output_type=bytes4)
DEPOSIT_ID: constant(bytes4) = method_id(
    "step(bytes32,uint256,bytes,int256[])", output_type=bytes4)

STORE: public(immutable(address))
START_PIECE: public(immutable(address))
DEPOSIT_PIECE: public(immutable(address))


@deploy
def __init__(store: address, start_piece: address, deposit_piece: address):
    """
    @param store the trie store (`trie_store.vy`); the pieces `tx_start.vy`, `tx_deposit.vy`.
    """
    STORE = store
    START_PIECE = start_piece
    DEPOSIT_PIECE = deposit_piece


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of TX_START, DEPOSIT or DEPOSIT_RECOVERY: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_tx: no inputs"
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    post_root: bytes32 = empty(bytes32)
    action: uint256 = END_TX
    code: uint256 = 0
    recipient: address = empty(address)
    if c.phase == machine.TX_START:
        kind: uint256 = 0
        sender: address = empty(address)
        answer: Bytes[128] = raw_call(
            START_PIECE, abi_encode(pre_root, c.tx, method_id=START_ID), max_outsize=128, is_delegate_call=True)
        post_root, code, kind, sender = abi_decode(answer, (bytes32, uint256, uint256, address))
        if code == errors.OK:  # machine.py::_tx_start's cursor of the body
            c.phase = tx_types.body_phase(kind)
            c.tx_hash = concat(keccak256(c.tx), b"")
            c.sender = b""
            if kind != tx_types.DEPOSIT:
                c.sender = concat(convert(sender, bytes20), b"")
            return post_root, cursor.encode_cursor(c)
    else:
        assert c.phase == tx_types.DEPOSIT_PHASE or c.phase == DEPOSIT_RECOVERY, "steps_tx: not a phase of this family"
        regs: DynArray[int256, SUMMARY_REGS] = []
        for r: int256 in c.regs:
            regs.append(r)  # reverts past 5: no deposit phase has more
        answer: Bytes[128] = raw_call(
            DEPOSIT_PIECE, abi_encode(pre_root, c.phase, c.tx, regs, method_id=DEPOSIT_ID),
            max_outsize=128, is_delegate_call=True)
        post_root, action, code, recipient = abi_decode(answer, (bytes32, uint256, uint256, address))
    if action == FAIL:  # steps.fail: saved kept (the failing step took no checkpoint)
        c.phase = machine.ROLLBACK
        c.regs = [convert(code, int256)]
        c.stack = []
    elif action == CALL:  # begin_body, then margin_steps.call_margin(c, recipient, SUMMARY, DEPOSIT_RECOVERY, ())
        c.saved = [pre_root]
        c.stack.append(cursor.Frame(phase=DEPOSIT_RECOVERY, regs_rlp=cursor.encode_frame_regs([])))
        c.phase = MARGIN
        c.regs = [convert(convert(recipient, uint160), int256), SUMMARY]
    else:  # end_tx
        c = cursor.Cursor(
            phase=machine.NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
            tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    return post_root, cursor.encode_cursor(c)
