# pragma version 0.4.3
"""
@title liquidate_steps
@notice The rules of the liquidation steps (LiquidatePhase 50-59), twin of
        node/stf/liquidation.py (stepped form; its module docstring states rules 1-9).
        Each `phase_*` function is the body step of the same name there: it reads and
        writes the state through `state` / `accounts` and answers the cursor move as an
        `Outcome`, which the entry `steps_liquidate.vy` makes on the cursor (as
        node/stf/steps.py's helpers do). A FAIL outcome means the step's writes are undone
        (the piece commits nothing and returns the pre-root: node/stf/steps.py::body_step).
@dev Registers are int256 (the cursor's); amounts e6, sizes e6, times in seconds. The
     arithmetic is liquidation_math.vy's. Margin sums go through the margin sub-machine
     (CALL outcomes: node/stf/margin_steps.py::call_margin); their answers come back in the
     registers, as in Python. A step reads only keys its Python twin reads, in the same
     cases (the witness holds the nodes of those keys only).
     LIQ_CANCEL's order removal (`orders.remove_order`) is the piece's (`liquidate_open.vy`):
     `cancel_first` names the order, `after_cancel` moves on.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.haircut as haircut
import fault.lib.liquidation_math as liquidation_math
from fault.lib import errors

uses: state
uses: accounts

# node/stf/liquidation.py::LiquidatePhase
LIQUIDATE: constant(uint256) = 50
LIQ_ASSESS: constant(uint256) = 51
LIQ_CANCEL: constant(uint256) = 52
LIQ_MOVE: constant(uint256) = 53
LIQ_TERMS: constant(uint256) = 54
LIQ_APPLY: constant(uint256) = 55
LIQ_CHECK: constant(uint256) = 56
LIQ_RISK: constant(uint256) = 57
LIQ_RECOVERY: constant(uint256) = 58
LIQ_BEFORE: constant(uint256) = 59
RESTORE: constant(uint256) = 4  # steps.Phase.RESTORE

# node/stf/margin_steps.py::Query
INITIAL: constant(int256) = 0
BACKING: constant(int256) = 1
SUMMARY: constant(int256) = 2

MAX_LIQ_REGS: constant(uint256) = 16  # the longest: LIQ_RISK's 9 + 6 = 15

# What a step does to the cursor (Outcome.action), as node/stf/steps.py's helpers
GOTO: constant(uint256) = 0  # goto(cursor, phase, regs)
CALL: constant(uint256) = 1  # margin_steps.call_margin(cursor, who, query, phase, regs)
TO_RESTORE: constant(uint256) = 2  # restore_then(cursor, depth, phase, regs)
END_TX: constant(uint256) = 4  # end_tx(cursor)
FAIL: constant(uint256) = 5  # fail(the step's own cursor, code)


struct Outcome:
    action: uint256
    phase: uint256  # GOTO: the next phase; CALL: the return phase; TO_RESTORE: the phase after
    regs: DynArray[int256, MAX_LIQ_REGS]  # GOTO / TO_RESTORE: the registers; CALL: kept ones
    code: uint256  # FAIL: the failure code
    who: address  # CALL: whose margin
    query: int256  # CALL: margin_steps.Query
    begin: bool  # steps.begin_body first: saved = (pre-root,)
    push: bool  # steps.checkpoint_push: saved += (pre-root,)
    pop: bool  # saved = saved[:-1] (LIQ_CHECK: the transfer stands)
    depth: uint256  # TO_RESTORE: the checkpoint restored


struct Step:
    # What a liquidation step reads of its cursor (node/stf/txtypes.py::Liquidate body).
    phase: uint256
    time: uint256
    sender: address
    target: address  # Liquidate.account
    instrument_id: uint256
    size_e6: uint256
    saved: uint256  # len(cursor.saved)


@internal
@pure
def _fail(code: uint256) -> Outcome:
    return Outcome(action=FAIL, phase=0, regs=[], code=code, who=empty(address), query=0, begin=False,
                   push=False, pop=False, depth=0)


@internal
@pure
def _goto(phase: uint256, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    return Outcome(action=GOTO, phase=phase, regs=regs, code=0, who=empty(address), query=0, begin=False,
                   push=False, pop=False, depth=0)


@internal
@pure
def _call(who: address, query: int256, phase: uint256, keep: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    return Outcome(action=CALL, phase=phase, regs=keep, code=0, who=who, query=query, begin=False,
                   push=False, pop=False, depth=0)


@internal
@pure
def _end() -> Outcome:
    return Outcome(action=END_TX, phase=0, regs=[], code=0, who=empty(address), query=0, begin=False,
                   push=False, pop=False, depth=0)


@internal
@pure
def _head(regs: DynArray[int256, MAX_LIQ_REGS], n: uint256) -> DynArray[int256, MAX_LIQ_REGS]:
    """regs[:n] (reverts if shorter: Python's unpacking would raise)."""
    out: DynArray[int256, MAX_LIQ_REGS] = []
    for i: uint256 in range(MAX_LIQ_REGS):
        if i == n:
            break
        out.append(regs[i])
    return out


@internal
@pure
def _regs(regs: DynArray[int256, MAX_LIQ_REGS], n: uint256):
    """A step's registers are exactly `n` where Python unpacks them all (a shorter list
    elsewhere reverts at its first missing index, where Python's indexing raises)."""
    assert len(regs) == n, "liquidate: registers"


@internal
def phase_liquidate(s: Step) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_step: begin_body, SELF_LIQUIDATION, then the
            account's Query.SUMMARY into LIQ_ASSESS. (BAD_RECIPIENT cannot happen on L1:
            TX_START decoded the account as 20 bytes, tx_codec.py.)
    """
    if s.target == s.sender:
        return self._fail(errors.SELF_LIQUIDATION)  # on the step's own cursor: no checkpoint taken
    out: Outcome = self._call(s.target, SUMMARY, LIQ_ASSESS, [])
    out.begin = True
    return out


@internal
def phase_assess(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_assess_step (rules 1-2) with the summary
            (cash, value, M, initial, complete) in the registers.
    """
    self._regs(regs, 5)
    account: records.Account = accounts.load(s.target)
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    found, auction = state.get_auction(s.target)
    equity: int256 = regs[0] + regs[1]
    maintenance: int256 = regs[2]
    if len(account.positions) == 0 or not liquidation_math.below_maintenance(regs[0], regs[1], regs[2], regs[4]):
        if found and account.balance_e6 >= 0:  # recovered (rule 8)
            state.delete_auction(s.target)
            return self._end()
        return self._fail(errors.NOT_LIQUIDATABLE)
    if not found:
        auction = records.Auction(start_time=s.time)
        state.put_auction(s.target, auction)
        if len(account.open_orders) != 0:
            return self._goto(LIQ_CANCEL, [equity, maintenance, convert(s.time, int256), 0])
    return self._goto(LIQ_MOVE, [equity, maintenance, convert(auction.start_time, int256), 0])


