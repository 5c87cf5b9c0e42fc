# pragma version 0.4.3
"""
@title record_rlp
@notice The RLP pieces of the state records (`node/stf/records.py`): strict readers of
        one canonical item (an integer, an address, a short string, a list header) and
        the writers `records.vy` assembles encodings from.
@dev Readers take the 32-byte words of the buffer at the item (`w0` = bytes from `pos`,
     `w1` = bytes from `pos + 1`, zero past the buffer's end: the caller reads them with
     `extract32` on a buffer padded with zero bytes) so that no buffer is copied per item.
     An item must end at or before `limit` (the end of its enclosing list). Integers are
     canonical RLP integers of at most 32 bytes (`records._u`): no leading zero byte, 0 as
     the empty string. Every refusal reverts with a reason starting "records:" (or "rlp:"
     from `lib/rlp.vy`'s header check).

     `spread` places a piece of an encoding at a byte offset of a word buffer
     (`uint256[W]`, big-endian, zero-initialised): a list of any length is written into one
     buffer without copying what was written before (Vyper cannot append to a `Bytes`
     in place).
"""

import lib.rlp as rlp

SHORT_STRING: constant(uint256) = 128  # 0x80
ADDRESS_HEADER: constant(uint256) = 148  # 0x94: a 20-byte string
MAX_STRING: constant(uint256) = 32  # longest string `string_at` reads
# Longest piece `spread` places (an OrderTotals entry at its widest: 3 + 7 * 33).
MAX_PIECE: constant(uint256) = 234
PIECE_WORDS: constant(uint256) = (MAX_PIECE + 31) // 32
SPREAD_WORDS: constant(uint256) = PIECE_WORDS + 1  # words a piece touches at most


# ---------------------------------------------------------------------------------
# Reading


@internal
@pure
def uint_at(w0: bytes32, w1: bytes32, pos: uint256, limit: uint256) -> (uint256, uint256):
    """
    @notice The canonical RLP integer at `pos` and the offset after it.
    @dev Twin of `node/stf/records.py::_int` restricted to `_u`'s outputs (<= 32 bytes,
         no leading zero), so that every accepted item is what `_u` writes.
    """
    assert pos < limit, "records: item out of bounds"
    b0: uint256 = convert(w0, uint256) >> 248
    if b0 < SHORT_STRING:
        assert b0 != 0, "records: integer with a leading zero"
        return b0, pos + 1
    assert b0 <= SHORT_STRING + 32, "records: not an integer"
    n: uint256 = b0 - SHORT_STRING
    end: uint256 = pos + 1 + n
    assert end <= limit, "records: item out of bounds"
    if n == 0:
        return 0, end
    value: uint256 = convert(w1, uint256) >> (256 - 8 * n)
    assert value >> (8 * (n - 1)) != 0, "records: integer with a leading zero"
    assert n > 1 or value >= SHORT_STRING, "records: single byte not encoded as itself"
    return value, end


@internal
@pure
def int_at(w0: bytes32, w1: bytes32, pos: uint256, limit: uint256) -> (int256, uint256):
    """
    @notice The signed integer at `pos` (int256 two's complement: `records.py::_sint`).
    """
    value: uint256 = 0
    end: uint256 = 0
    value, end = self.uint_at(w0, w1, pos, limit)
    return convert(convert(value, bytes32), int256), end


@internal
@pure
def bool_at(w0: bytes32, w1: bytes32, pos: uint256, limit: uint256) -> (bool, uint256):
    """
    @notice A flag at `pos`: the integer 0 or 1 (`_u(int(flag))`).
    """
    value: uint256 = 0
    end: uint256 = 0
    value, end = self.uint_at(w0, w1, pos, limit)
    assert value <= 1, "records: flag not 0 or 1"
    return value == 1, end


@internal
@pure
def address_at(w0: bytes32, w1: bytes32, pos: uint256, limit: uint256) -> (address, uint256):
    """
    @notice The 20-byte string at `pos`, as an address.
    """
    assert pos < limit, "records: item out of bounds"
    assert convert(w0, uint256) >> 248 == ADDRESS_HEADER, "records: not a 20-byte string"
    assert pos + 21 <= limit, "records: item out of bounds"
    return convert(convert(convert(w1, uint256) >> 96, uint160), address), pos + 21


@internal
@pure
def string_at(w0: bytes32, pos: uint256, limit: uint256) -> (uint256, uint256, uint256):
    """
    @notice The string of at most MAX_STRING bytes at `pos`: (payload offset, length, end).
    """
    it: rlp.Item = rlp.header(w0, pos, limit)
    assert not it.is_list, "records: not a string"
    assert it.length <= MAX_STRING, "records: string too long"
    return it.offset, it.length, it.end


@internal
@pure
def list_at(w0: bytes32, pos: uint256, limit: uint256) -> (uint256, uint256):
    """
    @notice The list whose header is at `pos`: (payload offset, end).
    """
    it: rlp.Item = rlp.header(w0, pos, limit)
    assert it.is_list, "records: not a list"
    return it.offset, it.end


# ---------------------------------------------------------------------------------
# Writing


@internal
@pure
def enc_int(x: int256) -> Bytes[33]:
    """
    @notice `records.py::_s`: a signed integer as the RLP integer of its two's complement.
    """
    return rlp.encode_uint(convert(convert(x, bytes32), uint256))


@internal
@pure
def enc_bool(x: bool) -> Bytes[1]:
    """
    @notice `_u(int(x))`: 0x01 or 0x80.
    """
    if x:
        return b"\x01"
    return b"\x80"


@internal
@pure
def enc_string(s: Bytes[MAX_STRING]) -> Bytes[MAX_STRING + 1]:
    """
    @notice RLP of a byte string (a single byte below 0x80 is its own encoding).
    """
    if len(s) == 1 and convert(slice(s, 0, 1), uint256) < SHORT_STRING:
        return s
    return concat(slice(rlp.string_header(len(s)), 0, 1), s)


@internal
@pure
def spread(pos: uint256, piece: Bytes[MAX_PIECE]) -> (uint256, DynArray[uint256, SPREAD_WORDS]):
    """
    @notice `piece` placed at byte `pos` of a big-endian word buffer: the index of the
            first word it touches and the words to OR into it and the ones after it.
    """
    padded: Bytes[MAX_PIECE + 32] = concat(piece, empty(bytes32))
    n: uint256 = len(piece)
    bits: uint256 = (pos % 32) * 8
    out: DynArray[uint256, SPREAD_WORDS] = []
    carry: uint256 = 0
    for k: uint256 in range(PIECE_WORDS):
        if 32 * k >= n:
            break
        w: uint256 = convert(extract32(padded, 32 * k), uint256)
        if bits == 0:
            out.append(w)
        else:
            out.append(carry | (w >> bits))
            carry = w << (256 - bits)
    if bits != 0 and (pos % 32) + n > 32 * len(out):
        out.append(carry)
    return pos // 32, out


@internal
@pure
def list_header(length: uint256) -> Bytes[3]:
    """
    @notice Header of a list whose payload is `length` bytes, below 65,536 (every list
            element of a record: at most MAX_PIECE bytes).
    """
    assert length < 65536, "records: list too long"
    if length < 56:
        return slice(convert(192 + length, bytes32), 31, 1)
    if length < 256:
        return concat(b"\xf8", slice(convert(length, bytes32), 31, 1))
    return concat(b"\xf9", slice(convert(length, bytes32), 30, 2))
