# pragma version ~=0.4.3
"""
@title batch_stream
@notice RLP item headers read at offsets of a batch seen only through the pieces of a
        step's proof: twin of node/stf/rlp_stream.py (`read_item`, `read_uint`) and of the
        block item's header (node/stf/derive_steps.py::_read_header).
@dev Where Python raises RlpStreamError (not a canonical item inside the bounds) these
     return `ok = False`: the derivation rules turn that into the end of the batch's own
     blocks, never a revert. They read exactly the bytes Python reads, in the same order,
     so a proof carrying what the Python step read always suffices; a read the proof does
     not carry reverts (batch_data).
"""

import fault.lib.batch_data as batch_data

MAX_UINT_BYTES: constant(uint256) = 8  # node/stf/l1_inputs.py::MAX_UINT_BYTES
SHORT_STRING: constant(uint256) = 128  # 0x80
ONE_BYTE: constant(uint256) = 129      # 0x81: a string of one byte
LONG_STRING: constant(uint256) = 184   # 0xb8
SHORT_LIST: constant(uint256) = 192    # 0xc0
LONG_LIST: constant(uint256) = 248     # 0xf8
SHORT_LIMIT: constant(uint256) = 56    # payloads of 56 bytes or more take the long form


struct Item:
    is_list: bool
    start: uint256  # first payload byte
    end: uint256    # first byte after the item


struct Header:
    timestamp: uint256
    deposits_through: uint256
    forced_through: uint256
    txs_start: uint256  # the transaction list's payload
    txs_end: uint256


@internal
@view
def read_item(
    inputs: Bytes[batch_data.MAX_INPUTS], pieces: DynArray[batch_data.Piece, batch_data.MAX_PIECES],
    offset: uint256, end: uint256,
) -> (bool, Item):
    """
    @notice Twin of node/stf/rlp_stream.py::read_item: the item at `offset`, which must end
            at or before `end`; `ok` False where Python raises RlpStreamError.
    """
    if offset >= end:
        return False, empty(Item)
    first: uint256 = batch_data.read_byte(inputs, pieces, offset)
    if first < SHORT_STRING:
        return True, Item(is_list=False, start=offset, end=offset + 1)
    is_list: bool = False
    length: uint256 = 0
    start: uint256 = 0
    if first < LONG_STRING or (SHORT_LIST <= first and first < LONG_LIST):
        is_list = first >= SHORT_LIST
        length = first - (SHORT_LIST if is_list else SHORT_STRING)
        start = offset + 1
    else:
        is_list = first >= LONG_LIST
        size: uint256 = first - (LONG_LIST if is_list else LONG_STRING) + 1  # 1..8
        start = offset + 1 + size
        if start > end:
            return False, empty(Item)
        length = batch_data.read_uint(inputs, pieces, offset + 1, start)
        if length < 1 << (8 * (size - 1)):  # a leading zero byte
            return False, empty(Item)
        if length < SHORT_LIMIT:
            return False, empty(Item)
    if start + length > end:
        return False, empty(Item)
    if first == ONE_BYTE and batch_data.read_byte(inputs, pieces, start) < SHORT_STRING:
        return False, empty(Item)
    return True, Item(is_list=is_list, start=start, end=start + length)


@internal
@view
def read_uint(
    inputs: Bytes[batch_data.MAX_INPUTS], pieces: DynArray[batch_data.Piece, batch_data.MAX_PIECES],
    offset: uint256, end: uint256, max_bytes: uint256,
) -> (bool, uint256, uint256):
    """
    @notice Twin of node/stf/rlp_stream.py::read_uint: a canonical RLP integer of at most
            `max_bytes` (<= 32) at `offset`: (ok, value, next offset).
    """
    ok: bool = False
    item: Item = empty(Item)
    ok, item = self.read_item(inputs, pieces, offset, end)
    if not ok or item.is_list:
        return False, 0, 0
    size: uint256 = item.end - item.start
    if size > max_bytes:
        return False, 0, 0
    if size == 0:
        return True, 0, item.end
    value: uint256 = batch_data.read_uint(inputs, pieces, item.start, item.end)
    if value < 1 << (8 * (size - 1)):  # a leading zero byte
        return False, 0, 0
    return True, value, item.end


@internal
@view
def read_header(
    inputs: Bytes[batch_data.MAX_INPUTS], pieces: DynArray[batch_data.Piece, batch_data.MAX_PIECES],
    offset: uint256, length: uint256,
) -> (bool, Header):
    """
    @notice Twin of node/stf/derive_steps.py::_read_header: the block item at `offset` of a
            `length`-byte batch, `[timestamp, deposits_through, forced_through, [tx, ...]]`
            with header integers of at most MAX_UINT_BYTES; `ok` False where Python raises
            RlpStreamError.
    """
    ok: bool = False
    whole: Item = empty(Item)
    ok, whole = self.read_item(inputs, pieces, offset, length)
    if not ok or not whole.is_list:
        return False, empty(Header)
    h: Header = empty(Header)
    at: uint256 = 0
    ok, h.timestamp, at = self.read_uint(inputs, pieces, whole.start, whole.end, MAX_UINT_BYTES)
    if not ok:
        return False, empty(Header)
    ok, h.deposits_through, at = self.read_uint(inputs, pieces, at, whole.end, MAX_UINT_BYTES)
    if not ok:
        return False, empty(Header)
    ok, h.forced_through, at = self.read_uint(inputs, pieces, at, whole.end, MAX_UINT_BYTES)
    if not ok:
        return False, empty(Header)
    txs: Item = empty(Item)
    ok, txs = self.read_item(inputs, pieces, at, whole.end)
    if not ok or not txs.is_list or txs.end != whole.end:
        return False, empty(Header)
    h.txs_start = txs.start
    h.txs_end = txs.end
    return True, h
