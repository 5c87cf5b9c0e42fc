# pragma version 0.4.3
"""
@title account_steps
@notice The rules of cancel-all and withdraw as steps: twins of
        `node/stf/orders.py::cancel_all_step` (CancelPhase 80) and of
        `node/stf/transfers.py::withdraw_step` / `withdraw_checked_step` /
        `withdraw_recovery_step` (WithdrawPhase 90-92) with `_debit` and the auction rules
        they call (`node/stf/auction.py::recovery_needs_sum`, `end_if_summary_recovered`).
@dev Amounts in collateral units e6. A step returns what it does to the cursor as a
     `matching.Outcome` (the place family's: GOTO, CALL = `margin_steps.call_margin`,
     END_TX, FAIL = `steps.fail` after `body_step` undid the step's writes); the entry
     (`steps_account.vy`) makes it on the cursor. The withdraw's margin checks run in the
     margin family (MarginPhase 40): this module pushes the call and reads its answer from
     the registers. Removing an order is the place family's `orders.remove_order`, run by
     DELEGATECALL in its piece `place_ops.vy` (`place_ops_call.vy`).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.matching as matching
import fault.lib.place_ops_call as ops

uses: (state, accounts)

# node/stf/orders.py CancelPhase, node/stf/transfers.py WithdrawPhase
CANCEL_ALL: constant(uint256) = 80
WITHDRAW: constant(uint256) = 90
WITHDRAW_CHECKED: constant(uint256) = 91
WITHDRAW_RECOVERY: constant(uint256) = 92

# node/stf/margin_steps.py Query
INITIAL: constant(int256) = 0
SUMMARY: constant(int256) = 2

# errors.FailureCode
OK: constant(uint256) = 0
INSUFFICIENT_BALANCE: constant(uint256) = 301
ZERO_AMOUNT: constant(uint256) = 501

MAX_AMOUNT_E6: constant(uint256) = 2**63 - 1  # params.MAX_AMOUNT_E6
SUMMARY_REGS: constant(uint256) = 6  # (index, cash, value, maintenance, initial, complete)


struct Step:
    # What an account step reads of its cursor: the phase, the block number, the sender,
    # the transaction's operand (CancelAll.instrument_id, Withdraw.amount_e6; 0 otherwise),
    # the Withdraw's recipient, and the place family's ops piece (remove_order).
    phase: uint256
    block: uint256
    sender: address
    arg: uint256
    recipient: address
    ops: address


@internal
def step(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice One step of phase `s.phase` (80, 90, 91 or 92) with the running registers `regs`.
    """
    if s.phase == CANCEL_ALL:
        return self._cancel_all(s, regs)
    if s.phase == WITHDRAW:
        return self._withdraw(s)
    if s.phase == WITHDRAW_CHECKED:
        return self._withdraw_checked(s, regs)
    assert s.phase == WITHDRAW_RECOVERY, "steps_account: not an account phase"
    return self._withdraw_recovery(s, regs)


