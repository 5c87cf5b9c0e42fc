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
     `decode_cursor` accepts within the bounds below, and reverts otherwise ("cursor: not a
     canonical cursor", or "rlp: ..." for a malformed header: one reason for many checks,
     since each reason string costs ~180 bytes of code).

     Layout, chosen for memory gas (Vyper allocates every local, argument and temporary at
     its largest size, and memory gas grows with the square of the highest address): only
     the running frame's registers are decoded, into `regs` (at most MAX_REGS: every step
     but the margin fold's); a suspended frame (`Frame`) keeps its registers as the raw
     RLP list they were encoded as (`regs_rlp`, header included), since only `machine.ret`
     reads them again. So a `Cursor` is about 9 KB and `encode_cursor`'s output at most
     MAX_NARROW bytes. The margin fold's registers (up to MAX_WIDE_REGS) go through
     `decode_cursor_wide` + `decode_wide_regs` and `encode_cursor_wide`, which keep them out
     of the struct; they take cursors of up to MAX_WIDE_CURSOR bytes (Python's bound: every
     field at its widest), the others up to MAX_CURSOR, so only the margin family and the
     verifier reserve memory for the widest.

     Bounds beyond Python's (none is reachable by the STF): `tx` at most MAX_TX bytes
     (derivation loads at most `tx_codec.MAX_TX_BYTES`), at most MAX_FRAMES suspended frames
     of at most MAX_FRAME_RLP bytes each, MAX_SAVED checkpoint tokens, MAX_OUTER outer
     registers, MAX_REGS running registers (MAX_WIDE_REGS on the wide path). A cursor beyond
     them reverts with "cursor: ... bound" (or "cursor: over MAX_CURSOR").
