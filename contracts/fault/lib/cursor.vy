# pragma version 0.4.3
"""
@title cursor
@notice The step machine's cursor (twin of `node/stf/cursor.py`): the struct, its canonical
        RLP decoding and encoding, and the claim on a boundary.
@dev Encoding (as Python's `encode_cursor`):

         [phase, block, time, tx_index, [zz(r) for r in outer], tx, sender, tx_hash,
          [zz(r) for r in regs], [[phase, [zz(r) ...]] for each frame], [token, ...]]

     integers as canonical RLP integers of at most MAX_INT_BYTES bytes, `zz` the zigzag map
     (n >= 0 -> 2n, n < 0 -> -2n - 1). `decode_cursor` accepts exactly the bytes Python's
     `decode_cursor` accepts within the bounds below, and reverts ("cursor: ...") otherwise.

     Layout, chosen for memory gas (Vyper allocates every local, argument and temporary at
     its largest size, and memory gas grows with the square of the highest address): only
     the running frame's registers are decoded, into `regs` (at most MAX_REGS: every step
     but the margin fold's); a suspended frame (`Frame`) keeps its registers as the raw
     RLP list they were encoded as (`regs_rlp`, header included), since only `machine.ret`
     reads them again. So a `Cursor` is about 9 KB and `encode_cursor`'s output at most
     MAX_NARROW bytes. The margin fold's registers (up to MAX_WIDE_REGS) go through
     `decode_cursor_wide` + `decode_wide_regs` and `encode_cursor_wide`, which keep them out
     of the struct.

     Bounds beyond Python's (none is reachable by the STF): `tx` at most MAX_TX bytes
     (derivation loads at most `tx_codec.MAX_TX_BYTES`), at most MAX_FRAMES suspended frames
     of at most MAX_FRAME_RLP bytes each, MAX_SAVED checkpoint tokens, MAX_OUTER outer
     registers, MAX_REGS running registers, and an encoding of at most MAX_CURSOR bytes
     (Python refuses to decode a longer one; the margin fold's largest is below 22 KB). A
     cursor beyond them reverts with "cursor: ... bound" (or "cursor: over MAX_CURSOR").
"""

import lib.rlp as rlp

MAX_CURSOR: constant(uint256) = 32768  # node/stf/cursor.py MAX_CURSOR_BYTES
MAX_INT_BYTES: constant(uint256) = 32  # node/stf/cursor.py MAX_INT_BYTES
MAX_TX: constant(uint256) = 2048  # node/stf/tx_codec.py MAX_TX_BYTES
MAX_OUTER: constant(uint256) = 16  # node/stf/derive_steps.py OUTER_REGS = 15
MAX_REGS: constant(uint256) = 64  # a running frame's registers, margin fold aside (largest seen: 16)
MAX_WIDE_REGS: constant(uint256) = 3280  # node/stf/margin_steps.py: 4 + 6 + margin_fold.MAX_REGS (3,270)
MAX_FRAMES: constant(uint256) = 4  # call depth: place/liquidate -> margin is 1
MAX_FRAME_RLP: constant(uint256) = 1024  # a suspended frame's registers, RLP list with header
MAX_KEEP: constant(uint256) = 64  # registers a suspended frame can hold (<= MAX_FRAME_RLP / 16)
MAX_SAVED: constant(uint256) = 8  # checkpoint tokens (bodies take at most 3)
# Longest encoding of a `Cursor` (MAX_REGS registers): list header, 4 integers, outer, tx,
# sender, tx_hash, regs, stack, saved.
MAX_NARROW: constant(uint256) = (3 + 4 * 33 + (3 + MAX_OUTER * 33) + (3 + MAX_TX) + 21 + 33
                                 + (3 + MAX_REGS * 33) + (3 + MAX_FRAMES * (3 + 33 + MAX_FRAME_RLP))
                                 + (3 + MAX_SAVED * 33))


struct Frame:
    phase: uint256
    regs_rlp: Bytes[MAX_FRAME_RLP]  # the frame's registers: RLP list of zigzag integers


