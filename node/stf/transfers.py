"""Collateral in and out: deposits from L1 and withdrawal requests to L1.

Conservation of collateral (``records.Globals``) is checked after every block in the
tests; there "withdrawn" counts every withdrawal request debited on L2 (each one becomes a
``Withdrawal`` record that the L1 portal pays out once its state root is final).
"""

from __future__ import annotations

from dataclasses import replace

from node.stf import accounts, auction, keys, margin
from node.stf.errors import FailureCode, TxFailure
from node.stf.params import MAX_AMOUNT_E6
from node.stf.records import Globals, Withdrawal
from node.stf.state import State
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


def apply_withdraw(state: State, block_number: int, sender: bytes, tx: Withdraw) -> int:
    """Debit ``amount_e6`` and record a withdrawal claimable on L1. Returns its index.

    Fails if the balance is short or the account, its resting orders counted, would then
    miss initial margin (``margin.initial_failure`` gives the code). Ends the sender's
    liquidation auction if it has recovered (``auction.py``).
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
    after = replace(account, balance_e6=account.balance_e6 - tx.amount_e6)
    code = margin.initial_failure(state, after)
    if code != FailureCode.OK:
        raise TxFailure(code, "withdrawal would breach initial margin")
    accounts.store(state, sender, after)
    auction.end_if_recovered(state, sender, after)
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