@internal
def _cancel_all(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/orders.py::cancel_all_step: registers (index, count), empty at
            the first step; one open order of the sender looked at (and removed if it is on
            the instrument, or any when the instrument is 0) per step.
    """
    index: uint256 = 0
    count: uint256 = 0
    if len(regs) != 0:
        assert len(regs) == 2 and regs[0] >= 0 and regs[1] >= 0, "steps_account: cancel-all registers"
        index = convert(regs[0], uint256)
        count = convert(regs[1], uint256)
    account: records.Account = accounts.load(s.sender)
    n: uint256 = len(account.open_orders)
    if index < n:
        order_id: uint256 = account.open_orders[index]
        found: bool = False
        order: records.Order = empty(records.Order)
        found, order = state.get_order(order_id)
        assert found, "steps_account: an open order is missing"  # Python: None.instrument_id raises
        if s.arg != 0 and order.instrument_id != s.arg:
            index += 1
        else:
            ops.remove_order(s.ops, order_id, order)
            n = len(accounts.load(s.sender).open_orders)
            count += 1
    out: matching.Outcome = empty(matching.Outcome)
    if index >= n:
        out.action = matching.END_TX
        return out
    out.action = matching.GOTO
    out.phase = CANCEL_ALL
    out.regs = [convert(index, int256), convert(count, int256)]
    return out


@internal
def _withdraw(s: Step) -> matching.Outcome:
    """
    @notice Twin of node/stf/transfers.py::withdraw_step: begin_body, `_debit` (the amount
            checked and debited, a Withdrawal recorded, the globals' counters), then the
            sender's initial margin (Query.INITIAL), back at WITHDRAW_CHECKED with (index,).
            A failure writes nothing (body_step).
    """
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.FAIL
    # _debit. (BAD_RECIPIENT: a Withdraw's recipient is an `address` field, 20 bytes, or
    # TX_START refused the envelope: no body step sees another length.)
    if s.arg == 0 or s.arg > MAX_AMOUNT_E6:
        out.code = ZERO_AMOUNT
        return out
    amount: int256 = convert(s.arg, int256)
    account: records.Account = accounts.load(s.sender)
    if account.balance_e6 < amount:
        out.code = INSUFFICIENT_BALANCE
        return out
    account.balance_e6 -= amount
    accounts.store(s.sender, account)
    g: records.Globals = accounts.get_globals()  # after the store: it may move the loss index's totals
    index: uint256 = g.next_withdrawal_index
    state.put_withdrawal(index, records.Withdrawal(
        sender=s.sender, recipient=s.recipient, amount_e6=s.arg, block_number=s.block))
    g.next_withdrawal_index = index + 1
    g.total_withdrawn_e6 += s.arg
    state.put_globals(g)
    out.action = matching.CALL
    out.begin = True
    out.phase = WITHDRAW_CHECKED
    out.regs = [convert(index, int256)]
    out.who = s.sender
    out.query = INITIAL
    return out


@internal
def _withdraw_checked(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/transfers.py::withdraw_checked_step: registers (index, code);
            a margin failure fails the transaction with its code; otherwise
            auction.recovery_needs_sum (which may end the auction here), then a SUMMARY call
            back at WITHDRAW_RECOVERY with (index,), or the end.
    """
    assert len(regs) == 2 and regs[0] >= 0 and regs[1] >= 0, "steps_account: withdraw registers"
    out: matching.Outcome = empty(matching.Outcome)
    if regs[1] != 0:
        out.action = matching.FAIL
        out.code = convert(regs[1], uint256)
        return out
    # auction.py::recovery_needs_sum, reading what Python reads (the account first: a
    # witness without it is refused, as Python refuses it)
    out.action = matching.END_TX
    account: records.Account = accounts.load(s.sender)
    if account.balance_e6 < 0:
        return out
    found: bool = False
    auction: records.Auction = empty(records.Auction)
    found, auction = state.get_auction(s.sender)
    if not found:
        return out
    if len(account.positions) == 0:
        state.delete_auction(s.sender)
        return out
    out.action = matching.CALL
    out.phase = WITHDRAW_RECOVERY
    out.regs = [regs[0]]
    out.who = s.sender
    out.query = SUMMARY
    return out


@internal
def _withdraw_recovery(s: Step, regs: DynArray[int256, matching.MAX_PLACE_REGS]) -> matching.Outcome:
    """
    @notice Twin of node/stf/transfers.py::withdraw_recovery_step with
            auction.py::end_if_summary_recovered: registers (index, cash, value,
            maintenance, initial, complete); the auction ends unless the complete summary
            is below maintenance.
    """
    assert len(regs) == SUMMARY_REGS, "steps_account: withdraw registers"
    if regs[5] == 0 or regs[1] + regs[2] >= regs[3]:
        state.delete_auction(s.sender)
    out: matching.Outcome = empty(matching.Outcome)
    out.action = matching.END_TX
    return out
