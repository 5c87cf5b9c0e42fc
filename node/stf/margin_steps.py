"""Margin sums as a sub-machine: what rules call between their own steps.

A rule that needs an account's margin in the middle of a multi-step body calls
``call_margin(cursor, address, query, return_phase, keep)``; the sub-machine computes the
query on the state as it is (marks from the state, the account's record as stored) and
returns to ``return_phase`` with registers ``keep + results``:

- ``Query.INITIAL``: ``(code,)``: ``margin.initial_failure`` (``FailureCode.OK`` = meets initial);
- ``Query.BACKING``: ``(cash, free_cash, equity, maintenance, initial, complete)``:
  ``margin.backing`` (collateral units e6; ``complete`` 0 or 1);
- ``Query.SUMMARY``: ``(cash, value, maintenance, initial, complete)``: ``margin.summarise``
  (positions only).

The address travels in the registers as an integer (20 bytes, big-endian).

**Steps.** The sum is ``margin_fold``'s fold over the account's series, ``MARGIN_CHUNK`` (8)
series per step, each step reading the account and at most two records per series plus the
config (18 keys). An account of at most 8 series is answered in the first step, by the
one-shot functions of ``margin.py`` (equal to the fold's ``finish`` by
``tests/node/stf/test_margin_fold.py``); a wider one folds in ``MARGIN_FOLD`` steps with the
partial sums in the registers ``(address, query, stage, next series, *MarginAcc regs)``. An
``INITIAL`` query that fails with resting orders then folds the positions alone (stage 1,
with the stage-0 backing kept in six registers before the sums) to tell
``INSUFFICIENT_MARGIN`` from the orders' codes (``margin.failure_code``). The account
cannot change while the sub-machine runs: nothing else steps in between.
"""

from __future__ import annotations

from enum import IntEnum

from node.stf import accounts, margin, margin_fold
from node.stf.cursor import Cursor
from node.stf.margin_fold import MARGIN_CHUNK, MarginAcc
from node.stf.records import Account
from node.stf.state import State
from node.stf.steps import StepIO, body_step, call, ret


class MarginPhase(IntEnum):
    MARGIN = 40
    MARGIN_FOLD = 41


class Query(IntEnum):
    INITIAL = 0
    BACKING = 1
    SUMMARY = 2


WITH_ORDERS, POSITIONS_ONLY = 0, 1  # fold stages: the account as stored, or its positions alone
BACKING_REGS = 6  # cash, free cash, equity, maintenance, initial, complete


def address_int(address: bytes) -> int:
    return int.from_bytes(address, "big")


def int_address(value: int) -> bytes:
    return value.to_bytes(20, "big")


def call_margin(cursor: Cursor, address: bytes, query: Query, return_phase: int, keep: tuple[int, ...]) -> Cursor:
    """Compute ``query`` for ``address``, then continue at ``return_phase`` with ``keep + results``."""
    return call(cursor, MarginPhase.MARGIN, (address_int(address), int(query)), return_phase, keep)


def _positions_only(account: Account) -> Account:
    return Account(account.balance_e6, positions=account.positions)


def _backing_regs(b: margin.Backing) -> tuple[int, ...]:
    return (b.cash_e6, b.free_cash_e6, b.equity_e6, b.maintenance_e6, b.initial_e6, int(b.complete))


def _summary_regs(s: margin.MarginSummary) -> tuple[int, ...]:
    return (s.cash_e6, s.value_e6, s.maintenance_e6, s.initial_e6, int(s.complete))


def _one_shot(state: State, account: Account, query: int) -> tuple[int, ...]:
    if query == Query.INITIAL:
        return (int(margin.initial_failure(state, account)),)
    if query == Query.BACKING:
        return _backing_regs(margin.backing(state, account))
    return _summary_regs(margin.summarise(state, account))


def _margin(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    address, query = cursor.regs[0], cursor.regs[1]
    account = accounts.load(state, int_address(address))
    if len(margin_fold.series_ids(account)) <= MARGIN_CHUNK:
        return ret(cursor, _one_shot(state, account, query))
    stage = POSITIONS_ONLY if query == Query.SUMMARY else WITH_ORDERS
    return _fold_step(state, cursor, account, (address, query, stage, 0), (), margin_fold.start())


def _margin_fold(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    address, query, stage, first = cursor.regs[:4]
    kept = cursor.regs[4:4 + BACKING_REGS] if stage == POSITIONS_ONLY and query == Query.INITIAL else ()
    acc = MarginAcc.from_regs(cursor.regs[4 + len(kept):])
    account = accounts.load(state, int_address(address))
    return _fold_step(state, cursor, account, (address, query, stage, first), kept, acc)


def _fold_step(state: State, cursor: Cursor, account: Account, head: tuple[int, int, int, int],
               kept: tuple[int, ...], acc: MarginAcc) -> Cursor:
    """Fold the next chunk of series; when none is left, answer (or start the positions-only
    stage). ``head`` is (address, query, stage, first series); ``kept`` the backing of stage 0
    while stage 1 runs."""
    address, query, stage, first = head
    folded = _positions_only(account) if stage == POSITIONS_ONLY else account
    acc = margin_fold.fold(state, acc, folded, first, MARGIN_CHUNK)
    first += MARGIN_CHUNK
    if first < len(margin_fold.series_ids(folded)):
        return cursor._replace(phase=MarginPhase.MARGIN_FOLD,
                               regs=(address, query, stage, first) + kept + acc.to_regs())
    if query == Query.SUMMARY:
        return ret(cursor, _summary_regs(margin_fold.summary(acc, account.balance_e6)))
    if stage == POSITIONS_ONLY:  # an INITIAL query whose backing failed: do the positions alone pass?
        positions_ok = margin_fold.finish(acc, folded).ok
        return ret(cursor, (int(margin.failure_code(account, margin.Backing(*kept[:5], bool(kept[5])), positions_ok)),))
    b = margin_fold.finish(acc, account)
    if query == Query.BACKING:
        return ret(cursor, _backing_regs(b))
    if b.ok or account.balance_e6 < 0 or not account.order_totals:  # the positions' verdict is not needed
        return ret(cursor, (int(margin.failure_code(account, b, False)),))
    regs = (address, query, POSITIONS_ONLY, 0) + _backing_regs(b) + margin_fold.start().to_regs()
    return cursor._replace(phase=MarginPhase.MARGIN_FOLD, regs=regs)


# Registered as body steps: an arithmetic error in a sum fails the transaction (through
# ``ROLLBACK``), as it did when a rule computed its margin in one call.
body_step(MarginPhase.MARGIN)(_margin)
body_step(MarginPhase.MARGIN_FOLD)(_margin_fold)