struct Cursor:
    phase: uint256
    block: uint256
    time: uint256
    tx_index: uint256
    outer: DynArray[int256, MAX_OUTER]
    tx: Bytes[MAX_TX]
    sender: Bytes[20]  # b"" (none) or 20 bytes
    tx_hash: Bytes[32]  # b"" (before decoding) or 32 bytes
    regs: DynArray[int256, MAX_REGS]
    stack: DynArray[Frame, MAX_FRAMES]  # innermost last
    saved: DynArray[bytes32, MAX_SAVED]  # innermost last


# ---------------------------------------------------------------------------------
# Integers


@internal
@pure
def zigzag(x: int256) -> uint256:
    """
    @notice node/stf/cursor.py::zigzag: n >= 0 -> 2n, n < 0 -> -2n - 1 (a bijection onto uint256).
    """
    if x >= 0:
        return convert(x, uint256) << 1
    return (convert(-(x + 1), uint256) << 1) | 1


@internal
@pure
def unzigzag(x: uint256) -> int256:
    """
    @notice node/stf/cursor.py::unzigzag.
    """
    if x & 1 == 0:
        return convert(x >> 1, int256)
    return -convert(x >> 1, int256) - 1


@internal
@pure
def byte_length(x: uint256) -> uint256:
    """
    @notice Bytes of `x` big-endian without leading zeros (0 for 0).
    """
    n: uint256 = 0
    v: uint256 = x
    if v >= 1 << 128:
        n = 16
        v = v >> 128
    if v >= 1 << 64:
        n += 8
        v = v >> 64
    if v >= 1 << 32:
        n += 4
        v = v >> 32
    if v >= 1 << 16:
        n += 2
        v = v >> 16
    if v >= 1 << 8:
        n += 1
        v = v >> 8
    if v != 0:
        n += 1
    return n


@internal
@pure
def int_rlp_size(x: uint256) -> uint256:
    """
    @notice Length of the RLP of the integer `x` (1 for 0 and values below 0x80).
    """
    if x < 128:
        return 1
    return 1 + self.byte_length(x)


@internal
@pure
def _int_item(word: bytes32, next_word: bytes32, pos: uint256, limit: uint256) -> (uint256, uint256):
    """
    @notice The canonical RLP integer at `pos` (ending by `limit`) and the position after it;
            `word` and `next_word` are the buffer's 32 bytes at `pos` and at `pos + 1`.
    @dev node/stf/cursor.py::_uint: a string of at most MAX_INT_BYTES bytes, no leading zero
         (and a single byte below 0x80 encoded as itself, as strict RLP wants). Takes words,
         not the buffer: an internal call copies its arguments.
    """
    b0: uint256 = convert(word, uint256) >> 248
    if b0 < 128:
        assert pos < limit, "rlp: item out of bounds"
        return b0, pos + 1
    assert b0 <= 128 + MAX_INT_BYTES, "cursor: not an integer of at most 32 bytes"
    n: uint256 = b0 - 128
    assert pos + 1 + n <= limit, "rlp: item out of bounds"
    if n == 0:
        return 0, pos + 1
    w: uint256 = convert(next_word, uint256)
    assert w >> 248 != 0, "cursor: integer with a leading zero"
    x: uint256 = w >> (8 * (32 - n))
    assert n > 1 or x >= 128, "rlp: single byte not encoded as itself"
    return x, pos + 1 + n


@internal
@pure
def _string_item(word: bytes32, pos: uint256, limit: uint256) -> rlp.Item:
    it: rlp.Item = rlp.header(word, pos, limit)
    assert not it.is_list, "cursor: a byte string is a list"
    return it


@internal
@pure
def _list_item(word: bytes32, pos: uint256, limit: uint256) -> rlp.Item:
    it: rlp.Item = rlp.header(word, pos, limit)
    assert it.is_list, "cursor: a list is a byte string"
    return it



