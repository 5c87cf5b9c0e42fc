"""Collateral in and out: deposits from L1 and withdrawal requests to L1.

A withdrawal runs as steps (``WithdrawPhase``): debit and record, the sender's initial
margin (its resting orders counted) on the debited account, then failure or finish.
A deposit runs as steps too (``DepositPhase``): credit, then, only when the recipient is
under a liquidation auction with positions, its margin summary (a margin sum) and the end of
the auction if it has recovered. ``apply_deposit`` is the same rule in one call (the node's
fast body; tests prove it equal to the steps).
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
from node.stf.records import Account, Globals, Withdrawal
from node.stf.state import State
from node.stf.steps import BODY_PHASE, StepIO, begin_body, body_step, end_tx, tx_of
from node.stf.txtypes import Deposit, SignedTx, Withdraw


def _credit(state: State, tx: Deposit) -> Account:
    """Check and credit an L1 deposit (deposits apply strictly in L1 queue order) and count
    it in the globals; returns the recipient's account as written.

    Fails with ``DEPOSIT_OUT_OF_ORDER``, ``BAD_RECIPIENT`` or ``ZERO_AMOUNT``. Keys: the
    globals and the recipient's account (read, written).
    """
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
    globals_ = state.get(keys.GLOBALS)  # the write above moved the loss index's totals
    state.put(
        keys.GLOBALS,
        replace(
            globals_,
            next_deposit_index=globals_.next_deposit_index + 1,
            total_deposited_e6=globals_.total_deposited_e6 + tx.amount_e6,
        ),
    )
    return account


def apply_deposit(state: State, tx: Deposit) -> None:
    """Credit an L1 deposit in one call (``_credit``) and end the recipient's liquidation
    auction if the deposit restored it (``auction.py``): the steps ``DEPOSIT`` and
    ``DEPOSIT_RECOVERY`` in one (the node's fast body)."""
    auction.end_if_recovered(state, tx.recipient, _credit(state, tx))


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


class DepositPhase(IntEnum):
    """The steps of a ``Deposit``."""

    DEPOSIT = 93
    DEPOSIT_RECOVERY = 94


def _deposited(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    return end_tx(state, cursor, io, Receipt(cursor.tx_hash, FailureCode.OK))


@body_step(DepositPhase.DEPOSIT)
def deposit_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Deposit``, first step: take the checkpoint and credit the recipient (``_credit``: 2
    keys). If it is under a liquidation auction, ends it when no margin sum is needed
    (``auction.recovery_needs_sum``: 1 key); when one is, its ``Query.SUMMARY`` returns to
    ``DEPOSIT_RECOVERY`` (a margin sum over the recipient's series in one step could exceed
    any step bound). An arithmetic failure in that sum fails the deposit (``ROLLBACK``),
    as in the one-call rule."""
    cursor = begin_body(state, cursor)
    recipient = tx_of(cursor).body.recipient
    account = _credit(state, tx_of(cursor).body)
    if auction.recovery_needs_sum(state, recipient, account):
        return call_margin(cursor, recipient, Query.SUMMARY, DepositPhase.DEPOSIT_RECOVERY, ())
    return _deposited(state, cursor, io)


@body_step(DepositPhase.DEPOSIT_RECOVERY)
def deposit_recovery_step(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    """``Deposit``: end the recipient's auction unless the summary in the registers is below
    maintenance (``auction.end_if_summary_recovered``), and finish. Keys: the auction."""
    auction.end_if_summary_recovered(state, tx_of(cursor).body.recipient, cursor.regs)
    return _deposited(state, cursor, io)


def deposit_fast(state: State, now: int, tx: SignedTx) -> Receipt:
    """The node's fast body of a deposit: ``apply_deposit``, proven equal to its steps."""
    apply_deposit(state, tx.body)
    return Receipt(tx.tx_hash, FailureCode.OK)


BODY_PHASE[Deposit] = DepositPhase.DEPOSIT
