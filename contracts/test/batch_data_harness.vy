# pragma version ~=0.4.3
"""
@title batch data / stream / queues test harness
@notice Exposes contracts/fault/lib/{batch_data,batch_stream,l1_queues,l1_inputs,step_inputs}.vy
        externally for the differential tests against node/l1/batch_chunks.py,
        node/stf/rlp_stream.py and node/stf/l1_inputs.py. Not deployed outside tests.
@dev `pieces` arguments are the pieces part of a step's inputs (n_pieces:u8 piece*).
"""

import fault.lib.batch_data as batch_data
import fault.lib.batch_stream as batch_stream
import fault.lib.l1_inputs as l1_inputs
import fault.lib.l1_queues as l1_queues
import fault.lib.step_inputs as step_inputs


@internal
@pure
def _pieces(pieces: Bytes[batch_data.MAX_INPUTS], root: bytes32, length: uint256) -> DynArray[batch_data.Piece, batch_data.MAX_PIECES]:
    out: DynArray[batch_data.Piece, batch_data.MAX_PIECES] = []
    pos: uint256 = 0
    out, pos = batch_data.open_pieces(pieces, root, length)
    assert pos == len(pieces), "harness: trailing bytes"
    return out


@external
@pure
def open_piece(piece: Bytes[batch_data.MAX_INPUTS], root: bytes32, length: uint256) -> Bytes[batch_data.MAX_INPUTS]:
    p: batch_data.Piece = empty(batch_data.Piece)
    pos: uint256 = 0
    p, pos = batch_data.open_piece(piece, 0, root, length)
    assert pos == len(piece), "harness: trailing bytes"
    return slice(piece, p.at, p.end - p.start)


@external
@view
def read(pieces: Bytes[batch_data.MAX_INPUTS], root: bytes32, length: uint256, start: uint256, end: uint256) -> Bytes[batch_data.MAX_READ]:
    return batch_data.read(pieces, self._pieces(pieces, root, length), start, end)


@external
@view
def read_item(pieces: Bytes[batch_data.MAX_INPUTS], root: bytes32, length: uint256, offset: uint256, end: uint256) -> (bool, batch_stream.Item):
    return batch_stream.read_item(pieces, self._pieces(pieces, root, length), offset, end)


@external
@view
def read_uint(pieces: Bytes[batch_data.MAX_INPUTS], root: bytes32, length: uint256, offset: uint256, end: uint256, max_bytes: uint256) -> (bool, uint256, uint256):
    return batch_stream.read_uint(pieces, self._pieces(pieces, root, length), offset, end, max_bytes)


@external
@view
def read_header(pieces: Bytes[batch_data.MAX_INPUTS], root: bytes32, length: uint256, offset: uint256) -> (bool, batch_stream.Header):
    return batch_stream.read_header(pieces, self._pieces(pieces, root, length), offset, length)


@external
@pure
def tree_depth(length: uint256) -> uint256:
    return batch_data.tree_depth(length)


@external
@pure
def block_time(timestamp: uint256, previous: uint256, l1_time: uint256) -> uint256:
    return l1_inputs.block_time(timestamp, previous, l1_time)


@external
@pure
def queue_limit(start: uint256, seen: uint256, cap: uint256) -> uint256:
    return l1_inputs.queue_limit(start, seen, cap)


@external
@pure
def clamp(x: uint256, low: uint256, high: uint256) -> uint256:
    return l1_inputs.clamp(x, low, high)


@external
@pure
def deposit_tx(index: uint256, recipient: address, amount_e6: uint256) -> Bytes[l1_queues.MAX_DEPOSIT_TX]:
    return l1_queues.deposit_tx(l1_queues.Deposit(index=index, recipient=recipient, amount_e6=amount_e6, deadline=0))


@external
@view
def open(inputs: Bytes[batch_data.MAX_INPUTS], batch: uint256, inbox: address, portal: address, queue: address) -> (
    step_inputs.Record, uint256, DynArray[l1_queues.Deposit, l1_queues.MAX_ENTRIES], DynArray[l1_queues.Forced, l1_queues.MAX_ENTRIES]
):
    o: step_inputs.Opened = step_inputs.open(inputs, batch, inbox, portal, queue)
    return o.record, len(o.pieces), o.deposits, o.forced
