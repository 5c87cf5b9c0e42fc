"""The step machine's shared parts: phases, the step registry, and what steps use.

A step is ``step(state, cursor, io) -> cursor`` (``machine.py`` explains the machine). A rule
whose work is a loop runs as several steps: its module registers a phase per step in
``STEPS`` (phases in the range given to it below), names its first phase in
``BODY_PHASE``, and writes each step with the helpers here:

- ``begin_body``: the first step of a multi-step body takes the checkpoint ``saved[0]``
  (before writing anything); a later failure goes through ``ROLLBACK`` to it;
- ``body_step``: registers a step and turns a ``TxFailure`` (or an arithmetic error) raised
  in it into: undo the step's own writes, then ``ROLLBACK`` the whole body (``fail``);
- ``call`` / ``ret``: run a sub-machine (for example the margin sum, chunk by chunk) and
  come back to the caller's phase with its registers and the sub-machine's results.

Phase ranges: 1-9 transaction (``machine``), 10-19 whole-rule bodies, 20-39 placing orders,
40-49 margin sums, 50-59 liquidation, 60-69 settlement, 70-79 oracle updates, 80-89
cancellations, 90-99 withdrawals and deposits, 100-119 blocks and derivation
(``derive_steps``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Callable, Final

from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import FixedPointOverflow
from node.stf.optionmath import MathDomainError
from node.stf.receipts import Receipt
from node.stf.state import State
from node.stf.tx_codec import decode_unsigned
from node.stf.txtypes import SignedTx


class Phase(IntEnum):
    """What the next step does. Ranges: 1-9 transaction, 10-19 bodies, 20-99 rules'
    own phases, 100-119 blocks and derivation (``derive_steps.py``)."""

    TX_START = 1
    ROLLBACK = 2
    NEXT_TX = 3
    RESTORE = 4
    BODY = 10


class StepIO:
    """What steps read besides the state and emit besides the cursor.

    ``inputs``: the batch and L1 queue data the block steps read (``derive_steps.BatchInputs``;
    ``None`` when the node drives transactions itself). ``receipts``: one per finished
    transaction; ``failure_detail``: the text of a failure decided in one step and reported
    by a later one; ``fills`` / ``cancelled``: the receipt parts a multi-step body collects
    (cleared by ``end_tx``). Receipts are outputs, not machine state: no claim commits to them.
    """

    __slots__ = ("inputs", "receipts", "failure_detail", "blocks", "fills", "cancelled")

    def __init__(self, inputs: Any = None) -> None:
        self.inputs = inputs
        self.receipts: list[Receipt] = []
        self.failure_detail = ""
        self.fills: list[Any] = []  # the current transaction's fills so far (``receipts.Fill``)
        self.cancelled: list[tuple[int, FailureCode]] = []  # resting orders it removed, with why
        self.blocks: list[Any] = []  # blocks closed by block steps (``derive_steps.ClosedBlock``)


StepFn = Callable[[State, Cursor, StepIO], Cursor]
STEPS: dict[int, StepFn] = {}
"""The step function of every phase. Rule modules with phases of their own add theirs."""

BODY_PHASE: dict[type, int] = {}
"""The first phase of a kind's body; kinds not listed run in one ``BODY`` step."""

ARITHMETIC_ERRORS: Final = (FixedPointOverflow, MathDomainError)


def tx_of(cursor: Cursor) -> SignedTx:
    """The decoded current transaction (``cursor.body`` or decoded again from ``cursor.tx``;
    the sender comes from the cursor: it was recovered by ``TX_START``)."""
    if cursor.body is not None:
        return cursor.body
    body, _ = decode_unsigned(cursor.tx)
    return SignedTx(body, cursor.tx, cursor.tx_hash, cursor.sender or None)


def end_tx(state: State, cursor: Cursor, io: StepIO, receipt: Receipt) -> Cursor:
    """Finish the transaction: emit ``receipt``, forget the journal, move to ``NEXT_TX``."""
    io.receipts.append(receipt)
    io.failure_detail = ""
    if io.fills:
        io.fills = []
    if io.cancelled:
        io.cancelled = []
    state.commit_transaction()
    return Cursor(Phase.NEXT_TX, cursor.block, cursor.time, cursor.tx_index + 1, cursor.outer)