"""

import lib.rlp as rlp

MAX_CURSOR: constant(uint256) = 32768  # a cursor of any step but the margin fold's (at most MAX_NARROW bytes)
MAX_WIDE_CURSOR: constant(uint256) = 115526  # node/stf/cursor.py MAX_CURSOR_BYTES: the margin fold's, every register 33 bytes
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
# Most pieces `encode_cursor` writes a narrow cursor as (headers, integers as 1 or 2, 32-byte chunks).
_MAX_PIECES: constant(uint256) = (1 + 4 * 3 + 1 + MAX_OUTER * 3 + 3 * (2 + MAX_TX // 31) + 1 + MAX_REGS * 3
                                  + 1 + MAX_FRAMES * (5 + MAX_FRAME_RLP // 31) + 1 + MAX_SAVED * 3)
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
        assert b0 != 0, "cursor: integer with a leading zero"
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
def decode_cursor(raw: Bytes[MAX_CURSOR]) -> Cursor:
    """
    @notice node/stf/cursor.py::decode_cursor: the cursor `raw` encodes; reverts ("cursor: not a
            canonical cursor", or "rlp: ..." for a malformed header) on anything else, and on
            more than MAX_REGS running registers (the margin fold's cursors:
            `decode_cursor_wide`).
    @dev One walk over every RLP item, depth first, with one header read per item (code size:
         each read site costs ~200 bytes). `field` is the index of the top-level field the
         walk is in; `ends` / `counts` the end and the items seen of each open list.
    """
    n: uint256 = len(raw)
    assert n > 0, "cursor: not a canonical cursor"
    buf: Bytes[MAX_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(buf, 0), 0, n)
    c: Cursor = empty(Cursor)
    bad: bool = not (top.is_list and top.end == n)  # a check failed (one revert reason: code size)
    ends: uint256[4] = [n, 0, 0, 0]
    counts: uint256[4] = empty(uint256[4])
    depth: uint256 = 0
    pos: uint256 = top.offset
    frame_phase: uint256 = 0
    frame_regs: rlp.Item = empty(rlp.Item)
    for step: uint256 in range(MAX_CURSOR):
        if pos == ends[depth]:  # the list open at `depth` ends
            if depth == 0:
                break
            if depth == 2:  # a frame: [phase, [regs...]]
                bad = bad or not (counts[2] == 2)
                bad = bad or not (len(c.stack) < MAX_FRAMES)
                size: uint256 = frame_regs.end - frame_regs.start
                bad = bad or not (size <= MAX_FRAME_RLP)
                words: DynArray[bytes32, MAX_FRAME_RLP // 32 + 2] = [convert(32, bytes32), convert(size, bytes32)]
                for k: uint256 in range(MAX_FRAME_RLP // 32):
                    if 32 * k >= size:
                        break
                    words.append(extract32(buf, frame_regs.start + 32 * k))
                c.stack.append(Frame(phase=frame_phase, regs_rlp=abi_decode(
                    slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_FRAME_RLP])))
            depth -= 1
            counts[depth] += 1
            continue
        field: uint256 = counts[0]
        it: rlp.Item = rlp.header(extract32(buf, pos), pos, ends[depth])
        pos = it.end
        # what the schema wants here: 1 integer, 2 byte string, 3 list
        want: uint256 = 1
        if depth == 0:
            bad = bad or not (field < 11)
            if field == 4 or field >= 8:
                want = 3
            elif field >= 5:
                want = 2
        elif depth == 1:
            if field == 9:
                want = 3
            elif field == 10:
                want = 2
        elif depth == 2:
            bad = bad or not (counts[2] < 2)
            if counts[2] == 1:
                want = 3
        if want == 3:
            bad = bad or not (it.is_list)
            if depth == 2:
                frame_regs = it
            depth += 1
            ends[depth] = it.end
            counts[depth] = 0
            pos = it.offset
            continue
        bad = bad or not (not it.is_list)
        counts[depth] += 1
        if want == 2:
            if depth == 1:
                bad = bad or not (it.length == 32)
                bad = bad or not (len(c.saved) < MAX_SAVED)
                c.saved.append(extract32(buf, it.offset))
            elif field == 5:
                bad = bad or not (it.length <= MAX_TX)
                words: DynArray[bytes32, MAX_TX // 32 + 2] = [convert(32, bytes32), convert(it.length, bytes32)]
                for k: uint256 in range(MAX_TX // 32):
                    if 32 * k >= it.length:
                        break
                    words.append(extract32(buf, it.offset + 32 * k))
                c.tx = abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_TX])
            elif field == 6:
                bad = bad or not (it.length == 0 or it.length == 20)
                if it.length == 20:
                    c.sender = slice(buf, it.offset, 20)
            else:
                bad = bad or not (it.length == 0 or it.length == 32)
                if it.length == 32:
                    c.tx_hash = slice(buf, it.offset, 32)
            continue
        # a canonical integer (node/stf/cursor.py::_uint): at most 32 bytes, no leading zero
        bad = bad or not (it.length <= MAX_INT_BYTES)
        x: uint256 = 0
        if it.offset == it.start:  # a single byte below 0x80 (0x00 is a leading zero)
            x = convert(extract32(buf, it.start), uint256) >> 248
            bad = bad or not (x != 0)
        elif it.length > 0:
            x = convert(extract32(buf, it.offset), uint256)
            bad = bad or not (x >> 248 != 0)
            x = x >> (8 * (32 - it.length))
        if depth == 0:
            if field == 0:
                c.phase = x
            elif field == 1:
                c.block = x
            elif field == 2:
                c.time = x
            else:
                c.tx_index = x
        elif depth == 2:
            frame_phase = x
        elif depth == 1:
            r: int256 = self.unzigzag(x)
            if field == 4:
                bad = bad or not (len(c.outer) < MAX_OUTER)
                c.outer.append(r)
            else:
                bad = bad or not (len(c.regs) < MAX_REGS)
                c.regs.append(r)
    assert counts[0] == 11 and not bad, "cursor: not a canonical cursor"
    return c


@internal
@pure
def decode_cursor_wide(raw: Bytes[MAX_WIDE_CURSOR]) -> Cursor:
    """
    @notice `decode_cursor` of a cursor with any number of running registers (the margin
            fold's), left out: `regs` is empty. Use with `decode_wide_regs` (which checks them)
            and `encode_cursor_wide`.
    @dev `raw` without its register list (an empty list in its place, the top header made
         again) goes through `decode_cursor`; `raw`'s own top header is checked canonical
         and to span it (`rlp.header`), the register list by `decode_wide_regs`.
    """
    n: uint256 = len(raw)
    assert n > 0, "cursor: not a canonical cursor"
    buf: Bytes[MAX_WIDE_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(buf, 0), 0, n)
    assert top.is_list and top.end == n, "cursor: not a canonical cursor"
    pos: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        pos = rlp.header(extract32(buf, pos), pos, n).end
    regs: rlp.Item = rlp.header(extract32(buf, pos), pos, n)
    assert regs.is_list, "cursor: regs is not a list"
    payload: uint256 = n - top.offset - (regs.end - pos) + 1
    assert payload + 3 <= MAX_NARROW, "cursor: not a canonical cursor"
    words: DynArray[uint256, MAX_NARROW // 32 + 4] = [32, self._header_size(payload) + payload]
    acc: uint256 = 0
    fill: uint256 = 0
    w: uint256 = 0
    done: bool = False
    item: uint256 = 0
    m: uint256 = 0
    item, m = self._header_word(192, payload)
    acc, fill, w, done = self._put(acc, fill, item, m)
    # raw[top.offset:pos], the empty list, raw[regs.end:n]
    k: uint256 = top.offset
    stop: uint256 = pos
    for _: uint256 in range(MAX_NARROW // 32 + 4):
        if k == stop:
            if stop == n:
                break
            acc, fill, w, done = self._put(acc, fill, self._left(192, 1), 1)
            if done:
                words.append(w)
            k = regs.end
            stop = n
            continue
        m = min(32, stop - k)
        item = convert(extract32(buf, k), uint256) >> (8 * (32 - m)) << (8 * (32 - m))
        acc, fill, w, done = self._put(acc, fill, item, m)
        if done:
            words.append(w)
        k += m
    if fill > 0:
        words.append(acc)
    return self.decode_cursor(abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_NARROW]))


@internal
@pure
def decode_wide_regs(raw: Bytes[MAX_WIDE_CURSOR]) -> DynArray[int256, MAX_WIDE_REGS]:
    """
    @notice The running registers of the cursor `raw` (at most MAX_WIDE_REGS); reverts if they
            are not canonical. The other fields are checked by `decode_cursor_wide`.
    """
    buf: Bytes[MAX_WIDE_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(buf, 0), 0, len(raw))
    pos: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        pos = rlp.header(extract32(buf, pos), pos, top.end).end
    lst: rlp.Item = rlp.header(extract32(buf, pos), pos, top.end)
    assert lst.is_list, "cursor: regs is not a list"
    regs: DynArray[int256, MAX_WIDE_REGS] = []
    p: uint256 = lst.offset
    # the loop of `_int_item` + `unzigzag`, inlined (an internal call costs ~250 gas) and with
    # unchecked arithmetic where the operands are bounded (positions < 2**16, shifts <= 256)
    bad: bool = False
    for i: uint256 in range(MAX_WIDE_REGS + 1):
        if p == lst.end:
            break
        assert i < MAX_WIDE_REGS, "cursor: regs over the MAX_WIDE_REGS bound"
        w: uint256 = convert(extract32(buf, p), uint256)
        x: uint256 = w >> 248
        if x < 128:
            bad = bad or x == 0  # a leading zero
            p = unsafe_add(p, 1)
        else:
            n: uint256 = unsafe_sub(x, 128)
            bad = bad or n > MAX_INT_BYTES
            if n == 0:
                x = 0
            elif n == 32:
                x = convert(extract32(buf, unsafe_add(p, 1)), uint256)
            else:
                x = (w << 8) >> unsafe_mul(8, unsafe_sub(32, n))
            # no leading zero; a single byte below 0x80 encodes itself
            bad = bad or (n != 0 and x >> unsafe_mul(8, unsafe_sub(n, 1)) == 0) or (n == 1 and x < 128)
            p = unsafe_add(p, unsafe_add(1, n))
        if x & 1 == 0:
            regs.append(convert(x >> 1, int256))
        else:
            regs.append(unsafe_sub(-convert(x >> 1, int256), 1))
    assert p == lst.end and not bad, "cursor: not a canonical cursor"
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
    """The RLP header (`base` 0x80 string, 0xc0 list) of a payload of `length` < 2**24 bytes."""
    if length < 56:
        return self._left(base + length, 1), 1
    if length < 256:
        return self._left((base + 56) * 256 + length, 2), 2
    if length < 65536:
        return self._left((base + 57) * 65536 + length, 3), 3
    return self._left((base + 58) * 16777216 + length, 4), 4


@internal
@pure
def _header_size(length: uint256) -> uint256:
    if length < 56:
        return 1
    if length < 256:
        return 2
    if length < 65536:
        return 3
    return 4


@internal
@pure
def _string_size(data: Bytes[MAX_TX]) -> uint256:
    if len(data) == 1 and convert(slice(data, 0, 1), uint256) < 128:
        return 1
    return self._header_size(len(data)) + len(data)


@internal
@pure
def _int_pieces(x: uint256) -> (uint256, uint256, uint256):
    """
    @notice The RLP of the integer `x` as up to three pieces (0: none). A piece holds 1-31
            bytes left-aligned and its byte count in its lowest byte.
    """
    if x < 128:
        if x == 0:
            return (128 << 248) | 1, 0, 0
        return (x << 248) | 1, 0, 0
    n: uint256 = self.byte_length(x)
    if n <= 30:
        return (((128 + n) << (8 * n)) | x) << (8 * (31 - n)) | (n + 1), 0, 0
    if n == 31:
        return (159 << 248) | 1, (x << 8) | 31, 0
    return (160 << 248) | 1, ((x >> 128) << 128) | 16, (x << 128) | 16


@internal
@pure
def encode_cursor(c: Cursor) -> Bytes[MAX_NARROW]:
    """
    @notice node/stf/cursor.py::encode_cursor: the canonical RLP of `c`.
    @dev Sizes first (a list header needs its payload's length); then the encoding as a list
         of pieces (left-aligned words of 1-32 bytes), packed into 32-byte words by one loop
         and copied out once.
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

    pieces: DynArray[uint256, _MAX_PIECES] = []  # 1-31 bytes left-aligned, the count in the lowest byte
    w1: uint256 = 0
    n1: uint256 = 0
    w2: uint256 = 0
    w3: uint256 = 0
    w1, n1 = self._header_word(192, total)
    pieces.append(w1 | n1)
    # phase, block, time, tx_index; the outer list; the registers' list; each frame's phase
    for section: uint256 in range(4):
        count: uint256 = 4
        if section == 1:
            count = len(c.outer)
            w1, n1 = self._header_word(192, outer_size)
            pieces.append(w1 | n1)
        elif section == 2:
            for s: uint256 in range(3):  # tx, sender, tx_hash
                data: Bytes[MAX_TX] = c.tx
                if s == 1:
                    data = c.sender
                elif s == 2:
                    data = c.tx_hash
                size: uint256 = len(data)
                padded: Bytes[MAX_TX + 32] = concat(data, empty(bytes32))
                if size != 1 or convert(slice(data, 0, 1), uint256) >= 128:
                    w1, n1 = self._header_word(128, size)
                    pieces.append(w1 | n1)
                for k: uint256 in range(MAX_TX // 31 + 1):
                    if 31 * k >= size:
                        break
                    pieces.append((convert(extract32(padded, 31 * k), uint256) >> 8 << 8) | min(31, size - 31 * k))
            count = len(c.regs)
            w1, n1 = self._header_word(192, regs_size)
            pieces.append(w1 | n1)
        elif section == 3:
            count = 0
        for i: uint256 in range(MAX_REGS):
            if i >= count:
                break
            x: uint256 = 0
            if section == 0:
                x = c.phase
                if i == 1:
                    x = c.block
                elif i == 2:
                    x = c.time
                elif i == 3:
                    x = c.tx_index
            elif section == 1:
                x = self.zigzag(c.outer[i])
            else:
                x = self.zigzag(c.regs[i])
            w1, w2, w3 = self._int_pieces(x)
            pieces.append(w1)
            if w2 != 0:
                pieces.append(w2)
                if w3 != 0:
                    pieces.append(w3)
    w1, n1 = self._header_word(192, stack_size)
    pieces.append(w1 | n1)
    for f: Frame in c.stack:
        w1, n1 = self._header_word(192, self.int_rlp_size(f.phase) + len(f.regs_rlp))
        pieces.append(w1 | n1)
        w1, w2, w3 = self._int_pieces(f.phase)
        pieces.append(w1)
        if w2 != 0:
            pieces.append(w2)
            if w3 != 0:
                pieces.append(w3)
        size: uint256 = len(f.regs_rlp)
        padded: Bytes[MAX_FRAME_RLP + 32] = concat(f.regs_rlp, empty(bytes32))
        for k: uint256 in range(MAX_FRAME_RLP // 31 + 1):
            if 31 * k >= size:
                break
            pieces.append((convert(extract32(padded, 31 * k), uint256) >> 8 << 8) | min(31, size - 31 * k))
    w1, n1 = self._header_word(192, saved_size)
    pieces.append(w1 | n1)
    for t: bytes32 in c.saved:
        pieces.append((160 << 248) | 1)
        pieces.append(((convert(t, uint256) >> 128) << 128) | 16)
        pieces.append((convert(t, uint256) << 128) | 16)

    # pack: words = the ABI encoding of (Bytes,): offset, length, then the bytes
    words: DynArray[uint256, MAX_NARROW // 32 + 3] = [32, self._header_size(total) + total]
    acc: uint256 = 0
    fill: uint256 = 0  # bytes of `acc` in use, from its top
    for piece: uint256 in pieces:
        n: uint256 = piece & 255
        item: uint256 = piece >> (8 * (32 - n)) << (8 * (32 - n))  # only its n bytes
        acc |= item >> (8 * fill)
        if fill + n >= 32:
            words.append(acc)
            acc = item << (8 * (32 - fill))  # 0 when fill is 0 (a shift by 256)
            fill = fill + n - 32
        else:
            fill += n
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_NARROW])


@internal
@pure
def encode_cursor_wide(c: Cursor, regs: DynArray[int256, MAX_WIDE_REGS]) -> Bytes[MAX_WIDE_CURSOR]:
    """
    @notice node/stf/cursor.py::encode_cursor of `c` with running registers `regs` (`c.regs`
            is ignored): the margin fold's cursor. Reverts past MAX_WIDE_CURSOR bytes.
    @dev `c` without registers is encoded first (`encode_cursor`); the output is then written
         word by word: its header, that encoding up to its (empty) register list, the
         register list (each register's RLP made inline: an internal call costs ~250 gas a
         register), the rest. One output buffer (memory gas).
    """
    # 1. the register list's size (zigzag byte lengths)
    regs_size: uint256 = 0
    for r: int256 in regs:
        z: uint256 = 0
        if r < 0:
            z = (convert(unsafe_sub(-1, r), uint256) << 1) | 1
        else:
            z = convert(r, uint256) << 1
        if z < 128:
            regs_size = unsafe_add(regs_size, 1)
        else:
            regs_size = unsafe_add(regs_size, unsafe_add(1, self.byte_length(z)))

    # 2. the rest, without registers: narrow[split] is 0xc0, the empty register list
    d: Cursor = c
    d.regs = []
    narrow: Bytes[MAX_NARROW] = self.encode_cursor(d)
    padded: Bytes[MAX_NARROW + 32] = concat(narrow, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(padded, 0), 0, len(narrow))
    split: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        split = rlp.header(extract32(padded, split), split, top.end).end
    total: uint256 = len(narrow) - top.offset - 1 + self._header_size(regs_size) + regs_size
    size: uint256 = self._header_size(total) + total
    assert size <= MAX_WIDE_CURSOR, "cursor: over MAX_CURSOR"

    # 3. header, narrow[top.offset:split], the register list, narrow[split + 1:]
    words: DynArray[uint256, MAX_WIDE_CURSOR // 32 + 3] = [32, size]
    acc: uint256 = 0
    fill: uint256 = 0
    w: uint256 = 0
    done: bool = False
    item: uint256 = 0
    n: uint256 = 0
    item, n = self._header_word(192, total)
    acc, fill, w, done = self._put(acc, fill, item, n)
    at: uint256 = top.offset
    for _: uint256 in range(MAX_NARROW // 32 + 1):
        if at >= split:
            break
        n = min(32, split - at)
        acc, fill, w, done = self._put(acc, fill, convert(extract32(padded, at), uint256) >> (8 * (32 - n)) << (8 * (32 - n)), n)
        if done:
            words.append(w)
        at += n
    item, n = self._header_word(192, regs_size)
    acc, fill, w, done = self._put(acc, fill, item, n)
    if done:
        words.append(w)
    for r: int256 in regs:
        z: uint256 = 0
        if r < 0:
            z = (convert(unsafe_sub(-1, r), uint256) << 1) | 1
        else:
            z = convert(r, uint256) << 1
        if z < 128:
            n = 1
            item = z << 248
            if z == 0:
                item = 128 << 248
        else:
            n = 0  # byte length, by halving
            v: uint256 = z
            if v >= 1 << 128:
                n = 16
                v = v >> 128
            if v >= 1 << 64:
                n = unsafe_add(n, 8)
                v = v >> 64
            if v >= 1 << 32:
                n = unsafe_add(n, 4)
                v = v >> 32
            if v >= 1 << 16:
                n = unsafe_add(n, 2)
                v = v >> 16
            if v >= 1 << 8:
                n = unsafe_add(n, 1)
            n = unsafe_add(n, 1)
            if n == 32:  # the header byte alone first
                acc |= 160 << unsafe_mul(8, unsafe_sub(31, fill))
                fill = unsafe_add(fill, 1)
                if fill == 32:
                    words.append(acc)
                    acc = 0
                    fill = 0
                item = z
            else:
                item = ((unsafe_add(128, n) << unsafe_mul(8, n)) | z) << unsafe_mul(8, unsafe_sub(31, n))
                n = unsafe_add(n, 1)
        acc |= item >> unsafe_mul(8, fill)
        if unsafe_add(fill, n) >= 32:
            words.append(acc)
            acc = item << unsafe_mul(8, unsafe_sub(32, fill))  # 0 when fill is 0 (a shift by 256)
            fill = unsafe_sub(unsafe_add(fill, n), 32)
        else:
            fill = unsafe_add(fill, n)
    at = split + 1
    for _: uint256 in range(MAX_NARROW // 32 + 1):
        if at >= len(narrow):
            break
        n = min(32, len(narrow) - at)
        acc, fill, w, done = self._put(acc, fill, convert(extract32(padded, at), uint256) >> (8 * (32 - n)) << (8 * (32 - n)), n)
        if done:
            words.append(w)
        at += n
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[MAX_WIDE_CURSOR])


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
