"""Derivation as steps: a batch's blocks, deposits and forced transactions, one step each.

A disputed batch runs from the pre-claim ``batch_start(index)`` to ``HALTED`` through these
phases (transactions in between run through ``machine.py``); the rules are those of
``node/derivation/rules.py`` (which the node runs in one go), taken one entry at a time:

- ``BLOCK_OPEN``: the next block item of the batch is read at ``outer[OFFSET]``: a
  canonical RLP list ``[timestamp, deposits_through, forced_through, [tx, ...]]`` (header
  integers of at most ``MAX_UINT_BYTES``). The block is numbered after the last
  (``Globals.last_block_number + 1``); a block numbered past the batch's declared last
  block, or past the ``MAX_BATCH_BLOCKS``-th of the batch, is not used. Its timestamp is
  clamped to ``[max(previous, t - MAX_TIMESTAMP_LAG_S), t + MAX_TIMESTAMP_DRIFT_S]`` (the
  lower bound wins) with ``t`` the batch's L1 time; each queue's declared position is
  clamped to ``[start, max(start, min(seen, start + cap))]`` where ``start`` is the queue
  position in ``Globals`` and ``seen`` what the batch can see. At the end of the data, at
  an item that is not such a list, or at a block not used, the batch's own blocks end
  (nothing after is read); then, while an entry
  due at ``t`` is not in the chain, a block with no sequenced transaction is opened
  (timestamp ``t`` clamped the same way), at most ``MAX_DUE_BLOCKS_PER_BATCH``, else the run
  halts.
- ``NEXT_TX`` (after ``BLOCK_OPEN`` and after every transaction): loads the next
  transaction of the block: deposits first, while the position is below the cap and below
  the declared position, or the entry is due (``deadline <= t``) and so was every entry
  taken before it in the block (the due entries are a run from the block's start position,
  as ``rules.due_through`` scans them; deadlines never decrease along an L1 queue, so this
  only matters for a queue that broke that); then forced transactions the same way (an
  unsigned envelope among them is skipped: it still uses its position);
  then the block's own transactions, one RLP string each (unsigned envelopes skipped). A
  transaction item that is not a canonical string of at most ``MAX_TX_BYTES`` bytes inside
  its block ends the batch: the block closes with the transactions before it.
- ``BLOCK_CLOSE``: records the block (number, time, queue positions) in ``Globals``.
- ``HALTED``: the identity, so a trace can be padded to a power of two.

``outer`` (the cursor's block registers) holds, at these indices: the batch, the read
offset, the end of the block's transaction list, the stage (deposits, forced, batch
transactions), and per queue its position, limit (``min(seen, start + cap)``) and declared
target and whether an entry it took was not due, whether the batch's own blocks have ended,
how many of them were opened, and how many blocks of due entries followed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Final

from node.stf import keys
from node.stf.cursor import Cursor
from node.stf.l1_inputs import (
    MAX_BATCH_BLOCKS,
    MAX_DEPOSITS_PER_BLOCK,
    MAX_DUE_BLOCKS_PER_BATCH,
    MAX_FORCED_PER_BLOCK,
    MAX_UINT_BYTES,
    BatchInputs,
    block_time,
    clamp,
    deposit_tx,
    is_unsigned,
    queue_limit,
)
from node.stf.steps import STEPS, Phase, StepIO
from node.stf.records import Globals
from node.stf.rlp_stream import RlpStreamError, read_item, read_uint
from node.stf.state import State
from node.stf.tx_codec import MAX_TX_BYTES


class BlockPhase(IntEnum):
    BLOCK_OPEN = 100
    BLOCK_CLOSE = 101
    HALTED = 102


(BATCH, OFFSET, BLOCK_END, STAGE, DEP_POS, DEP_LIMIT, DEP_TARGET, FORCED_POS, FORCED_LIMIT, FORCED_TARGET, ENDED,
 OPENED, DEP_UNDUE, FORCED_UNDUE, DUE_BLOCKS) = range(15)
OUTER_REGS: Final = 15
DEPOSITS, FORCED, TXS = range(3)


@dataclass(frozen=True, slots=True)
class ClosedBlock:
    """A block the steps closed: number, time and the queue positions after it."""

    number: int
    timestamp: int
    deposits_through: int
    forced_through: int


def batch_start(index: int) -> Cursor:
    """The cursor at the start of batch ``index`` (with the state root after the previous
    batch, the trace's pre-claim)."""
    outer = [0] * OUTER_REGS
    outer[BATCH] = index
    return Cursor(BlockPhase.BLOCK_OPEN, outer=tuple(outer))


def _due(entry_deadline: int, l1_time: int) -> bool:
    return entry_deadline <= l1_time


def _has_due(inputs: BatchInputs, deposits_start: int, forced_start: int) -> bool:
    record = inputs.record
    return (
        (deposits_start < record.deposits_seen and _due(inputs.deposit(deposits_start).deadline, record.time))
        or (forced_start < record.forced_seen and _due(inputs.forced(forced_start).deadline, record.time))
    )


def _read_header(inputs: BatchInputs, offset: int) -> tuple[int, int, int, int, int]:
    """The block item at ``offset``: (timestamp, deposits_through, forced_through, start and
    end of its transaction list). Raises ``RlpStreamError``."""
    read, end = inputs.data, inputs.record.length
    block = read_item(read, offset, end)
    if not block.is_list:
        raise RlpStreamError(f"the block item at {offset} is not a list")
    timestamp, at = read_uint(read, block.start, block.end, MAX_UINT_BYTES)
    deposits, at = read_uint(read, at, block.end, MAX_UINT_BYTES)
    forced, at = read_uint(read, at, block.end, MAX_UINT_BYTES)
    txs = read_item(read, at, block.end)
    if not txs.is_list or txs.end != block.end:
        raise RlpStreamError(f"the block item at {offset} does not end with its transaction list")
    return timestamp, deposits, forced, txs.start, txs.end


def _block_open(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    inputs: BatchInputs = io.inputs
    record = inputs.record
    globals_: Globals = state.get(keys.GLOBALS)
    outer = list(cursor.outer)
    dep_start, forced_start = globals_.next_deposit_index, globals_.next_forced_index
    header = None
    if not outer[ENDED]:
        number = globals_.last_block_number + 1
        if outer[OFFSET] >= record.length or number > record.last_l2_block or outer[OPENED] >= MAX_BATCH_BLOCKS:
            outer[ENDED] = 1
        else:
            try:
                header = _read_header(inputs, outer[OFFSET])
                outer[OPENED] += 1
            except RlpStreamError:
                outer[ENDED] = 1
    if header is None:
        if outer[DUE_BLOCKS] >= MAX_DUE_BLOCKS_PER_BATCH or not _has_due(inputs, dep_start, forced_start):
            return cursor._replace(phase=BlockPhase.HALTED, outer=tuple(outer))
        outer[DUE_BLOCKS] += 1
        header = (record.time, dep_start, forced_start, outer[OFFSET], outer[OFFSET])
    timestamp, declared_deposits, declared_forced, txs_start, txs_end = header
    when = block_time(timestamp, globals_.last_block_time, record.time)
    dep_limit = queue_limit(dep_start, record.deposits_seen, MAX_DEPOSITS_PER_BLOCK)
    forced_limit = queue_limit(forced_start, record.forced_seen, MAX_FORCED_PER_BLOCK)
    outer[OFFSET], outer[BLOCK_END], outer[STAGE] = txs_start, txs_end, DEPOSITS
    outer[DEP_POS], outer[DEP_LIMIT] = dep_start, dep_limit
    outer[DEP_TARGET] = clamp(declared_deposits, dep_start, dep_limit)
    outer[FORCED_POS], outer[FORCED_LIMIT] = forced_start, forced_limit
    outer[FORCED_TARGET] = clamp(declared_forced, forced_start, forced_limit)
    return Cursor(Phase.NEXT_TX, globals_.last_block_number + 1, when, 0, tuple(outer))


def _tx(cursor: Cursor, outer: list[int], raw: bytes) -> Cursor:
    return Cursor(Phase.TX_START, cursor.block, cursor.time, cursor.tx_index, tuple(outer), raw)


def _skip(cursor: Cursor, outer: list[int]) -> Cursor:
    return cursor._replace(outer=tuple(outer))


def _take(outer: list[int], entry, pos: int, limit: int, target: int, undue: int, t: int):
    """The queue entry at ``outer[pos]`` if the block takes it (then the position moves on),
    else ``None``: below the cap, and below the declared target or due in an unbroken run."""
    position = outer[pos]
    if position >= outer[limit]:
        return None
    found = entry(position)
    due = _due(found.deadline, t)
    if position < outer[target] or (due and not outer[undue]):
        outer[pos] = position + 1
        outer[undue] |= not due
        return found
    return None


def _next_tx(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    inputs: BatchInputs = io.inputs
    t = inputs.record.time
    outer = list(cursor.outer)
    if outer[STAGE] == DEPOSITS:
        deposit = _take(outer, inputs.deposit, DEP_POS, DEP_LIMIT, DEP_TARGET, DEP_UNDUE, t)
        if deposit is not None:
            return _tx(cursor, outer, deposit_tx(deposit))
        outer[STAGE] = FORCED
    if outer[STAGE] == FORCED:
        forced = _take(outer, inputs.forced, FORCED_POS, FORCED_LIMIT, FORCED_TARGET, FORCED_UNDUE, t)
        if forced is not None:
            return _skip(cursor, outer) if is_unsigned(forced.raw_tx) else _tx(cursor, outer, forced.raw_tx)
        outer[STAGE] = TXS
    offset, end = outer[OFFSET], outer[BLOCK_END]
    if offset < end:
        try:
            item = read_item(inputs.data, offset, end)
            if item.is_list or item.end - item.start > MAX_TX_BYTES:
                raise RlpStreamError(f"the transaction item at {offset} is not a string of at most {MAX_TX_BYTES} bytes")
        except RlpStreamError:
            outer[ENDED], outer[OFFSET] = 1, end
            return cursor._replace(phase=BlockPhase.BLOCK_CLOSE, outer=tuple(outer))
        outer[OFFSET] = item.end
        raw = inputs.data(item.start, item.end)
        if is_unsigned(raw):
            return _skip(cursor, outer)
        return _tx(cursor, outer, raw)
    return cursor._replace(phase=BlockPhase.BLOCK_CLOSE, outer=tuple(outer))


def _block_close(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    outer = list(cursor.outer)
    globals_: Globals = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, replace(
        globals_, last_block_number=cursor.block, last_block_time=cursor.time,
        next_deposit_index=outer[DEP_POS], next_forced_index=outer[FORCED_POS],
    ))
    state.commit_transaction()
    io.blocks.append(ClosedBlock(cursor.block, cursor.time, outer[DEP_POS], outer[FORCED_POS]))
    outer[BLOCK_END] = outer[STAGE] = 0
    for index in (DEP_POS, DEP_LIMIT, DEP_TARGET, FORCED_POS, FORCED_LIMIT, FORCED_TARGET, DEP_UNDUE, FORCED_UNDUE):
        outer[index] = 0
    return Cursor(BlockPhase.BLOCK_OPEN, outer=tuple(outer))


def _halted(state: State, cursor: Cursor, io: StepIO) -> Cursor:
    return cursor


STEPS[BlockPhase.BLOCK_OPEN] = _block_open
STEPS[Phase.NEXT_TX] = _next_tx
STEPS[BlockPhase.BLOCK_CLOSE] = _block_close
STEPS[BlockPhase.HALTED] = _halted


def run_batch(state: State, index: int, inputs: BatchInputs) -> StepIO:
    """Run batch ``index`` to ``HALTED`` in one go (no claims): the node's way to derive it
    with the steps themselves. Returns the receipts and closed blocks."""
    io = StepIO(inputs)
    cursor = batch_start(index)
    steps = STEPS
    while cursor.phase != BlockPhase.HALTED:
        cursor = steps[cursor.phase](state, cursor, io)
    return io
