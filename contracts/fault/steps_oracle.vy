# pragma version 0.4.3
"""
@title steps_oracle
@notice The oracle family on L1: the steps of an OracleUpdate (`OraclePhase` 70-71), twin
        of `node/stf/oracle.py::oracle_check_step` and `oracle_mark_step`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty (an
     update reads nothing from L1 but its own transaction). As the place and account
     families, this entry puts the witness in the trie store's pool, begins the state,
     decodes the cursor and DELEGATECALLs the piece with the step's rules (`oracle_ops.vy`),
     which sees that state (same transient slots), commits the step's writes and returns
     the post-root and the step's `oracle_steps.Outcome`, made here on the decoded cursor as
     `node/stf/steps.py`'s helpers make it. ORACLE_MARK's registers can outnumber
     `cursor.MAX_REGS` (one dropped position per settled series: up to 515): they are
     read here (`_regs`), and a cursor with more is decoded (but its registers) and
     written by the stateless `oracle_cursor.vy` (`WIDE`: `cursor.decode_cursor_wide`,
     and the step's cursor with its registers replaced), whose memory would cost every
     step here. A Mark is
     computed by `oracle_marks.vy` (`MARKS`). Reverts only on an invalid proof.
"""

import fault.trie_store_iface as TrieStore
import fault.lib.state as state
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.oracle_steps as oracle_steps
import lib.rlp as rlp

initializes: state

# The witness: blobs of concatenated nodes (the trie store's `add_nodes`), as the place family's.
MAX_NODES: constant(uint256) = 8
MAX_BLOB: constant(uint256) = 24_640
MAX_INPUTS: constant(uint256) = 32
MAX_REGS: constant(uint256) = oracle_steps.MAX_ORACLE_REGS
# ABI of the piece's answer: the root, the Outcome's head (offset, action, code, regs offset), its registers.
MAX_ANSWER: constant(uint256) = 32 * (5 + 1 + MAX_REGS)

STEP_ID: constant(bytes4) = method_id("step(bytes32,uint256,uint256,address,bytes,int256[],address)",
                                      output_type=bytes4)

STORE: public(immutable(address))
PIECE: public(immutable(address))
MARKS: public(immutable(address))
WIDE: public(immutable(address))


interface OracleCursor:
    def decode(raw: Bytes[cursor.MAX_CURSOR]) -> cursor.Cursor: pure
    def splice(raw: Bytes[cursor.MAX_CURSOR], regs: DynArray[int256, MAX_REGS]) -> Bytes[cursor.MAX_CURSOR]: pure


@deploy
def __init__(store: address, piece: address, marks: address, wide: address):
    """
    @param store the trie store (`trie_store.vy`); piece `oracle_ops.vy`; marks `oracle_marks.vy`;
           wide `oracle_cursor.vy`.
    """
    STORE = store
    PIECE = piece
    MARKS = marks
    WIDE = wide


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_BLOB], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 70-71: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_oracle: no inputs"
    for blob: Bytes[MAX_BLOB] in nodes:
        extcall TrieStore(STORE).add_nodes(blob)
    state.begin(pre_root, STORE)
    regs: DynArray[int256, MAX_REGS] = self._regs(cursor_rlp)
    c: cursor.Cursor = empty(cursor.Cursor)
    if len(regs) <= cursor.MAX_REGS:
        c = cursor.decode_cursor(cursor_rlp)
    else:  # the rest of the cursor (its `regs` left empty), decoded where its memory costs only these steps
        c = staticcall OracleCursor(WIDE).decode(cursor_rlp)
    assert c.phase == oracle_steps.ORACLE_CHECK or c.phase == oracle_steps.ORACLE_MARK, \
        "steps_oracle: not an oracle phase"
    assert len(c.sender) == 20, "steps_oracle: no sender"
    answer: Bytes[MAX_ANSWER] = raw_call(
        PIECE, abi_encode(pre_root, c.phase, c.time, convert(convert(c.sender, bytes20), address), c.tx, regs, MARKS,
                          method_id=STEP_ID),
        max_outsize=MAX_ANSWER, is_delegate_call=True)
    post_root: bytes32 = empty(bytes32)
    out: oracle_steps.Outcome = empty(oracle_steps.Outcome)
    post_root, out = abi_decode(answer, (bytes32, oracle_steps.Outcome))
    # The cursor after the step, as node/stf/steps.py's helpers make it.
    if out.action == oracle_steps.END_TX:  # end_tx
        c = cursor.Cursor(
            phase=machine.NEXT_TX, block=c.block, time=c.time, tx_index=c.tx_index + 1, outer=c.outer,
            tx=b"", sender=b"", tx_hash=b"", regs=[], stack=[], saved=[])
    elif out.action == oracle_steps.FAIL:  # fail (on the step's own cursor: saved kept)
        c.phase = machine.ROLLBACK
        c.stack = []
        out.regs = [convert(out.code, int256)]
    else:  # goto ORACLE_MARK (after begin_body on ORACLE_CHECK)
        assert out.action == oracle_steps.GOTO, "steps_oracle: unknown outcome"
        if c.phase == oracle_steps.ORACLE_CHECK:
            c.saved = [pre_root]
        c.phase = oracle_steps.ORACLE_MARK
    if len(out.regs) > cursor.MAX_REGS:  # goto ORACLE_MARK from ORACLE_MARK: only the registers change
        assert c.phase == oracle_steps.ORACLE_MARK and out.action == oracle_steps.GOTO, "steps_oracle: wide registers"
        return post_root, staticcall OracleCursor(WIDE).splice(cursor_rlp, out.regs)
    c.regs = []
    for r: int256 in out.regs:
        c.regs.append(r)
    return post_root, cursor.encode_cursor(c)


@internal
@pure
def _regs(raw: Bytes[cursor.MAX_CURSOR]) -> DynArray[int256, MAX_REGS]:
    """
    @notice The running registers of the cursor `raw` (its ninth field): canonical RLP
            integers, zigzag, as node/stf/cursor.py::decode_cursor reads them (reverts on
            any other bytes, or past MAX_REGS: no reachable oracle step has more);
            `cursor.decode_cursor(raw, True)` checks the other fields.
    """
    buf: Bytes[cursor.MAX_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(buf, 0), 0, len(raw))
    pos: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        pos = rlp.header(extract32(buf, pos), pos, top.end).end
    regs: rlp.Item = rlp.header(extract32(buf, pos), pos, top.end)
    assert regs.is_list, "steps_oracle: registers are not a list"
    out: DynArray[int256, MAX_REGS] = []
    pos = regs.offset
    for i: uint256 in range(MAX_REGS + 1):
        if pos == regs.end:
            break
        assert i < MAX_REGS, "steps_oracle: registers over the bound"
        x: uint256 = 0
        x, pos = cursor._int_item(extract32(buf, pos), extract32(buf, pos + 1), pos, regs.end)
        out.append(cursor.unzigzag(x))
    return out
