# pragma version 0.4.3
"""
@title oracle_steps
@notice The rules of an OracleUpdate as steps: twins of `node/stf/oracle.py::oracle_check_step`
        (OraclePhase 70) and `oracle_mark_step` (71), with `check_update`, `mark_series`,
        `_finish` and `node/stf/settlement.py::accumulate_expiry` as they call them.
@dev Prices e6, times unix seconds, the rate e6 per year. A step returns what it does to the
     cursor as an `Outcome` (GOTO ORACLE_MARK with registers, after `begin_body` when the
     step is ORACLE_CHECK; END_TX; FAIL = `steps.fail` on the step's own cursor after
     `body_step` undid its writes); the entry (`steps_oracle.vy`) makes it on the cursor.
     ORACLE_MARK's registers are (position, rate_e6, n, *accumulated, *dropped): at most
     3 + 256 + 256 (one accumulated expiry and one dropped position per series, and an
     underlying lists at most MAX_INSTRUMENTS_PER_UNDERLYING series). The Mark is computed
     by the stateless contract `oracle_marks.vy` (address given by the caller), which also
     decodes the update's envelope (`oracle_update`). A key is
     read only where Python reads it (the witness holds no other).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.tx_types as tx_types
import fault.lib.oracle_math as oracle_math
import fault.lib.settle_math as settle_math

uses: state

ORACLE_CHECK: constant(uint256) = 70  # oracle.OraclePhase
ORACLE_MARK: constant(uint256) = 71
MAX_INSTRUMENTS: constant(uint256) = 256  # params.MAX_INSTRUMENTS_PER_UNDERLYING
MAX_ORACLE_REGS: constant(uint256) = 3 + 2 * MAX_INSTRUMENTS
MAX_TX: constant(uint256) = 2048  # tx_codec.MAX_TX_BYTES

# What a step does to the cursor (`Outcome.action`), as matching.vy numbers them.
GOTO: constant(uint256) = 0
END_TX: constant(uint256) = 4
FAIL: constant(uint256) = 5

# errors.FailureCode
OK: constant(uint256) = 0
UNAUTHORISED_SIGNER: constant(uint256) = 106
FIELD_OUT_OF_RANGE: constant(uint256) = 108
UNKNOWN_UNDERLYING: constant(uint256) = 600


struct Outcome:
    action: uint256  # GOTO (to ORACLE_MARK), END_TX or FAIL
    code: uint256  # FAIL: the failure code
    regs: DynArray[int256, MAX_ORACLE_REGS]  # GOTO: ORACLE_MARK's registers


interface Marks:
    def compute_mark(strike_e6: uint256, expiry: uint256, is_call: bool, underlying_id: uint256, index_e6: uint256,
                     points: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS], rate_e6: int256,
                     now: uint256, settlement_price_e6: uint256) -> (bool, records.Mark): pure
    def oracle_update(envelope: Bytes[MAX_TX]) -> tx_types.OracleUpdate: pure


@internal
def step(phase: uint256, now: uint256, sender: address, envelope: Bytes[MAX_TX],
         regs: DynArray[int256, MAX_ORACLE_REGS], marks: address) -> Outcome:
    """
    @notice One step of phase `phase` (70 or 71) at block time `now` of the OracleUpdate `envelope`
            (its envelope, accepted by TX_START) signed by `sender`, with the running registers.
    """
    body: tx_types.OracleUpdate = staticcall Marks(marks).oracle_update(envelope)
    surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS] = []
    for p: tx_types.VolPoint in body.surface:
        surface.append(records.VolPoint(
            expiry=p.expiry, atm_vol_e6=p.atm_vol_e6, skew_e6=p.skew_e6, curvature_e6=p.curvature_e6))
    if phase == ORACLE_CHECK:
        return self._check(now, sender, body, surface)
    assert phase == ORACLE_MARK, "steps_oracle: not an oracle phase"
    return self._mark(now, body, surface, regs, marks)


@internal
def _check(now: uint256, sender: address, body: tx_types.OracleUpdate,
           surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS]) -> Outcome:
    """
    @notice Twin of node/stf/oracle.py::oracle_check_step: check_update's checks in its
            order (a failure writes nothing), then the underlying stored at once when it
            lists no series, else ORACLE_MARK with registers (0, rate_e6, 0).
    """
    found: bool = False
    config: records.Config = empty(records.Config)
    found, config = state.get_config()
    assert found, "steps_oracle: Config missing"
    if sender not in config.oracles:
        return Outcome(action=FAIL, code=UNAUTHORISED_SIGNER, regs=[])
    before: records.Underlying = empty(records.Underlying)
    found, before = state.get_underlying(body.underlying_id)
    if not found:
        return Outcome(action=FAIL, code=UNKNOWN_UNDERLYING, regs=[])
    code: uint256 = oracle_math.check_sequencing(
        before.oracle_sequence, before.observation_time, now, body.sequence, body.observation_time)
    if code == OK:
        code = oracle_math.check_index(body.index_price_e6)
    if code == OK:
        code = oracle_math.validate_surface(surface)
    if code != OK:
        return Outcome(action=FAIL, code=code, regs=[])
    if len(before.instruments) == 0:
        self._finish(now, before, body, surface, [])
        return Outcome(action=END_TX, code=OK, regs=[])
    return Outcome(action=GOTO, code=OK, regs=[0, convert(config.rate_e6, int256), 0])


@internal
def _mark(now: uint256, body: tx_types.OracleUpdate,
          surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS],
          regs: DynArray[int256, MAX_ORACLE_REGS], marks: address) -> Outcome:
    """
    @notice Twin of node/stf/oracle.py::oracle_mark_step (mark_series inlined): the series
            at `position` of the underlying's list as stored before the update; its
            expiry's window accumulated unless this update did already; its Mark; on the
            last position, the underlying (`_finish`). A math-domain error of the Mark
            fails the transaction, the step's writes undone.
    """
    assert len(regs) >= 3 and regs[0] >= 0 and regs[2] >= 0, "steps_oracle: mark registers"
    position: uint256 = convert(regs[0], uint256)
    rate_e6: int256 = regs[1]
    n_acc: uint256 = convert(regs[2], uint256)
    assert 3 + n_acc <= len(regs), "steps_oracle: mark registers"
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
        if i >= len(regs):
            break
        if i < 3 + n_acc:
            accumulated.append(regs[i])
            seen = seen or regs[i] == convert(inst.expiry, int256)
        else:
            dropped.append(regs[i])

    # settlement.accumulate_expiry (its early returns first: it reads the record only after them)
    if not seen and self._window_touched(before, now, inst.expiry):
        record: records.SettlementPrice = empty(records.SettlementPrice)
        found, record = state.get_settlement_price(body.underlying_id, inst.expiry)
        write: bool = False
        added: bool = False
        write, record, added = settle_math.accumulate_expiry(
            before.index_price_e6, before.oracle_time, now, inst.expiry, record)
        if write:
            state.put_settlement_price(body.underlying_id, inst.expiry, record)
        if added:
            accumulated.append(convert(inst.expiry, int256))

    # oracle.mark_series: the Mark at the updated underlying; a final price drops the series
    settled_e6: uint256 = 0
    if now >= inst.expiry:
        fixed: records.SettlementPrice = empty(records.SettlementPrice)
        found, fixed = state.get_settlement_price(inst.underlying_id, inst.expiry)
        settled_e6 = fixed.price_e6
    ok: bool = False
    mark: records.Mark = empty(records.Mark)
    ok, mark = staticcall Marks(marks).compute_mark(
        inst.strike_e6, inst.expiry, inst.is_call, inst.underlying_id, body.index_price_e6, surface, rate_e6, now,
        settled_e6)
    if not ok:
        return Outcome(action=FAIL, code=FIELD_OUT_OF_RANGE, regs=[])
    state.put_mark(instrument_id, mark)
    if settled_e6 != 0:
        dropped.append(convert(position, int256))
    position += 1
    if position == len(before.instruments):
        self._finish(now, before, body, surface, dropped)
        return Outcome(action=END_TX, code=OK, regs=[])
    out: Outcome = Outcome(action=GOTO, code=OK, regs=[convert(position, int256), rate_e6,
                                                      convert(len(accumulated), int256)])
    for e: int256 in accumulated:
        out.regs.append(e)
    for d: int256 in dropped:
        out.regs.append(d)
    return out


@internal
@pure
def _window_touched(before: records.Underlying, now: uint256, expiry: uint256) -> bool:
    """
    @notice False where node/stf/settlement.py::accumulate_expiry returns before reading
            the record: no index yet, or the window not open yet.
    """
    if before.index_price_e6 == 0:
        return False
    start: uint256 = before.oracle_time
    if expiry >= settle_math.SETTLEMENT_WINDOW:
        start = max(start, expiry - settle_math.SETTLEMENT_WINDOW)
    return not (min(now, expiry) <= start and now < expiry)


@internal
def _finish(now: uint256, before: records.Underlying, body: tx_types.OracleUpdate,
            surface: DynArray[records.VolPoint, oracle_math.MAX_SURFACE_POINTS],
            dropped: DynArray[int256, MAX_ORACLE_REGS]):
    """
    @notice Twin of node/stf/oracle.py::_finish (the write; the entry ends the transaction):
            the underlying with the update's index, surface, sequence and observation time,
            oracle time `now`, without the series at positions `dropped` (ascending, as the
            mark steps append them).
    """
    after: records.Underlying = before
    after.index_price_e6 = body.index_price_e6
    after.oracle_time = now
    after.surface = surface
    after.oracle_sequence = body.sequence
    after.observation_time = body.observation_time
    after.instruments = []
    next_drop: uint256 = 0
    for k: uint256 in range(MAX_INSTRUMENTS):
        if k >= len(before.instruments):
            break
        if next_drop < len(dropped) and dropped[next_drop] == convert(k, int256):
            next_drop += 1
            continue
        after.instruments.append(before.instruments[k])
    state.put_underlying(body.underlying_id, after)
