"""The STF as a step machine: every transaction is a sequence of bounded steps.

A step is ``step(state, cursor, io) -> cursor``: it reads and writes the state through
``State`` (against the root it starts from), returns the cursor of the next boundary and
may emit a receipt into ``io`` (``StepIO``) (receipts are outputs, not machine state: they are not part
of a claim). The node drives the steps to the end of each transaction
(``run_transaction``); the prover stops at every boundary to compute the claim
(``cursor.claim_of``) and the witness of one step (``prover.client``). Both run this code.

**Transaction phases** (``Phase``), from ``TX_START`` to ``NEXT_TX``:

1. ``TX_START``: decode the envelope in ``cursor.tx`` and recover its sender (bytes that do
   not decode end the transaction with a failure receipt), then use the sender's nonce (a
   used nonce ends it with a failure receipt and no effect). Deposits carry an L1 queue
   index instead of a nonce.
2. The kind's body: one or more steps (``BODY`` runs a kind's whole rule in one step; the
   looping rules have their own phases, registered in ``STEPS``). A body that spans steps
   takes a checkpoint in its first step, before writing anything (``saved[0]``: the state
   after the nonce); a failure after that goes through ``ROLLBACK``.
3. ``ROLLBACK``: restore the state to the checkpoint ``saved[0]`` and end the transaction
   with the failure code in ``regs[0]`` (the nonce stays used). A failure in the body's
   first step reaches it without a checkpoint (the failing step's writes are already
   undone, and no earlier body step wrote): then there is nothing to restore. A step that
   restores does nothing else, so every other step reads only the state it started from.
4. ``end_tx``: the transaction's receipt is emitted, the journal forgotten, and the cursor
   moves to ``NEXT_TX`` (``tx_index`` + 1), where the block's steps take over (``trace.py``).

A failure inside one step (``TxFailure``, fixed-point overflow, a math-domain error) is
undone inside that step by the journal, exactly as a rollback to the step's start.
"""

from __future__ import annotations

from typing import Callable

from node.stf import keys
from node.stf.cursor import Cursor
from node.stf.errors import FailureCode, TxFailure
from node.stf.hashing import keccak256
from node.stf.instruments import list_instrument
from node.stf.nonces import use_nonce
from node.stf.orders import cancel_order
from node.stf.receipts import Receipt
from node.stf.records import Config
from node.stf.state import State
from node.stf.steps import ARITHMETIC_ERRORS, BODY_PHASE, STEPS, Phase, StepIO, end_tx, tx_of
from node.stf.tx_codec import TxDecodeError, decode_tx
from node.stf.txtypes import (
    CancelOrder,
    ListInstrument,
    SignedTx,
)


