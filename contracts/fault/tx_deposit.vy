# pragma version 0.4.3
"""
@title tx_deposit
@notice A piece of the tx family (`steps_tx.vy`, which DELEGATECALLs it): the deposit's
        steps, twins of `node/stf/transfers.py::deposit_step` (DepositPhase DEPOSIT 93:
        `_credit`, then `auction.py::recovery_needs_sum`) and `deposit_recovery_step`
        (DEPOSIT_RECOVERY 94: `auction.py::end_if_summary_recovered`).
@dev Amounts in collateral units e6. Runs in the entry's context (the state it began, the
     same transient slots); the step's writes are applied by `state.commit()`. A failure
     (`_credit`'s TxFailure, before any write) returns `pre_root`: `body_step` undoes the
     failing step's writes. The answer says what the entry does to the cursor: END_TX
     (`_deposited`: end_tx), FAIL with a code (`steps.fail`), or CALL (`begin_body`, then
     `call_margin(recipient, Query.SUMMARY, DEPOSIT_RECOVERY, ())`).
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.errors as errors
import fault.lib.tx_codec as tx_codec
import fault.lib.tx_types as tx_types

initializes: state
initializes: accounts[state := state]

DEPOSIT: constant(uint256) = 93  # transfers.DepositPhase.DEPOSIT
DEPOSIT_RECOVERY: constant(uint256) = 94  # transfers.DepositPhase.DEPOSIT_RECOVERY
MAX_AMOUNT_E6: constant(uint256) = 2**63 - 1  # params.MAX_AMOUNT_E6
SUMMARY_REGS: constant(uint256) = 5  # margin_steps._summary_regs: (cash, value, maintenance, initial, complete)

# What the entry does to the cursor after the step.
END_TX: constant(uint256) = 1
FAIL: constant(uint256) = 2
CALL: constant(uint256) = 3


@external
def step(pre_root: bytes32, phase: uint256, raw_tx: Bytes[tx_codec.MAX_TX_BYTES],
         regs: DynArray[int256, SUMMARY_REGS]) -> (bytes32, uint256, uint256, address):
    """
    @notice One step of phase `phase` (DEPOSIT or DEPOSIT_RECOVERY) of the deposit whose
            envelope is `raw_tx` with the running registers `regs`:
            `(post_root, action, failure code, recipient)`.
    @dev The envelope is decoded again (steps.py::tx_of): one that is not a valid deposit
         is refused (Python: TxDecodeError or AttributeError).
    """
    d: tx_types.Deposit = tx_codec.deposit(tx_codec.body(raw_tx, tx_types.DEPOSIT))
    if phase == DEPOSIT:
        root: bytes32 = empty(bytes32)
        action: uint256 = 0
        code: uint256 = 0
        root, action, code = self._deposit(pre_root, d.deposit_index, d.recipient, d.amount_e6)
        return root, action, code, d.recipient
    assert phase == DEPOSIT_RECOVERY, "steps_tx: not a deposit phase"
    recipient: address = d.recipient
    # auction.py::end_if_summary_recovered (a summary that is not 5 registers: Python's
    # unpacking raises, the proof is refused)
    assert len(regs) == SUMMARY_REGS, "steps_tx: a margin summary is 5 registers"
    if regs[4] == 0 or regs[0] + regs[1] >= regs[2]:
        state.delete_auction(recipient)
    return state.commit(), END_TX, errors.OK, recipient


@internal
def _deposit(pre_root: bytes32, deposit_index: uint256, recipient: address, amount_e6: uint256) -> (
        bytes32, uint256, uint256):
    """
    @dev transfers.py::deposit_step: `_credit` (queue order, amount range; BAD_RECIPIENT
         cannot happen: the recipient is an `address` field, 20 bytes, or TX_START refused
         the envelope), then `auction.py::recovery_needs_sum` on the account as credited.
    """
    found: bool = False
    g: records.Globals = empty(records.Globals)
    found, g = state.get_globals()
    assert found, "steps_tx: Globals missing"
    if deposit_index != g.next_deposit_index:
        return pre_root, FAIL, errors.DEPOSIT_OUT_OF_ORDER
    if amount_e6 == 0 or amount_e6 > MAX_AMOUNT_E6:
        return pre_root, FAIL, errors.ZERO_AMOUNT
    account: records.Account = accounts.load(recipient)
    account.balance_e6 += convert(amount_e6, int256)
    accounts.store(recipient, account)
    g = accounts.get_globals()  # the write above moved the loss index's totals
    g.next_deposit_index += 1
    g.total_deposited_e6 += amount_e6
    state.put_globals(g)
    # auction.py::recovery_needs_sum: the auction is read only for a balance >= 0
    action: uint256 = END_TX
    if account.balance_e6 >= 0:
        auction: records.Auction = empty(records.Auction)
        found, auction = state.get_auction(recipient)
        if found:
            if len(account.positions) == 0:
                state.delete_auction(recipient)
            else:
                action = CALL
    return state.commit(), action, errors.OK
