"""Collateral in and out: deposits from L1 and withdrawal requests to L1.

A withdrawal runs as steps (``WithdrawPhase``): debit and record, the sender's initial
margin (its resting orders counted) on the debited account, then failure or finish.
Conservation of collateral (``records.Globals``) is checked after every block in the
tests; there "withdrawn" counts every withdrawal request debited on L2 (each one becomes a
``Withdrawal`` record that the L1 portal pays out once its state root is final).
"""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum

from node.stf import accounts, auction, keys
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.margin_steps import Query, call_margin
from node.stf.params import MAX_AMOUNT_E6
from node.stf.receipts import Receipt
from node.stf.records import Globals, Withdrawal
from node.stf.state import State
from node.stf.steps import BODY_PHASE, StepIO, begin_body, body_step, end_tx, tx_of
from node.stf.txtypes import Deposit, Withdraw


def apply_deposit(state: State, tx: Deposit) -> None:
    """Credit an L1 deposit; deposits apply strictly in L1 queue order. Ends the recipient's
    liquidation auction if the deposit restored it (``auction.py``)."""
    globals_: Globals = state.get(keys.GLOBALS)
    if tx.deposit_index != globals_.next_deposit_index:
        raise TxFailure(
            FailureCode.DEPOSIT_OUT_OF_ORDER,
            f"deposit {tx.deposit_index}, expected {globals_.next_deposit_index}",
        )
    if len(tx.recipient) != 20:
        raise TxFailure(FailureCode.BAD_RECIPIENT, "recipient must be 20 bytes")
    if not 0 < tx.amount_e6 <= MAX_AMOUNT_E6:
        raise TxFailure(FailureCode.ZERO_AMOUNT, f"amount {tx.amount_e6}")
    account = accounts.with_balance_delta(accounts.load(state, tx.recipient), tx.amount_e6)
    accounts.store(state, tx.recipient, account)
    auction.end_if_recovered(state, tx.recipient, account)
    globals_ = state.get(keys.GLOBALS)  # the write above moved the loss index's totals
    state.put(
        keys.GLOBALS,
        replace(
            globals_,
            next_deposit_index=globals_.next_deposit_index + 1,
            total_deposited_e6=globals_.total_deposited_e6 + tx.amount_e6,
        ),
    )


class WithdrawPhase(IntEnum):
    """The steps of a ``Withdraw``."""

    WITHDRAW = 90
    WITHDRAW_CHECKED = 91
    WITHDRAW_RECOVERY = 92


def _debit(state: State, block_number: int, sender: bytes, tx: Withdraw) -> int:
    """Check and debit ``amount_e6`` and record a withdrawal claimable on L1 (index returned).

    Fails with ``BAD_RECIPIENT``, ``ZERO_AMOUNT`` or ``INSUFFICIENT_BALANCE``. Keys: the
    account and the globals (read, written), the new ``Withdrawal`` record (written).
    """
    if len(tx.recipient) != 20:
        raise TxFailure(FailureCode.BAD_RECIPIENT, "recipient must be 20 bytes")
    if not 0 < tx.amount_e6 <= MAX_AMOUNT_E6:
        raise TxFailure(FailureCode.ZERO_AMOUNT, f"amount {tx.amount_e6}")
    account = accounts.load(state, sender)
    if account.balance_e6 < tx.amount_e6:
        raise TxFailure(
            FailureCode.INSUFFICIENT_BALANCE, f"balance {account.balance_e6} < amount {tx.amount_e6}"
        )
    accounts.store(state, sender, replace(account, balance_e6=account.balance_e6 - tx.amount_e6))
    globals_: Globals = state.get(keys.GLOBALS)
    index = globals_.next_withdrawal_index
    state.put(keys.withdrawal(index), Withdrawal(sender, tx.recipient, tx.amount_e6, block_number))
    state.put(
        keys.GLOBALS,
        replace(
            globals_,
            next_withdrawal_index=index + 1,
            total_withdrawn_e6=globals_.total_withdrawn_e6 + tx.amount_e6,
        ),
    )
    return index


def _withdrawn(state: State, cursor: Cursor, io: StepIO, index: int) -> Cursor:
    return end_tx(state, cursor, io, Receipt(cursor.tx_hash, FailureCode.OK, order_id=index,
                                             detail=f"withdrawal {index}"))


@body_step(WithdrawPhase.WITHDRAW)
def withdraw_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Withdraw``, first step: take the checkpoint, debit the sender and record the
    withdrawal (``_debit``: 3 keys), then the sender's initial margin (``Query.INITIAL``,
    its resting orders counted) on the debited account, returning to ``WITHDRAW_CHECKED``
    with registers ``(index, code)``."""
    cursor = begin_body(state, cursor)
    index = _debit(state, cursor.block, cursor.sender, tx_of(cursor).body)
    return call_margin(cursor, cursor.sender, Query.INITIAL, WithdrawPhase.WITHDRAW_CHECKED, (index,))


@body_step(WithdrawPhase.WITHDRAW_CHECKED)
def withdraw_checked_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Withdraw``: a margin failure (``margin.initial_failure``'s code) fails the
    transaction (``ROLLBACK`` undoes the debit); otherwise the sender's liquidation auction
    ends if it has recovered (``auction.py``; a margin sum, ``WITHDRAW_RECOVERY``, when it
    holds positions). Keys: the account, the globals, the auction."""
    index, code = cursor.regs
    if code != FailureCode.OK:
        raise TxFailure(FailureCode(code), "withdrawal would breach initial margin")
    if auction.recovery_needs_sum(state, cursor.sender, accounts.load(state, cursor.sender)):
        return call_margin(cursor, cursor.sender, Query.SUMMARY, WithdrawPhase.WITHDRAW_RECOVERY, (index,))
    return _withdrawn(state, cursor, io, index)


@body_step(WithdrawPhase.WITHDRAW_RECOVERY)
def withdraw_recovery_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Withdraw``: end the auction if the summary in the registers ``(index, *summary)``
    is not below maintenance, and finish. Keys: the auction."""
    auction.end_if_summary_recovered(state, cursor.sender, cursor.regs[1:])
    return _withdrawn(state, cursor, io, cursor.regs[0])


BODY_PHASE[Withdraw] = WithdrawPhase.WITHDRAW