@internal
@pure
def _decode(raw: Bytes[MAX_CURSOR], wide: bool) -> Cursor:
    """
    @notice node/stf/cursor.py::decode_cursor, with the running registers decoded into `regs`
            (not `wide`), or only located (`wide`: `decode_wide_regs` decodes and checks them).
    """
    n: uint256 = len(raw)
    assert n > 0, "cursor: empty"
    buf: Bytes[MAX_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = self._list_item(extract32(buf, 0), 0, n)
    assert top.end == n, "cursor: trailing bytes"
    end: uint256 = n
    c: Cursor = empty(Cursor)
    pos: uint256 = top.offset
    c.phase, pos = self._int_item(extract32(buf, pos), extract32(buf, pos + 1), pos, end)
    c.block, pos = self._int_item(extract32(buf, pos), extract32(buf, pos + 1), pos, end)
    c.time, pos = self._int_item(extract32(buf, pos), extract32(buf, pos + 1), pos, end)
    c.tx_index, pos = self._int_item(extract32(buf, pos), extract32(buf, pos + 1), pos, end)
    x: uint256 = 0
    p: uint256 = 0

    it: rlp.Item = self._list_item(extract32(buf, pos), pos, end)
    p = it.offset
    for i: uint256 in range(MAX_OUTER + 1):
        if p == it.end:
            break
        assert i < MAX_OUTER, "cursor: outer over the MAX_OUTER bound"
        x, p = self._int_item(extract32(buf, p), extract32(buf, p + 1), p, it.end)
        c.outer.append(self.unzigzag(x))
    pos = it.end

    it = self._string_item(extract32(buf, pos), pos, end)
    assert it.length <= MAX_TX, "cursor: tx over the MAX_TX bound"
    words: DynArray[bytes32, MAX_TX // 32 + 2] = [convert(32, bytes32), convert(it.length, bytes32)]
    for k: uint256 in range(MAX_TX // 32):
        if 32 * k >= it.length:
            break
        words.append(extract32(buf, it.offset + 32 * k))
    c.tx = abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_TX])
    pos = it.end
    it = self._string_item(extract32(buf, pos), pos, end)
    assert it.length == 0 or it.length == 20, "cursor: sender is not 0 or 20 bytes"
    if it.length == 20:
        c.sender = slice(buf, it.offset, 20)
    pos = it.end
    it = self._string_item(extract32(buf, pos), pos, end)
    assert it.length == 0 or it.length == 32, "cursor: tx_hash is not 0 or 32 bytes"
    if it.length == 32:
        c.tx_hash = slice(buf, it.offset, 32)
    pos = it.end

    it = self._list_item(extract32(buf, pos), pos, end)
    if not wide:
        p = it.offset
        for i: uint256 in range(MAX_REGS + 1):
            if p == it.end:
                break
            assert i < MAX_REGS, "cursor: regs over the MAX_REGS bound"
            x, p = self._int_item(extract32(buf, p), extract32(buf, p + 1), p, it.end)
            c.regs.append(self.unzigzag(x))
    pos = it.end

    it = self._list_item(extract32(buf, pos), pos, end)
    p = it.offset
    for i: uint256 in range(MAX_FRAMES + 1):
        if p == it.end:
            break
        assert i < MAX_FRAMES, "cursor: stack over the MAX_FRAMES bound"
        frame: rlp.Item = self._list_item(extract32(buf, p), p, it.end)
        phase: uint256 = 0
        q: uint256 = 0
        phase, q = self._int_item(extract32(buf, frame.offset), extract32(buf, frame.offset + 1), frame.offset, frame.end)
        regs: rlp.Item = self._list_item(extract32(buf, q), q, frame.end)
        assert regs.end == frame.end, "cursor: a frame has more than 2 fields"
        size: uint256 = regs.end - regs.start
        assert size <= MAX_FRAME_RLP, "cursor: frame over the MAX_FRAME_RLP bound"
        q = regs.offset
        for j: uint256 in range(MAX_FRAME_RLP):
            if q == regs.end:
                break
            x, q = self._int_item(extract32(buf, q), extract32(buf, q + 1), q, regs.end)
        frame_words: DynArray[bytes32, MAX_FRAME_RLP // 32 + 2] = [convert(32, bytes32), convert(size, bytes32)]
        for k: uint256 in range(MAX_FRAME_RLP // 32):
            if 32 * k >= size:
                break
            frame_words.append(extract32(buf, regs.start + 32 * k))
        c.stack.append(Frame(
            phase=phase,
            regs_rlp=abi_decode(slice(abi_encode(frame_words), 64, 32 * len(frame_words)), Bytes[MAX_FRAME_RLP])))
        p = frame.end
    pos = it.end

    it = self._list_item(extract32(buf, pos), pos, end)
    p = it.offset
    for i: uint256 in range(MAX_SAVED + 1):
        if p == it.end:
            break
        assert i < MAX_SAVED, "cursor: saved over the MAX_SAVED bound"
        token: rlp.Item = self._string_item(extract32(buf, p), p, it.end)
        assert token.length == 32, "cursor: a saved token is not 32 bytes"
        c.saved.append(extract32(buf, token.offset))
        p = token.end
    assert it.end == end, "cursor: more than 11 fields"
    return c


@internal
@pure
def decode_cursor(raw: Bytes[MAX_CURSOR]) -> Cursor:
    """
    @notice node/stf/cursor.py::decode_cursor: the cursor `raw` encodes; reverts ("cursor: ...",
            or "rlp: ..." for a malformed header) on anything else, and on more than MAX_REGS
            running registers (the margin fold's cursors: `decode_cursor_wide`).
    """
    return self._decode(raw, False)


@internal
@pure
def decode_cursor_wide(raw: Bytes[MAX_CURSOR]) -> Cursor:
    """
    @notice `decode_cursor` with `regs` left empty (any number of them): the margin fold's
            cursor. Use with `decode_wide_regs` (which checks them) and `encode_cursor_wide`.
    """
    return self._decode(raw, True)


@internal
@pure
def decode_wide_regs(raw: Bytes[MAX_CURSOR]) -> DynArray[int256, MAX_WIDE_REGS]:
    """
    @notice The running registers of the cursor `raw` (at most MAX_WIDE_REGS); reverts if they
            are not canonical. The other fields are checked by `decode_cursor_wide`.
    """
    buf: Bytes[MAX_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = self._list_item(extract32(buf, 0), 0, len(raw))
    pos: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        pos = rlp.header(extract32(buf, pos), pos, top.end).end
    lst: rlp.Item = self._list_item(extract32(buf, pos), pos, top.end)
    regs: DynArray[int256, MAX_WIDE_REGS] = []
    p: uint256 = lst.offset
    # the loop of `_int_item` + `unzigzag`, inlined: an internal call costs ~250 gas
    for i: uint256 in range(MAX_WIDE_REGS + 1):
        if p == lst.end:
            break
        assert i < MAX_WIDE_REGS, "cursor: regs over the MAX_WIDE_REGS bound"
        w: uint256 = convert(extract32(buf, p), uint256)
        x: uint256 = w >> 248
        if x < 128:
            p += 1
        else:
            n: uint256 = x - 128
            assert n <= MAX_INT_BYTES, "cursor: not an integer of at most 32 bytes"
            if n == 0:
                x = 0
            elif n == 32:
                x = convert(extract32(buf, p + 1), uint256)
            else:
                x = (w << 8) >> (8 * (32 - n))
            assert n == 0 or x >> (8 * (n - 1)) != 0, "cursor: integer with a leading zero"
            assert n != 1 or x >= 128, "rlp: single byte not encoded as itself"
            p += 1 + n
        assert p <= lst.end, "rlp: item out of bounds"
        if x & 1 == 0:
            regs.append(convert(x >> 1, int256))
        else:
            regs.append(-convert(x >> 1, int256) - 1)
    return regs


@internal
@pure
def decode_frame_regs(regs_rlp: Bytes[MAX_FRAME_RLP]) -> DynArray[int256, MAX_KEEP]:
    """
    @notice The registers of a suspended frame (validated when its cursor was decoded).
    """
    buf: Bytes[MAX_FRAME_RLP + 32] = concat(regs_rlp, empty(bytes32))
    lst: rlp.Item = rlp.header(extract32(buf, 0), 0, len(regs_rlp))
    out: DynArray[int256, MAX_KEEP] = []
    pos: uint256 = lst.offset
    for i: uint256 in range(MAX_KEEP + 1):
        if pos == lst.end:
            break
        assert i < MAX_KEEP, "cursor: frame regs over the MAX_KEEP bound"
        it: rlp.Item = rlp.header(extract32(buf, pos), pos, lst.end)
        x: uint256 = 0
        if it.length > 0:
            x = convert(extract32(buf, it.offset), uint256) >> (8 * (32 - it.length))
        out.append(self.unzigzag(x))
        pos = it.end
    return out


@internal
@pure
def _put(acc: uint256, fill: uint256, item: uint256, n: uint256) -> (uint256, uint256, uint256, bool):
    """
    @notice Append the `n` (1..32) top bytes of `item` (left-aligned, the rest zero) to the
            word being filled (`acc`, `fill` bytes used). Returns the new `acc` and `fill`,
            and the completed word when one completes.
    """
    out: uint256 = acc | (item >> (8 * fill))
    if fill + n < 32:
        return out, fill + n, 0, False
    rest: uint256 = 0
    if fill > 0:
        rest = item << (8 * (32 - fill))
    return rest, fill + n - 32, out, True


@internal
@pure
def _left(x: uint256, n: uint256) -> uint256:
    """`x` (below 2**(8n)) as the top `n` bytes of a word."""
    return x << (8 * (32 - n))


@internal
@pure
def _int_word(x: uint256) -> (uint256, uint256):
    """
    @notice The RLP of the integer `x` as (left-aligned word, byte count) when it is one
            byte; for longer ones the header byte alone (the caller appends the x).
    """
    if x == 0:
        return self._left(128, 1), 1
    if x < 128:
        return self._left(x, 1), 1
    return self._left(128 + self.byte_length(x), 1), 1


@internal
@pure
def _header_word(base: uint256, length: uint256) -> (uint256, uint256):
    """The RLP header (`base` 0x80 string, 0xc0 list) of a payload of `length` < 65,536 bytes."""
    if length < 56:
        return self._left(base + length, 1), 1
    if length < 256:
        return self._left((base + 56) * 256 + length, 2), 2
    return self._left((base + 57) * 65536 + length, 3), 3


@internal
@pure
def _header_size(length: uint256) -> uint256:
    if length < 56:
        return 1
    if length < 256:
        return 2
    return 3


@internal
@pure
def _string_size(data: Bytes[MAX_TX]) -> uint256:
    if len(data) == 1 and convert(slice(data, 0, 1), uint256) < 128:
        return 1
    return self._header_size(len(data)) + len(data)


@internal
@pure
def encode_cursor(c: Cursor) -> Bytes[MAX_NARROW]:
    """
    @notice node/stf/cursor.py::encode_cursor: the canonical RLP of `c`.
    @dev Sizes first (every list header needs its payload's length), then every byte is
         packed into 32-byte words, copied out once: cost linear in the cursor's size.
         Reverts "cursor: ... bound" past the bounds of the module docstring.
    """
    outer_size: uint256 = 0
    for r: int256 in c.outer:
        outer_size += self.int_rlp_size(self.zigzag(r))
    regs_size: uint256 = 0
    for r: int256 in c.regs:
        regs_size += self.int_rlp_size(self.zigzag(r))
    stack_size: uint256 = 0
    for f: Frame in c.stack:
        frame: uint256 = self.int_rlp_size(f.phase) + len(f.regs_rlp)
        stack_size += self._header_size(frame) + frame
    saved_size: uint256 = 33 * len(c.saved)
    total: uint256 = (
        self.int_rlp_size(c.phase) + self.int_rlp_size(c.block) + self.int_rlp_size(c.time)
        + self.int_rlp_size(c.tx_index) + self._header_size(outer_size) + outer_size
        + self._string_size(c.tx) + self._string_size(c.sender) + self._string_size(c.tx_hash)
        + self._header_size(regs_size) + regs_size + self._header_size(stack_size) + stack_size
        + self._header_size(saved_size) + saved_size)

    # words = the ABI encoding of (Bytes,): offset, length, then the bytes
    words: DynArray[uint256, MAX_NARROW // 32 + 3] = [32, self._header_size(total) + total]
    acc: uint256 = 0
    fill: uint256 = 0
    w: uint256 = 0
    done: bool = False
    item: uint256 = 0
    n: uint256 = 0
    item, n = self._header_word(192, total)
    acc, fill, w, done = self._put(acc, fill, item, n)
    for x: uint256 in [c.phase, c.block, c.time, c.tx_index]:
        item, n = self._int_word(x)
        acc, fill, w, done = self._put(acc, fill, item, n)
        if done:
            words.append(w)
        if x >= 128:
            n = self.byte_length(x)
            acc, fill, w, done = self._put(acc, fill, self._left(x, n), n)
            if done:
                words.append(w)
    item, n = self._header_word(192, outer_size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    if done:
        words.append(w)
    for r: int256 in c.outer:
        z: uint256 = self.zigzag(r)
        item, n = self._int_word(z)
        acc, fill, w, done = self._put(acc, fill, item, n)
        if done:
            words.append(w)
        if z >= 128:
            n = self.byte_length(z)
            acc, fill, w, done = self._put(acc, fill, self._left(z, n), n)
            if done:
                words.append(w)
    for s: uint256 in range(3):
        data: Bytes[MAX_TX] = c.tx
        if s == 1:
            data = c.sender
        elif s == 2:
            data = c.tx_hash
        size: uint256 = len(data)
        padded: Bytes[MAX_TX + 32] = concat(data, empty(bytes32))
        if size != 1 or convert(slice(data, 0, 1), uint256) >= 128:
            item, n = self._header_word(128, size)
            acc, fill, w, done = self._put(acc, fill, item, n)
            if done:
                words.append(w)
        for k: uint256 in range(MAX_TX // 32):
            if 32 * k >= size:
                break
            n = min(32, size - 32 * k)
            acc, fill, w, done = self._put(acc, fill, convert(extract32(padded, 32 * k), uint256), n)
            if done:
                words.append(w)
    item, n = self._header_word(192, regs_size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    if done:
        words.append(w)
    for r: int256 in c.regs:
        z: uint256 = self.zigzag(r)
        item, n = self._int_word(z)
        acc, fill, w, done = self._put(acc, fill, item, n)
        if done:
            words.append(w)
        if z >= 128:
            n = self.byte_length(z)
            acc, fill, w, done = self._put(acc, fill, self._left(z, n), n)
            if done:
                words.append(w)
    item, n = self._header_word(192, stack_size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    if done:
        words.append(w)
    for f: Frame in c.stack:
        item, n = self._header_word(192, self.int_rlp_size(f.phase) + len(f.regs_rlp))
        acc, fill, w, done = self._put(acc, fill, item, n)
        if done:
            words.append(w)
        item, n = self._int_word(f.phase)
        acc, fill, w, done = self._put(acc, fill, item, n)
        if done:
            words.append(w)
        if f.phase >= 128:
            n = self.byte_length(f.phase)
            acc, fill, w, done = self._put(acc, fill, self._left(f.phase, n), n)
            if done:
                words.append(w)
        size: uint256 = len(f.regs_rlp)
        padded: Bytes[MAX_FRAME_RLP + 32] = concat(f.regs_rlp, empty(bytes32))
        for k: uint256 in range(MAX_FRAME_RLP // 32):
            if 32 * k >= size:
                break
            n = min(32, size - 32 * k)
            acc, fill, w, done = self._put(acc, fill, convert(extract32(padded, 32 * k), uint256), n)
            if done:
                words.append(w)
    item, n = self._header_word(192, saved_size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    if done:
        words.append(w)
    for t: bytes32 in c.saved:
        acc, fill, w, done = self._put(acc, fill, self._left(160, 1), 1)
        if done:
            words.append(w)
        acc, fill, w, done = self._put(acc, fill, convert(t, uint256), 32)
        if done:
            words.append(w)
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_NARROW])


@internal
@pure
def encode_cursor_wide(c: Cursor, regs: DynArray[int256, MAX_WIDE_REGS]) -> Bytes[MAX_CURSOR]:
    """
    @notice node/stf/cursor.py::encode_cursor of `c` with running registers `regs` (`c.regs`
            is ignored): the margin fold's cursor. Reverts past MAX_CURSOR bytes.
    @dev Encodes `c` without registers, then writes it again with `regs` spliced in.
    """
    d: Cursor = c
    d.regs = []
    narrow: Bytes[MAX_NARROW] = self.encode_cursor(d)
    padded: Bytes[MAX_NARROW + 32] = concat(narrow, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(padded, 0), 0, len(narrow))
    split: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        split = rlp.header(extract32(padded, split), split, top.end).end
    # narrow[split] is 0xc0, the empty register list
    regs_size: uint256 = 0
    for r: int256 in regs:
        z: uint256 = convert(r, uint256) << 1
        if r < 0:
            z = (convert(-(r + 1), uint256) << 1) | 1
        if z >= 128:
            regs_size += self.byte_length(z)
        regs_size += 1
    total: uint256 = len(narrow) - top.offset - 1 + self._header_size(regs_size) + regs_size
    size: uint256 = self._header_size(total) + total
    assert size <= MAX_CURSOR, "cursor: over MAX_CURSOR"

    words: DynArray[uint256, MAX_CURSOR // 32 + 3] = [32, size]
    acc: uint256 = 0
    fill: uint256 = 0
    w: uint256 = 0
    done: bool = False
    item: uint256 = 0
    n: uint256 = 0
    item, n = self._header_word(192, total)
    acc, fill, w, done = self._put(acc, fill, item, n)
    for k: uint256 in range(MAX_NARROW // 32 + 1):
        at: uint256 = top.offset + 32 * k
        if at >= split:
            break
        n = min(32, split - at)
        acc, fill, w, done = self._put(acc, fill, convert(extract32(padded, at), uint256) >> (8 * (32 - n)) << (8 * (32 - n)), n)
        if done:
            words.append(w)
    item, n = self._header_word(192, regs_size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    if done:
        words.append(w)
    # the loop of `zigzag` + `_int_word` + `_put`, inlined: an internal call costs ~250 gas
    for r: int256 in regs:
        z: uint256 = convert(r, uint256) << 1
        if r < 0:
            z = (convert(-(r + 1), uint256) << 1) | 1
        if z < 128:
            n = 1
            item = z << 248
            if z == 0:
                item = 128 << 248
        else:
            n = self.byte_length(z)
            if n == 32:  # the header byte alone first
                acc |= 160 << (8 * (31 - fill))
                fill += 1
                if fill == 32:
                    words.append(acc)
                    acc = 0
                    fill = 0
                item = z
            else:
                item = (((128 + n) << (8 * n)) | z) << (8 * (31 - n))
                n += 1
        acc |= item >> (8 * fill)
        if fill + n >= 32:
            words.append(acc)
            acc = item << (8 * (32 - fill))  # 0 when fill is 0 (a shift by 256)
            fill = fill + n - 32
        else:
            fill += n
    for k: uint256 in range(MAX_NARROW // 32 + 1):
        at: uint256 = split + 1 + 32 * k
        if at >= len(narrow):
            break
        n = min(32, len(narrow) - at)
        acc, fill, w, done = self._put(acc, fill, convert(extract32(padded, at), uint256) >> (8 * (32 - n)) << (8 * (32 - n)), n)
        if done:
            words.append(w)
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_CURSOR])


@internal
@pure
def encode_frame_regs(regs: DynArray[int256, MAX_KEEP]) -> Bytes[MAX_FRAME_RLP]:
    """
    @notice The RLP list of zigzag registers a suspended frame keeps (`Frame.regs_rlp`), as
            node/stf/cursor.py::encode_cursor writes a frame's regs.
    """
    size: uint256 = 0
    for r: int256 in regs:
        size += self.int_rlp_size(self.zigzag(r))
    words: DynArray[uint256, MAX_FRAME_RLP // 32 + 3] = [32, self._header_size(size) + size]
    acc: uint256 = 0
    fill: uint256 = 0
    w: uint256 = 0
    done: bool = False
    item: uint256 = 0
    n: uint256 = 0
    item, n = self._header_word(192, size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    for r: int256 in regs:
        z: uint256 = self.zigzag(r)
        item, n = self._int_word(z)
        acc, fill, w, done = self._put(acc, fill, item, n)
        if done:
            words.append(w)
        if z >= 128:
            n = self.byte_length(z)
            acc, fill, w, done = self._put(acc, fill, self._left(z, n), n)
            if done:
                words.append(w)
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_FRAME_RLP])


@internal
@pure
def claim(root: bytes32, cursor_rlp: Bytes[MAX_CURSOR]) -> bytes32:
    """
    @notice node/stf/cursor.py::claim_of: keccak256(root || keccak256(cursor_rlp)).
    """
    return keccak256(concat(root, keccak256(cursor_rlp)))
