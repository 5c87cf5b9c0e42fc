"""Margin sums as a sub-machine: what rules call between their own steps.

A rule that needs an account's margin in the middle of a multi-step body calls
``call_margin(cursor, address, query, return_phase, keep)``; the sub-machine computes the
query on the state as it is (marks from the state, the account's record as stored) and
returns to ``return_phase`` with registers ``keep + results``:

- ``Query.INITIAL``: ``(code,)``: ``margin.initial_failure`` (``FailureCode.OK`` = meets initial);
- ``Query.BACKING``: ``(cash, free_cash, equity, maintenance, initial, complete)``:
  ``margin.backing`` (collateral units e6; ``complete`` 0 or 1);
- ``Query.SUMMARY``: ``(cash, value, maintenance, initial, complete)``: ``margin.summarise``.

The address travels in the registers as an integer (20 bytes, big-endian). The sum runs
over the account's positions in ``MARGIN`` steps (``margin.py`` defines the arithmetic; the
rules call only this entry point, so how the sum is split into steps is this module's
business alone).
"""

from __future__ import annotations

from enum import IntEnum

from node.stf import accounts, margin
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode
from node.stf.state import State
from node.stf.steps import STEPS, StepIO, call, ret


class MarginPhase(IntEnum):
    MARGIN = 40


class Query(IntEnum):
    INITIAL = 0
    BACKING = 1
    SUMMARY = 2


def address_int(address: bytes) -> int:
    return int.from_bytes(address, "big")


def int_address(value: int) -> bytes:
    return value.to_bytes(20, "big")


def call_margin(cursor: Cursor, address: bytes, query: Query, return_phase: int, keep: tuple[int, ...]) -> Cursor:
    """Compute ``query`` for ``address``, then continue at ``return_phase`` with ``keep + results``."""
    return call(cursor, MarginPhase.MARGIN, (address_int(address), int(query)), return_phase, keep)


def _margin(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    address, query = cursor.regs[0], cursor.regs[1]
    account = accounts.load(state, int_address(address))
    if query == Query.INITIAL:
        results: tuple[int, ...] = (int(margin.initial_failure(state, account)),)
    elif query == Query.BACKING:
        b = margin.backing(state, account)
        results = (b.cash_e6, b.free_cash_e6, b.equity_e6, b.maintenance_e6, b.initial_e6, int(b.complete))
    else:
        s = margin.summarise(state, account)
        results = (s.cash_e6, s.value_e6, s.maintenance_e6, s.initial_e6, int(s.complete))
    return ret(cursor, results)


STEPS[MarginPhase.MARGIN] = _margin
OK = int(FailureCode.OK)
