# pragma version 0.4.3
"""
@title steps_oracle
@notice The steps of an OracleUpdate (`OraclePhase` 70-71) on L1: twin of
        `node/stf/oracle.py::oracle_check_step` and `oracle_mark_step`.
@dev `run(pre_root, cursor, nodes, inputs)` is the family interface; `inputs` is empty
     (an oracle update reads nothing from L1 but its own transaction). The update is
     decoded again from `cursor.tx` at every step (`steps.tx_of`).
     ORACLE_CHECK: the checks of `oracle.check_update` (a failure fails the transaction
     before any write: ROLLBACK without a checkpoint), then the checkpoint and either the
     underlying stored at once (no series) or ORACLE_MARK with registers (0, rate_e6, 0).
     ORACLE_MARK: one series per step, registers (position, rate_e6, n, *accumulated,
     *dropped): the settlement window of its expiry (`settle_math.accumulate_expiry`,
     unless already accumulated by this update), its Mark (`oracle_math.compute_mark`),
     and on the last series the underlying (`oracle.py::_finish`). A math-domain error
     of the Mark fails the transaction with the step's writes undone
     (`steps.body_step`). The Mark is computed by the `oracle_marks.vy` contract given at
     deployment (the option math does not fit in this one's 24 KB).
     Reverts "steps_oracle: ..." only on an invalid proof.
"""

import fault.lib.trie as trie
import fault.lib.state as state
import fault.lib.records as records
import fault.lib.cursor as cursor
import fault.lib.machine as machine
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types
import fault.lib.oracle_math as oracle_math
import fault.lib.settle_math as settle_math

initializes: trie
initializes: state[trie := trie]


interface OracleMarks:
    def compute_mark(strike_e6: uint256, expiry: uint256, is_call: bool, underlying_id: uint256, index_e6: uint256,
                     points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS], rate_e6: int256,
                     now: uint256, settlement_price_e6: uint256) -> (bool, records.Mark): view


MARKS: public(immutable(OracleMarks))  # contracts/fault/oracle_marks.vy

MAX_NODE: constant(uint256) = trie.MAX_NODE
MAX_NODES: constant(uint256) = 64  # as steps_control.vy (the witness nodes of one step)
MAX_INPUTS: constant(uint256) = 32

ORACLE_CHECK: constant(uint256) = 70  # oracle.OraclePhase
ORACLE_MARK: constant(uint256) = 71
MAX_INSTRUMENTS: constant(uint256) = 256  # params.MAX_INSTRUMENTS_PER_UNDERLYING
# (position, rate, n) + accumulated expiries + dropped positions: at most 3 + 1 + 256 on a
# reachable state (windows are 30 minutes, expiries days apart; one drop per series);
# the cursor's bound applies (cursor.MAX_REGS)
MAX_ORACLE_REGS: constant(uint256) = cursor.MAX_REGS

# errors.FailureCode
OK: constant(uint256) = 0
UNAUTHORISED_SIGNER: constant(uint256) = 106
FIELD_OUT_OF_RANGE: constant(uint256) = 108
UNKNOWN_UNDERLYING: constant(uint256) = 600


@deploy
def __init__(marks: address):
    """
    @param marks The deployed `oracle_marks.vy` (the option math, kept apart for code size).
    """
    MARKS = OracleMarks(marks)


