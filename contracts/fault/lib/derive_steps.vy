# pragma version ~=0.4.3
"""
@title derive_steps
@notice The block steps' rules (BLOCK_OPEN, NEXT_TX, BLOCK_CLOSE): twin of
        node/stf/derive_steps.py, on the cursor fields and Globals fields they use. The
        family (steps_block.vy: the cursor; block_globals.vy: Globals) decodes what they
        read, calls these through block_rules.vy and encodes what they return; read that
        module's docstring for the rules.
@dev A step's result is either a FRESH cursor (Python builds `Cursor(phase, block, time,
     tx_index, outer, tx)`: sender, tx_hash, regs, stack and saved empty) or a REPLACE of
     the pre-cursor's `phase` and `outer` only (Python's `cursor._replace(...)`).
     `outer` holds the block registers at the indices below (derive_steps.py's BATCH,
     OFFSET, ...); a reachable cursor has OUTER_REGS of them, all non-negative (a cursor
     with fewer reverts, as Python's step raises IndexError on it).
"""

import fault.lib.batch_data as batch_data
import fault.lib.batch_stream as batch_stream
import fault.lib.l1_inputs as l1_inputs
import fault.lib.l1_queues as l1_queues
import fault.lib.step_inputs as step_inputs

# node/stf/steps.py::Phase and node/stf/derive_steps.py::BlockPhase
TX_START: constant(uint256) = 1
NEXT_TX: constant(uint256) = 3
BLOCK_OPEN: constant(uint256) = 100
BLOCK_CLOSE: constant(uint256) = 101
HALTED: constant(uint256) = 102

# node/stf/derive_steps.py: indices of `outer`, and the stages
BATCH: constant(uint256) = 0
OFFSET: constant(uint256) = 1
BLOCK_END: constant(uint256) = 2
STAGE: constant(uint256) = 3
DEP_POS: constant(uint256) = 4
DEP_LIMIT: constant(uint256) = 5
DEP_TARGET: constant(uint256) = 6
FORCED_POS: constant(uint256) = 7
FORCED_LIMIT: constant(uint256) = 8
FORCED_TARGET: constant(uint256) = 9
ENDED: constant(uint256) = 10
OPENED: constant(uint256) = 11
DEP_UNDUE: constant(uint256) = 12
FORCED_UNDUE: constant(uint256) = 13
DUE_BLOCKS: constant(uint256) = 14
OUTER_REGS: constant(uint256) = 15
MAX_OUTER: constant(uint256) = 16
DEPOSITS: constant(int256) = 0
FORCED: constant(int256) = 1
TXS: constant(int256) = 2

MAX_TX_BYTES: constant(uint256) = 2_048  # node/stf/tx_codec.py::MAX_TX_BYTES
# The longest Globals record: a list of 17 scalars of at most 33 RLP bytes each (564 bytes).
GLOBALS_BYTES: constant(uint256) = 576
DEPOSIT_TYPE: constant(bytes1) = 0x7E    # node/stf/txtypes.py::TxType.DEPOSIT (an unsigned envelope)


struct Tip:  # the Globals fields the block steps read and write
    last_block_number: uint256
    last_block_time: uint256
    next_deposit_index: uint256
    next_forced_index: uint256


struct Position:  # the cursor fields the block steps read
    phase: uint256
    block: uint256
    time: uint256
    tx_index: uint256
    outer: DynArray[int256, MAX_OUTER]


struct Result:
    fresh: bool  # a FRESH cursor, else a REPLACE of phase and outer (module notice)
    phase: uint256
    block: uint256
    time: uint256
    tx_index: uint256
    outer: DynArray[int256, MAX_OUTER]
    tx: Bytes[MAX_TX_BYTES]


@internal
@pure
def _u(outer: DynArray[int256, MAX_OUTER], index: uint256) -> uint256:
    return convert(outer[index], uint256)


@internal
@pure
def _i(x: uint256) -> int256:
    return convert(x, int256)


@internal
@pure
def _replace(p: Position, phase: uint256, outer: DynArray[int256, MAX_OUTER]) -> Result:
    return Result(fresh=False, phase=phase, block=p.block, time=p.time, tx_index=p.tx_index, outer=outer, tx=b"")


