# pragma version 0.4.3
"""
@title settle_steps
@notice The rules of a Settle as steps: twins of `node/stf/settlement.py::settle_step`
        (SettlePhase 60), `settle_scan_step` (61), `settle_position_step` (62) and
        `settle_recovery_step` (63), with `node/stf/solvency.py::close_out` and the auction
        rules they call (`node/stf/auction.py::recovery_needs_sum`, `end_if_summary_recovered`).
@dev Amounts in collateral units e6, prices e6, sizes contracts e6 (signed). A step returns
     what it does to the cursor as a `matching.Outcome` (GOTO, CALL = `margin_steps.call_margin`,
     END_TX, FAIL = `steps.fail` on the step's own cursor after `body_step` undid its writes);
     the entry (`steps_settle.vy`) makes it on the cursor. Registers: SETTLE_SCAN and
     SETTLE_POSITION (index, cancelled, price_e6); SETTLE_RECOVERY the kept (size, price,
     intrinsic, amount, cancelled, bad debt) then the margin summary (cash, value,
     maintenance, initial, complete). A key is read only where Python reads it (the
     witness holds no other).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.orders as orders
import fault.lib.haircut as haircut
import fault.lib.matching as matching
import fault.lib.oracle_math as oracle_math
import fault.lib.settle_math as settle_math

uses: (state, accounts, orders)

# node/stf/settlement.py SettlePhase
SETTLE: constant(uint256) = 60
SETTLE_SCAN: constant(uint256) = 61
SETTLE_POSITION: constant(uint256) = 62
SETTLE_RECOVERY: constant(uint256) = 63
SUMMARY: constant(int256) = 2  # margin_steps.Query.SUMMARY
SCAN_CHUNK: constant(uint256) = 8  # settlement.SCAN_CHUNK
DONE_REGS: constant(uint256) = 6  # (size, price, intrinsic, amount, cancelled, bad debt)
SUMMARY_REGS: constant(uint256) = 5  # (cash, value, maintenance, initial, complete)

# errors.FailureCode
UNKNOWN_INSTRUMENT: constant(uint256) = 200
INSUFFICIENT_BALANCE: constant(uint256) = 301
SETTLEMENT_NOT_READY: constant(uint256) = 605
NOTHING_TO_SETTLE: constant(uint256) = 606


struct Step:
    # What a settle step reads of its cursor: the phase, the block time and the Settle's
    # account and series (`txtypes.Settle`; its account is an `address` field, 20 bytes, or
    # TX_START refused the envelope: BAD_RECIPIENT cannot arise in a body step).
    phase: uint256
    time: uint256
    account: address
    instrument_id: uint256


@internal
def scan_step(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice One step of phase `s.phase` (SETTLE or SETTLE_SCAN) with the running registers `regs`.
    """
    if s.phase == SETTLE:
        return self._settle(s)
    assert s.phase == SETTLE_SCAN, "steps_settle: not a scan phase"
    return self._scan(s, regs)