@external
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[MAX_NODE], MAX_NODES],
        inputs: Bytes[MAX_INPUTS]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice One step of phases 70-71: `(post_root, post_cursor)`.
    """
    assert len(inputs) == 0, "steps_oracle: no inputs"
    for node: Bytes[MAX_NODE] in nodes:
        trie.add_node(node)
    state.begin(pre_root)
    c: cursor.Cursor = cursor.decode_cursor(cursor_rlp)
    body: tx_types.OracleUpdate = tx_codec.oracle_update(tx_codec.body(c.tx, tx_types.ORACLE_UPDATE))
    surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS] = []
    for p: tx_types.VolPoint in body.surface:
        surface.append(records.VolPoint(
            expiry=p.expiry, atm_vol_e6=p.atm_vol_e6, skew_e6=p.skew_e6, curvature_e6=p.curvature_e6))
    after: cursor.Cursor = empty(cursor.Cursor)
    if c.phase == ORACLE_CHECK:
        after = self._check(c, body, surface, pre_root)
    else:
        assert c.phase == ORACLE_MARK, "steps_oracle: not an oracle phase"
        after = self._mark(c, body, surface, pre_root)
    return state.root(), cursor.encode_cursor(after)


@internal
def _check(c: cursor.Cursor, body: tx_types.OracleUpdate,
           surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS], pre_root: bytes32) -> cursor.Cursor:
    """
    @dev Twin of node/stf/oracle.py::oracle_check_step (check_update's checks in its order).
    """
    config: records.Config = state.get_config()
    sender: address = convert(convert(c.sender, bytes20), address)
    if sender not in config.oracles:
        return machine.fail(c, UNAUTHORISED_SIGNER)
    found: bool = False
    before: records.Underlying = empty(records.Underlying)
    found, before = state.get_underlying(body.underlying_id)
    if not found:
        return machine.fail(c, UNKNOWN_UNDERLYING)
    code: uint256 = oracle_math.check_sequencing(
        before.oracle_sequence, before.observation_time, c.time, body.sequence, body.observation_time)
    if code == OK:
        code = oracle_math.check_index(body.index_price_e6)
    if code == OK:
        code = oracle_math.validate_surface(surface)
    if code != OK:
        return machine.fail(c, code)
    n: cursor.Cursor = machine.begin_body(c, pre_root)
    if len(before.instruments) == 0:
        return self._finish(n, before, body, surface, [])
    return machine.goto(n, ORACLE_MARK, [0, convert(config.rate_e6, int256), 0])


@internal
def _mark(c: cursor.Cursor, body: tx_types.OracleUpdate,
          surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS], pre_root: bytes32) -> cursor.Cursor:
    """
    @dev Twin of node/stf/oracle.py::oracle_mark_step (mark_series inlined).
    """
    position: uint256 = convert(c.regs[0], uint256)
    rate_e6: int256 = c.regs[1]
    n_acc: uint256 = convert(c.regs[2], uint256)
    now: uint256 = c.time
    found: bool = False
    before: records.Underlying = empty(records.Underlying)
    found, before = state.get_underlying(body.underlying_id)
    assert found, "steps_oracle: no underlying"
    instrument_id: uint256 = before.instruments[position]
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(instrument_id)
    assert found, "steps_oracle: no instrument"

    accumulated: DynArray[int256, MAX_ORACLE_REGS] = []
    dropped: DynArray[int256, MAX_ORACLE_REGS] = []
    seen: bool = False
    for i: uint256 in range(3, MAX_ORACLE_REGS):
        if i >= len(c.regs):
            break
        if i < 3 + n_acc:
            accumulated.append(c.regs[i])
            seen = seen or c.regs[i] == convert(inst.expiry, int256)
        else:
            dropped.append(c.regs[i])

    # settlement.accumulate_expiry, unless this update already added to the window
    if not seen:
        record: records.SettlementPrice = empty(records.SettlementPrice)
        found, record = state.get_settlement(body.underlying_id, inst.expiry)
        write: bool = False
        added: bool = False
        write, record, added = settle_math.accumulate_expiry(
            before.index_price_e6, before.oracle_time, now, inst.expiry, record)
        if write:
            state.put_settlement(body.underlying_id, inst.expiry, record)
        if added:
            accumulated.append(convert(inst.expiry, int256))

    # oracle.mark_series: the mark at the updated underlying; a final price drops the series
    settled_e6: uint256 = 0
    if now >= inst.expiry:
        fixed: records.SettlementPrice = empty(records.SettlementPrice)
        found, fixed = state.get_settlement(inst.underlying_id, inst.expiry)
        settled_e6 = fixed.price_e6
    ok: bool = False
    mark: records.Mark = empty(records.Mark)
    ok, mark = staticcall MARKS.compute_mark(inst.strike_e6, inst.expiry, inst.is_call, inst.underlying_id,
                                        body.index_price_e6, surface, rate_e6, now, settled_e6)
    if not ok:
        state.begin(pre_root)  # steps.body_step: the step's writes undone
        return machine.fail(c, FIELD_OUT_OF_RANGE)
    state.put_mark(instrument_id, mark)
    if settled_e6 != 0:
        dropped.append(convert(position, int256))
    position += 1
    if position == len(before.instruments):
        return self._finish(c, before, body, surface, dropped)
    regs: DynArray[int256, MAX_ORACLE_REGS] = [convert(position, int256), rate_e6, convert(len(accumulated), int256)]
    for e: int256 in accumulated:
        regs.append(e)
    for d: int256 in dropped:
        regs.append(d)
    return machine.goto(c, ORACLE_MARK, regs)


@internal
def _finish(c: cursor.Cursor, before: records.Underlying, body: tx_types.OracleUpdate,
            surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS],
            dropped: DynArray[int256, MAX_ORACLE_REGS]) -> cursor.Cursor:
    """
    @dev Twin of node/stf/oracle.py::_finish: the underlying with the update's index,
         surface, sequence and observation time, oracle time = the block's, the series at
         positions `dropped` (ascending) left out; then the transaction ends.
    """
    after: records.Underlying = before
    after.index_price_e6 = body.index_price_e6
    after.oracle_time = c.time
    after.surface = surface
    after.oracle_sequence = body.sequence
    after.observation_time = body.observation_time
    live: DynArray[uint256, MAX_INSTRUMENTS] = []
    next_drop: uint256 = 0
    for k: uint256 in range(MAX_INSTRUMENTS):
        if k >= len(before.instruments):
            break
        if next_drop < len(dropped) and dropped[next_drop] == convert(k, int256):
            next_drop += 1
            continue
        live.append(before.instruments[k])
    after.instruments = live
    state.put_underlying(body.underlying_id, after)
    return machine.end_tx(c)