@internal
@pure
def _tx(p: Position, outer: DynArray[int256, MAX_OUTER], raw: Bytes[MAX_TX_BYTES]) -> Result:
    """
    @notice derive_steps.py::_tx: the transaction `raw` starts (TX_START).
    """
    return Result(fresh=True, phase=TX_START, block=p.block, time=p.time, tx_index=p.tx_index, outer=outer, tx=raw)


@internal
@pure
def is_unsigned(raw: Bytes[MAX_TX_BYTES]) -> bool:
    """
    @notice Twin of node/stf/l1_inputs.py::is_unsigned: the envelope starts with the deposit type.
    """
    return len(raw) > 0 and convert(slice(raw, 0, 1), bytes1) == DEPOSIT_TYPE


@internal
@pure
def _has_due(o: step_inputs.Opened, deposits_start: uint256, forced_start: uint256) -> bool:
    """
    @notice Twin of derive_steps.py::_has_due: is the next entry of either queue due at
            the batch's L1 time (the forced queue read only if no deposit is due)?
    """
    if deposits_start < o.record.deposits_seen:
        if l1_queues.deposit_at(o.deposits, deposits_start).deadline <= o.record.time:
            return True
    if forced_start < o.record.forced_seen:
        return l1_queues.forced_at(o.forced, forced_start).deadline <= o.record.time
    return False


@internal
@view
def block_open(p: Position, tip: Tip, o: step_inputs.Opened, inputs: Bytes[batch_data.MAX_INPUTS]) -> Result:
    """
    @notice Twin of node/stf/derive_steps.py::_block_open: the next block of the batch (or
            of due entries only) opens at NEXT_TX, or the run halts.
    """
    outer: DynArray[int256, MAX_OUTER] = p.outer
    assert len(outer) >= OUTER_REGS, "derive_steps: outer registers missing"
    record: step_inputs.Record = o.record
    dep_start: uint256 = tip.next_deposit_index
    forced_start: uint256 = tip.next_forced_index
    found: bool = False
    header: batch_stream.Header = empty(batch_stream.Header)
    if outer[ENDED] != 0:
        pass
    elif self._u(outer, OFFSET) >= record.length or tip.last_block_number + 1 > record.last_l2_block \
            or self._u(outer, OPENED) >= l1_inputs.MAX_BATCH_BLOCKS:
        outer[ENDED] = 1
    else:
        found, header = batch_stream.read_header(inputs, o.pieces, self._u(outer, OFFSET), record.length)
        if found:
            outer[OPENED] += 1
        else:
            outer[ENDED] = 1
    if not found:
        if self._u(outer, DUE_BLOCKS) >= l1_inputs.MAX_DUE_BLOCKS_PER_BATCH or not self._has_due(o, dep_start, forced_start):
            return self._replace(p, HALTED, outer)
        outer[DUE_BLOCKS] += 1
        header = batch_stream.Header(
            timestamp=record.time, deposits_through=dep_start, forced_through=forced_start,
            txs_start=self._u(outer, OFFSET), txs_end=self._u(outer, OFFSET))
    when: uint256 = l1_inputs.block_time(header.timestamp, tip.last_block_time, record.time)
    dep_limit: uint256 = l1_inputs.queue_limit(dep_start, record.deposits_seen, l1_inputs.MAX_DEPOSITS_PER_BLOCK)
    forced_limit: uint256 = l1_inputs.queue_limit(forced_start, record.forced_seen, l1_inputs.MAX_FORCED_PER_BLOCK)
    outer[OFFSET] = self._i(header.txs_start)
    outer[BLOCK_END] = self._i(header.txs_end)
    outer[STAGE] = DEPOSITS
    outer[DEP_POS] = self._i(dep_start)
    outer[DEP_LIMIT] = self._i(dep_limit)
    outer[DEP_TARGET] = self._i(l1_inputs.clamp(header.deposits_through, dep_start, dep_limit))
    outer[FORCED_POS] = self._i(forced_start)
    outer[FORCED_LIMIT] = self._i(forced_limit)
    outer[FORCED_TARGET] = self._i(l1_inputs.clamp(header.forced_through, forced_start, forced_limit))
    return Result(fresh=True, phase=NEXT_TX, block=tip.last_block_number + 1, time=when, tx_index=0, outer=outer, tx=b"")


@internal
@pure
def _takes(outer: DynArray[int256, MAX_OUTER], position: uint256, deadline: uint256, target: uint256, undue: uint256,
           t: uint256) -> bool:
    """
    @notice derive_steps.py::_take's test for the entry at `position` (below the limit):
            below the declared target, or due (deadline <= t) in an unbroken run of due entries.
    """
    return position < self._u(outer, target) or (deadline <= t and outer[undue] == 0)