@internal
def cancel_first(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> (uint256, records.Order):
    """
    @notice liquidation.py::liquidate_cancel_step up to its `remove_order`: the account's
            first open order (its id and record), which the piece removes.
    """
    self._regs(regs, 4)
    order_id: uint256 = accounts.load(s.target).open_orders[0]
    found: bool = False
    order: records.Order = empty(records.Order)
    found, order = state.get_order(order_id)
    assert found, "liquidate: open order missing"  # the STF keeps every listed order
    return order_id, order


@internal
def after_cancel(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice liquidation.py::liquidate_cancel_step after its `remove_order`: LIQ_CANCEL again
            while the account has an open order, else LIQ_MOVE; one more cancelled.
    """
    phase: uint256 = LIQ_MOVE
    if len(accounts.load(s.target).open_orders) != 0:
        phase = LIQ_CANCEL
    return self._goto(phase, [regs[0], regs[1], regs[2], regs[3] + 1])


@internal
def phase_move(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_move_step (rule 3): a size of 0 ends here;
            NOTHING_TO_LIQUIDATE; an account keeping no position goes on with LIQ_TERMS's
            work (M' = 0); otherwise a checkpoint, the account with the position moved, and
            its Query.SUMMARY back through RESTORE to LIQ_TERMS.
    """
    self._regs(regs, 4)
    if s.size_e6 == 0:
        return self._end()
    account: records.Account = accounts.load(s.target)
    position: int256 = accounts.position(account, s.instrument_id)
    if position == 0:
        return self._fail(errors.NOTHING_TO_LIQUIDATE)
    size: uint256 = 0
    moved: int256 = 0
    size, moved = liquidation_math.moved_size(position, s.size_e6)
    if moved == position and len(account.positions) == 1:
        return self.phase_terms(s, [regs[0], regs[1], regs[2], regs[3], 0, 0, 0, 0, 1])
    ok: bool = False
    ok, account.positions = accounts.positions_with(account.positions, s.instrument_id, -moved)
    assert ok  # a position shrinks: never more positions
    accounts.store(s.target, account)
    out: Outcome = self._call(s.target, SUMMARY, RESTORE,
                              [convert(s.saved, int256), convert(LIQ_TERMS, int256), regs[0], regs[1], regs[2],
                               regs[3]])
    out.push = True
    return out


@internal
def _transfer(s: Step, moved: int256, penalty: int256, cash_to_target: int256):
    """
    @notice Twin of liquidation.py::_transfer: the position and the cash move, the
            liquidator stored first, then the account.
    """
    liquidator: records.Account = accounts.load(s.sender)
    target: records.Account = accounts.load(s.target)
    ok: bool = False
    ok, liquidator.positions = accounts.positions_with(liquidator.positions, s.instrument_id, moved)
    assert ok  # checked by LIQ_TERMS
    ok, target.positions = accounts.positions_with(target.positions, s.instrument_id, -moved)
    assert ok  # a position shrinks
    liquidator.balance_e6 -= cash_to_target
    target.balance_e6 += cash_to_target - penalty
    accounts.store(s.sender, liquidator)
    accounts.store(s.target, target)


@internal
def phase_terms(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_terms_step (rules 3-6) with registers
            (E, M, start, cancelled, *summary after): the terms, TOO_MANY_POSITIONS, then a
            checkpoint, the transfer and the liquidator's Query.INITIAL into LIQ_CHECK with
            (cancelled, size, moved, price, schedule, penalty, discount, cash to the account).
    """
    position: int256 = accounts.position(accounts.load(s.target), s.instrument_id)
    size: uint256 = 0
    moved: int256 = 0
    size, moved = liquidation_math.moved_size(position, s.size_e6)
    found: bool = False
    mark: records.Mark = empty(records.Mark)
    found, mark = state.get_mark(s.instrument_id)
    assert found, "liquidate: mark missing"  # a position's series has a mark
    schedule: int256 = liquidation_math.discount_ppm(convert(s.time, int256) - regs[2])
    code: uint256 = 0
    terms: liquidation_math.Terms = empty(liquidation_math.Terms)
    code, terms = liquidation_math.step_terms(regs[0], regs[1], regs[6], schedule, mark.mark_e6, mark.index_e6,
                                              position, size)
    if code != errors.OK:
        return self._fail(code)
    liquidator: records.Account = accounts.load(s.sender)
    if len(liquidator.positions) >= accounts.MAX_POSITIONS and accounts.position(liquidator, s.instrument_id) == 0:
        return self._fail(errors.TOO_MANY_POSITIONS)
    penalty: int256 = convert(terms.penalty_e6, int256)
    self._transfer(s, moved, penalty, terms.cash_to_target_e6)
    out: Outcome = self._call(s.sender, INITIAL, LIQ_CHECK, [
        regs[3], convert(size, int256), moved, convert(terms.price_e6, int256), schedule, penalty,
        convert(terms.discount_e6, int256), terms.cash_to_target_e6])
    out.push = True
    return out


@internal
def phase_check(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_check_step (rule 7) with the liquidator's
            initial-margin code in register 8.
    """
    if regs[8] == convert(errors.OK, int256):
        out: Outcome = self._finish(s, self._head(regs, 7))
        out.pop = True  # saved[:-1]: the transfer stands (made before _finish's effects)
        return out
    if accounts.load(s.sender).balance_e6 < 0:
        return self._fail(errors.INSUFFICIENT_MARGIN)
    return Outcome(action=TO_RESTORE, phase=LIQ_BEFORE, regs=self._head(regs, 8), code=0, who=empty(address),
                   query=0, begin=False, push=False, pop=False, depth=s.saved - 1)


@internal
def phase_apply(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_apply_step: the transfer again, then the
            liquidator's Query.BACKING into LIQ_RISK with (7 transfer registers,
            maintenance before, excess before).
    """
    self._transfer(s, regs[2], regs[5], regs[7])
    keep: DynArray[int256, MAX_LIQ_REGS] = self._head(regs, 7)
    keep.append(regs[11])  # maintenance before
    keep.append(regs[10] - regs[12])  # equity - initial before
    return self._call(s.sender, BACKING, LIQ_RISK, keep)


@internal
def phase_risk(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_risk_step: INSUFFICIENT_MARGIN unless the
            step reduces the liquidator's risk (liquidation_math.risk_reduced).
    """
    if not liquidation_math.risk_reduced(regs[7], regs[8], regs[10], regs[11], regs[12], regs[13], regs[14]):
        return self._fail(errors.INSUFFICIENT_MARGIN)
    return self._finish(s, self._head(regs, 7))


@internal
def phase_recovery(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::liquidate_recovery_step with
            auction.py::end_if_summary_recovered (summary in registers 7 to 11).
    """
    self._regs(regs, 12)
    if not liquidation_math.below_maintenance(regs[7], regs[8], regs[9], regs[11]):
        state.delete_auction(s.target)
    return self._end()


@internal
def _finish(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice Twin of liquidation.py::_finish (rules 6 and 9): the penalty (register 5) into
            the insurance fund; an account left without positions is closed out
            (solvency.py::close_out), otherwise auction.py::recovery_needs_sum decides
            whether a Query.SUMMARY into LIQ_RECOVERY follows (the auction is read only
            when the balance is not negative, as there).
    """
    g: records.Globals = accounts.get_globals()
    g.insurance_fund_e6 += convert(regs[5], uint256)
    state.put_globals(g)
    account: records.Account = accounts.load(s.target)
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    if len(account.positions) == 0:
        found, auction = state.get_auction(s.target)
        if found:
            state.delete_auction(s.target)
        self._cover_deficit(s.target, account)
        return self._end()
    if account.balance_e6 < 0:
        return self._end()
    found, auction = state.get_auction(s.target)
    if not found:
        return self._end()
    return self._call(s.target, SUMMARY, LIQ_RECOVERY, regs)


@internal
def _cover_deficit(owner: address, account: records.Account):
    """
    @notice Twin of solvency.py::cover_deficit (`account` is `accounts.load(owner)`, read
            after the auction's delete, which no account read depends on): a negative
            balance set to zero, the deficit paid by the insurance fund, the fee pool,
            then socialised (haircut.cover).
    """
    if account.balance_e6 >= 0:
        return
    deficit: uint256 = convert(-account.balance_e6, uint256)
    zeroed: records.Account = account
    zeroed.balance_e6 = 0
    accounts.store(owner, zeroed)
    state.put_globals(haircut.cover(accounts.get_globals(), deficit))


@internal
def step_open(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice The steps of the piece liquidate_open.vy but LIQ_CANCEL: LIQUIDATE, LIQ_ASSESS
            and LIQ_BEFORE (the liquidator's Query.BACKING into LIQ_APPLY,
            liquidation.py::liquidate_before_step).
    """
    if s.phase == LIQUIDATE:
        return self.phase_liquidate(s)
    if s.phase == LIQ_ASSESS:
        return self.phase_assess(s, regs)
    assert s.phase == LIQ_BEFORE, "liquidate: not an open-piece phase"
    return self._call(s.sender, BACKING, LIQ_APPLY, regs)


@internal
def step_transfer(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice The steps of the piece liquidate_transfer.vy: LIQ_MOVE, LIQ_TERMS and LIQ_APPLY.
    """
    if s.phase == LIQ_MOVE:
        return self.phase_move(s, regs)
    if s.phase == LIQ_TERMS:
        return self.phase_terms(s, regs)
    assert s.phase == LIQ_APPLY, "liquidate: not a transfer-piece phase"
    return self.phase_apply(s, regs)


@internal
def step_finish(s: Step, regs: DynArray[int256, MAX_LIQ_REGS]) -> Outcome:
    """
    @notice The steps of the piece liquidate_finish.vy: LIQ_CHECK, LIQ_RISK and LIQ_RECOVERY.
    """
    if s.phase == LIQ_CHECK:
        return self.phase_check(s, regs)
    if s.phase == LIQ_RISK:
        return self.phase_risk(s, regs)
    assert s.phase == LIQ_RECOVERY, "liquidate: not a finish-piece phase"
    return self.phase_recovery(s, regs)