def _tx_start(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    signed = cursor.body
    if signed is None:
        config: Config = state.get(keys.CONFIG)
        try:
            signed = decode_tx(cursor.tx, config.domain)
        except TxDecodeError as exc:
            failed = cursor._replace(tx_hash=keccak256(cursor.tx))
            return end_tx(state, failed, io, Receipt(failed.tx_hash, exc.code, detail=str(exc)))
    c = cursor
    cursor = Cursor(BODY_PHASE.get(type(signed.body), Phase.BODY), c.block, c.time, c.tx_index, c.outer, signed.raw,
                    signed.sender or b"", signed.tx_hash, c.regs, c.stack, c.saved, signed)
    if signed.sender is not None:
        start = state.snapshot()
        try:
            use_nonce(state, signed.sender, signed.body.nonce)
        except TxFailure as failure:
            state.rollback(start)
            return end_tx(state, cursor, io, Receipt(signed.tx_hash, failure.code, detail=failure.detail))
    return cursor


def _rollback(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    if cursor.saved:  # none when the body's first step failed: ``body_step`` undid its writes
        state.restore(cursor.saved[0])
    code = FailureCode(cursor.regs[0])
    return end_tx(state, cursor, io, Receipt(cursor.tx_hash, code, detail=io.failure_detail))


def run_body(state: State, now: int, tx: SignedTx) -> Receipt:
    """A kind's whole rule in one call (the ``BODY`` step). Raises ``TxFailure``. Only the
    kinds whose rules use the configuration read it."""
    body, sender, tx_hash = tx.body, tx.sender, tx.tx_hash
    if isinstance(body, CancelOrder):
        return Receipt(tx_hash, FailureCode.OK, order_id=cancel_order(state, sender, body))
    if isinstance(body, ListInstrument):
        instrument_id = list_instrument(state, now, state.get(keys.CONFIG), sender, body)
        return Receipt(tx_hash, FailureCode.OK, detail=f"instrument {instrument_id}")
    raise TxFailure(FailureCode.UNKNOWN_TX_TYPE, type(body).__name__)


def _in_one_call(state: State, cursor: Cursor, io: StepIO, rule: Callable[[State, Cursor, SignedTx], Receipt]) -> Cursor:
    """Run a whole rule in this step: a failure undoes its writes and becomes the receipt."""
    tx = tx_of(cursor)
    start = state.snapshot()
    try:
        receipt = rule(state, cursor, tx)
    except TxFailure as failure:
        state.rollback(start)
        receipt = Receipt(tx.tx_hash, failure.code, detail=failure.detail)
    except ARITHMETIC_ERRORS as exc:
        state.rollback(start)
        receipt = Receipt(tx.tx_hash, FailureCode.FIELD_OUT_OF_RANGE, detail=f"arithmetic: {exc}")
    return end_tx(state, cursor, io, receipt)


def _body(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    return _in_one_call(state, cursor, io, lambda st, c, tx: run_body(st, c.time, tx))


STEPS[Phase.TX_START] = _tx_start
STEPS[Phase.ROLLBACK] = _rollback
STEPS[Phase.BODY] = _body


def tx_cursor(number: int, timestamp: int, index: int, tx: bytes | SignedTx) -> Cursor:
    """The cursor at the start of transaction ``index`` of block ``number``."""
    if isinstance(tx, SignedTx):
        return Cursor(Phase.TX_START, number, timestamp, index, (), tx.raw, tx.sender or b"", tx.tx_hash,
                      (), (), (), tx)
    return Cursor(Phase.TX_START, number, timestamp, index, (), bytes(tx), b"", b"", (), (), (), None)


FastBody = Callable[[State, int, SignedTx], Receipt]
FAST_BODIES: dict[int, FastBody] = {}
"""The node's fast path: a rule in one call, by its first body phase (``matching_fast``).
Only ``run_transaction`` uses it; a proving run always steps. Each is proven equal to its
steps on every block of the property workloads."""


def run_transaction(state: State, cursor: Cursor, io: StepIO, stepped: bool = False) -> Cursor:
    """Drive the steps of one transaction from ``cursor`` (at ``TX_START``) to ``NEXT_TX``;
    a kind with a fast body runs it in one call unless ``stepped``."""
    steps = STEPS
    cursor = steps[cursor.phase](state, cursor, io)
    if not stepped:
        fast = FAST_BODIES.get(cursor.phase)
        if fast is not None:
            return _in_one_call(state, cursor, io, lambda st, c, tx: fast(st, c.time, tx))
    while cursor.phase != Phase.NEXT_TX:
        cursor = steps[cursor.phase](state, cursor, io)
    return cursor


# Modules with steps of their own register them on import (they import ``steps`` only).
# (``orders`` is imported above for its one-step rule.)
import node.stf.derive_steps  # noqa: E402,F401
import node.stf.margin_steps  # noqa: E402,F401
import node.stf.oracle  # noqa: E402,F401
import node.stf.settlement  # noqa: E402,F401
from node.stf.liquidation import LiquidatePhase, liquidation_receipt  # noqa: E402
from node.stf.liquidation_fast import apply_liquidate as _liquidate_fast  # noqa: E402
from node.stf.matching import PlacePhase  # noqa: E402
from node.stf.matching_fast import place_order as _place_order_fast  # noqa: E402
from node.stf.transfers import DepositPhase, deposit_fast  # noqa: E402

FAST_BODIES[PlacePhase.PLACE] = lambda state, now, tx: _place_order_fast(
    state, now, state.get(keys.CONFIG), tx.sender, tx.tx_hash, tx.body)
FAST_BODIES[DepositPhase.DEPOSIT] = deposit_fast
FAST_BODIES[LiquidatePhase.LIQUIDATE] = lambda state, now, tx: liquidation_receipt(
    tx.sender, tx.tx_hash, tx.body, _liquidate_fast(state, now, tx.sender, tx.body))