@internal
@pure
def _took(outer: DynArray[int256, MAX_OUTER], pos: uint256, undue: uint256, due: bool) -> DynArray[int256, MAX_OUTER]:
    """
    @notice derive_steps.py::_take's update: the position moves on; `undue` remembers an
            entry taken before its deadline.
    """
    out: DynArray[int256, MAX_OUTER] = outer
    out[pos] += 1
    if not due:
        out[undue] = out[undue] | 1
    return out


@internal
@view
def next_tx(p: Position, o: step_inputs.Opened, inputs: Bytes[batch_data.MAX_INPUTS]) -> Result:
    """
    @notice Twin of node/stf/derive_steps.py::_next_tx: the block's next transaction
            (deposits, then forced transactions, then the batch's own), or BLOCK_CLOSE.
    """
    outer: DynArray[int256, MAX_OUTER] = p.outer
    assert len(outer) >= OUTER_REGS, "derive_steps: outer registers missing"
    t: uint256 = o.record.time
    if outer[STAGE] == DEPOSITS:
        position: uint256 = self._u(outer, DEP_POS)
        if position < self._u(outer, DEP_LIMIT):
            d: l1_queues.Deposit = l1_queues.deposit_at(o.deposits, position)
            if self._takes(outer, position, d.deadline, DEP_TARGET, DEP_UNDUE, t):
                outer = self._took(outer, DEP_POS, DEP_UNDUE, d.deadline <= t)
                return self._tx(p, outer, l1_queues.deposit_tx(d))
        outer[STAGE] = FORCED
    if outer[STAGE] == FORCED:
        position: uint256 = self._u(outer, FORCED_POS)
        if position < self._u(outer, FORCED_LIMIT):
            f: l1_queues.Forced = l1_queues.forced_at(o.forced, position)
            if self._takes(outer, position, f.deadline, FORCED_TARGET, FORCED_UNDUE, t):
                outer = self._took(outer, FORCED_POS, FORCED_UNDUE, f.deadline <= t)
                raw: Bytes[MAX_TX_BYTES] = batch_data.copy(inputs, f.at, f.size)
                if self.is_unsigned(raw):
                    return self._replace(p, p.phase, outer)
                return self._tx(p, outer, raw)
        outer[STAGE] = TXS
    offset: uint256 = self._u(outer, OFFSET)
    end: uint256 = self._u(outer, BLOCK_END)
    if offset < end:
        ok: bool = False
        item: batch_stream.Item = empty(batch_stream.Item)
        ok, item = batch_stream.read_item(inputs, o.pieces, offset, end)
        if not ok or item.is_list or item.end - item.start > MAX_TX_BYTES:
            outer[ENDED] = 1
            outer[OFFSET] = self._i(end)
            return self._replace(p, BLOCK_CLOSE, outer)
        outer[OFFSET] = self._i(item.end)
        raw: Bytes[MAX_TX_BYTES] = batch_data.read(inputs, o.pieces, item.start, item.end)
        if self.is_unsigned(raw):
            return self._replace(p, p.phase, outer)
        return self._tx(p, outer, raw)
    return self._replace(p, BLOCK_CLOSE, outer)


@internal
@pure
def block_close(p: Position) -> (Result, Tip):
    """
    @notice Twin of node/stf/derive_steps.py::_block_close: the block is recorded in
            Globals (number, time, queue positions: the returned `Tip`) and the next
            one opens (BLOCK_OPEN, block registers cleared).
    """
    outer: DynArray[int256, MAX_OUTER] = p.outer
    assert len(outer) >= OUTER_REGS, "derive_steps: outer registers missing"
    tip: Tip = Tip(
        last_block_number=p.block, last_block_time=p.time,
        next_deposit_index=self._u(outer, DEP_POS), next_forced_index=self._u(outer, FORCED_POS))
    for index: uint256 in [BLOCK_END, STAGE, DEP_POS, DEP_LIMIT, DEP_TARGET, FORCED_POS, FORCED_LIMIT, FORCED_TARGET,
                           DEP_UNDUE, FORCED_UNDUE]:
        outer[index] = 0
    return Result(fresh=True, phase=BLOCK_OPEN, block=0, time=0, tx_index=0, outer=outer, tx=b""), tip