@internal
def position_step(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice One step of phase `s.phase` (SETTLE_POSITION or SETTLE_RECOVERY) with the
            running registers `regs`.
    """
    if s.phase == SETTLE_POSITION:
        return self._position(s, regs)
    assert s.phase == SETTLE_RECOVERY, "steps_settle: not a position phase"
    return self._recovery(s, regs)


@internal
def _fail(code: uint256) -> matching.Outcome:
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.FAIL
    out.code = code
    return out


@internal
def _settle(s: Step) -> matching.Outcome:
    """
    @notice Twin of node/stf/settlement.py::settle_step: the series exists, has expired and
            its settlement price is final (settlement.final_price_e6); begin_body, then
            SETTLE_SCAN with registers (0, 0, price_e6).
    """
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(s.instrument_id)
    if not found:
        return self._fail(UNKNOWN_INSTRUMENT)
    if s.time < inst.expiry:
        return self._fail(SETTLEMENT_NOT_READY)
    record: records.SettlementPrice = empty(records.SettlementPrice)
    found, record = state.get_settlement_price(inst.underlying_id, inst.expiry)
    if record.price_e6 == 0:  # absent, or not fixed yet
        return self._fail(SETTLEMENT_NOT_READY)
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.GOTO
    out.begin = True
    out.phase = SETTLE_SCAN
    out.regs = [0, 0, convert(record.price_e6, int256)]
    return out


@internal
def _scan(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/settlement.py::settle_scan_step: up to SCAN_CHUNK of the
            account's open orders from `index`; the first on the series is removed
            (orders.remove_order) and the step ends there with the same index (the list
            shrank); past the list, SETTLE_POSITION.
    """
    assert len(regs) == 3 and regs[0] >= 0, "steps_settle: scan registers"
    index: uint256 = convert(regs[0], uint256)
    open_orders: DynArray[uint256, orders.MAX_OPEN_ORDERS] = accounts.load(s.account).open_orders
    end: uint256 = min(index + SCAN_CHUNK, len(open_orders))
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.GOTO
    out.phase = SETTLE_SCAN
    for k: uint256 in range(SCAN_CHUNK):
        if index >= end:
            break
        order_id: uint256 = open_orders[index]
        found: bool = False
        order: records.Order = empty(records.Order)
        found, order = state.get_order(order_id)
        assert found, "steps_settle: an open order is missing"  # Python: None.instrument_id raises
        if order.instrument_id == s.instrument_id:
            orders.remove_order(order_id, order)
            out.regs = [convert(index, int256), regs[1] + 1, regs[2]]
            return out
        index += 1
    if index >= len(open_orders):
        out.phase = SETTLE_POSITION
    out.regs = [convert(index, int256), regs[1], regs[2]]
    return out


@internal
def _position(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/settlement.py::settle_position_step: the position paid or
            charged at the settlement price (settle_math.settle_cash), the pool's counters,
            close_out when no position is left, INSUFFICIENT_BALANCE for a short that cannot
            pay while it holds others outside an auction; then the auction's recovery (a
            SUMMARY margin call back at SETTLE_RECOVERY when only that can decide), or the end.
    """
    assert len(regs) == 3 and regs[1] >= 0 and regs[2] >= 0, "steps_settle: position registers"
    count: int256 = regs[1]
    price_e6: uint256 = convert(regs[2], uint256)
    account: records.Account = accounts.load(s.account)
    size_e6: int256 = accounts.position(account, s.instrument_id)
    if size_e6 == 0 and count == 0:
        return self._fail(NOTHING_TO_SETTLE)
    found: bool = False
    inst: records.Instrument = empty(records.Instrument)
    found, inst = state.get_instrument(s.instrument_id)
    assert found, "steps_settle: no instrument"
    intrinsic: uint256 = oracle_math.intrinsic_e6(price_e6, inst.strike_e6, inst.is_call)
    amount_e6: int256 = 0
    bad_debt_e6: uint256 = 0
    if size_e6 != 0:
        g: records.Globals = accounts.get_globals()
        paid_in: uint256 = 0
        paid_out: uint256 = 0
        amount_e6, paid_in, paid_out = settle_math.settle_cash(size_e6, intrinsic)
        g.settlement_paid_in_e6 += paid_in
        g.settlement_paid_out_e6 += paid_out
        state.put_globals(g)
        ok: bool = False
        ok, account.positions = accounts.positions_with(account.positions, s.instrument_id, -size_e6)
        account.balance_e6 += amount_e6
        accounts.store(s.account, account)
        if len(account.positions) == 0:  # nothing left: cover a deficit, end any auction
            bad_debt_e6 = self._close_out(s.account)
        elif account.balance_e6 < 0:  # a short that cannot pay while it holds other positions
            auction: records.Auction = empty(records.Auction)
            found, auction = state.get_auction(s.account)
            if not found:  # (allowed only under liquidation)
                return self._fail(INSUFFICIENT_BALANCE)
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.END_TX
    if self._recovery_needs_sum(s.account, accounts.load(s.account)):
        out.action = matching.CALL
        out.phase = SETTLE_RECOVERY
        out.regs = [size_e6, regs[2], convert(intrinsic, int256), amount_e6, count, convert(bad_debt_e6, int256)]
        out.who = s.account
        out.query = SUMMARY
    return out


@internal
def _recovery(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/settlement.py::settle_recovery_step with
            auction.end_if_summary_recovered: the auction ends unless the complete summary
            (registers 6 to 10) is below maintenance.
    """
    assert len(regs) == DONE_REGS + SUMMARY_REGS, "steps_settle: recovery registers"
    if regs[10] == 0 or regs[6] + regs[7] >= regs[8]:
        state.delete_auction(s.account)
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.END_TX
    return out


@internal
def _recovery_needs_sum(owner: address, account: records.Account) -> bool:
    """
    @notice Twin of node/stf/auction.py::recovery_needs_sum: ends the auction here when no
            margin sum is needed (no position, cash >= 0); True when only a summary decides.
    """
    if account.balance_e6 < 0:
        return False
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    found, auction = state.get_auction(owner)
    if not found:
        return False
    if len(account.positions) == 0:
        state.delete_auction(owner)
        return False
    return True


@internal
def _close_out(owner: address) -> uint256:
    """
    @notice Twin of node/stf/solvency.py::close_out: end the auction if one is open, then
            cover_deficit (the account's negative cash covered by the insurance fund, the
            fee pool, then socialised: haircut.cover). Returns the bad debt (e6).
    """
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    found, auction = state.get_auction(owner)
    if found:
        state.delete_auction(owner)
    account: records.Account = accounts.load(owner)
    if account.balance_e6 >= 0:
        return 0
    deficit: uint256 = convert(-account.balance_e6, uint256)
    account.balance_e6 = 0
    accounts.store(owner, account)
    state.put_globals(haircut.cover(accounts.get_globals(), deficit))
    return deficit