_new = tuple.__new__


def goto(cursor: Cursor, phase: int, regs: tuple[int, ...], stack: tuple | None = None,
         saved: tuple | None = None) -> Cursor:
    """``cursor`` at ``phase`` with ``regs`` (and ``stack`` / ``saved`` when given): what
    ``cursor._replace`` does, at a third of its cost (steps build a cursor or more each)."""
    c = cursor
    return _new(Cursor, (phase, c[1], c[2], c[3], c[4], c[5], c[6], c[7], regs,
                         c[9] if stack is None else stack, c[10] if saved is None else saved, c[11]))


def fail(cursor: Cursor, io: StepIO, failure: TxFailure) -> Cursor:
    """Continue to ``ROLLBACK``: the transaction fails with ``failure`` after its nonce."""
    io.failure_detail = failure.detail
    return goto(cursor, Phase.ROLLBACK, (int(failure.code),), ())


def begin_body(state: State, cursor: Cursor) -> Cursor:
    """The first step of a multi-step body: checkpoint the state after the nonce (``saved[0]``)."""
    return goto(cursor, cursor.phase, cursor.regs, saved=(state.checkpoint(),))


def restore_then(cursor: Cursor, depth: int, phase: int, regs: tuple[int, ...]) -> Cursor:
    """Go to ``RESTORE``: roll the state back to checkpoint ``saved[depth]`` (dropping it and
    any later one), then continue at ``phase`` with ``regs``. Use it to undo work done over
    several steps (a fill whose margin check failed) without failing the transaction."""
    return goto(cursor, Phase.RESTORE, (depth, phase) + regs)


def checkpoint_push(state: State, cursor: Cursor) -> Cursor:
    """Take another checkpoint (``saved[-1]``) at the start of a step, before any write."""
    return goto(cursor, cursor.phase, cursor.regs, saved=cursor.saved + (state.checkpoint(),))


def _restore(state: State, cursor: Cursor, io: "StepIO") -> Cursor:
    depth, phase, *regs = cursor.regs
    state.restore(cursor.saved[depth])
    return goto(cursor, phase, tuple(regs), saved=cursor.saved[:depth])


def call(cursor: Cursor, phase: int, regs: tuple[int, ...], return_phase: int, keep: tuple[int, ...]) -> Cursor:
    """Run the sub-machine starting at ``phase`` with ``regs``; when it returns, continue at
    ``return_phase`` with registers ``keep + results``."""
    return goto(cursor, phase, regs, cursor.stack + ((return_phase, keep),))


def ret(cursor: Cursor, results: tuple[int, ...]) -> Cursor:
    """Return from a sub-machine to its caller with ``results``."""
    (phase, keep), stack = cursor.stack[-1], cursor.stack[:-1]
    return goto(cursor, phase, keep + results, stack)


def body_step(phase: int) -> Callable[[StepFn], StepFn]:
    """Register ``fn`` as the step of ``phase`` of a multi-step body. A ``TxFailure`` or an
    arithmetic error raised inside it undoes the step's own writes and sends the
    transaction to ``ROLLBACK`` (which restores ``saved[0]``)."""

    def register(fn: StepFn) -> StepFn:
        def guarded(state: State, cursor: Cursor, io: StepIO) -> Cursor:
            start = state.snapshot()
            try:
                return fn(state, cursor, io)
            except TxFailure as failure:
                state.rollback(start)
                return fail(cursor, io, failure)
            except ARITHMETIC_ERRORS as exc:
                state.rollback(start)
                return fail(cursor, io, TxFailure(FailureCode.FIELD_OUT_OF_RANGE, f"arithmetic: {exc}"))

        guarded.__name__ = guarded.__qualname__ = fn.__name__
        guarded.__doc__ = fn.__doc__
        STEPS[phase] = guarded
        return fn

    return register


STEPS[Phase.RESTORE] = _restore
