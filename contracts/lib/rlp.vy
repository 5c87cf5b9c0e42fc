# pragma version 0.4.3
"""
@title rlp
@notice Strict RLP (Ethereum yellow paper, appendix B) decoding of in-memory buffers, and
        the encoders needed to build small records (strings, scalars, addresses, list
        headers).
@dev Decoding is strict, as pyrlp's reference (pure-Python) decoder is: a single
     byte below 0x80 must encode itself, a length below 56 must use the short form, a
     long-form length has no leading zero byte, and every item must end inside its
     enclosing list (or the buffer). Anything else reverts with a reason prefixed "rlp:". (The rusty-rlp
     backend of `rlp.decode` silently drops an item overrunning its list when it stays
     inside the outer list; this module rejects it.)

     An `Item` is a view into a buffer: `start` is its first header byte, `offset` and
     `length` its payload, `end` the first byte after it. `header(word, pos, limit)` does
     the arithmetic on the 32 bytes read at `pos` (the caller reads them, e.g. with
     `extract32` on a buffer padded with 32 zero bytes, which saves a buffer copy per
     item); `item_at`, `list_items`, `decode_list` and `validate` take the buffer.

     Buffers are `Bytes[MAX_BUF]`; any shorter `Bytes[N]` may be passed. Functions are
     `@internal`: import the module and call `rlp.list_items(...)` etc.
"""

# Largest buffer the buffer-taking functions accept (a trie node and 32 bytes of padding).
MAX_BUF: constant(uint256) = 576
# Most items `list_items` returns.
MAX_LIST: constant(uint256) = 17  # a branch node
# Nested lists `validate` can track: every level but the innermost ends at least one
# byte before its parent does (levels ending together share an entry), so a level costs
# at least two bytes of the buffer. Ends are packed 16 bits apiece into 32-byte words.
MAX_NESTING: constant(uint256) = MAX_BUF // 2
STACK_WORDS: constant(uint256) = MAX_NESTING // 16 + 1

SHORT_STRING: constant(uint256) = 128  # 0x80: string of 0..55 bytes
LONG_STRING: constant(uint256) = 184  # 0xb8: string of 56 or more bytes
SHORT_LIST: constant(uint256) = 192  # 0xc0: list payload of 0..55 bytes
LONG_LIST: constant(uint256) = 248  # 0xf8: list payload of 56 or more bytes
SHORT_LIMIT: constant(uint256) = 56

# Longest `encode_uint` output: 0xa0 and 32 bytes.
MAX_UINT_RLP: constant(uint256) = 33
# `encode_address` output: 0x94 and 20 bytes.
ADDRESS_RLP: constant(uint256) = 21
# Longest list or string header this module writes (payload below 2**64).
MAX_HEADER: constant(uint256) = 9


struct Item:
    is_list: bool
    start: uint256
    offset: uint256
    length: uint256
    end: uint256


# ---------------------------------------------------------------------------------
# Decoding


@internal
@pure
def header(word: bytes32, pos: uint256, limit: uint256) -> Item:
    """
    @notice The item whose header starts at `pos`, which must end at or before `limit`.
    @param word The 32 bytes of the buffer from `pos` (zero past the buffer's end).
    @param pos Offset of the item's first byte in the buffer.
    @param limit End of the enclosing list's payload, or of the buffer.
    @dev Reverts on an out-of-bounds or non-canonical header.
    """
    assert pos < limit, "rlp: item out of bounds"
    w: uint256 = convert(word, uint256)
    b0: uint256 = w >> 248
    if b0 < SHORT_STRING:
        return Item(is_list=False, start=pos, offset=pos, length=1, end=pos + 1)
    is_list: bool = b0 >= SHORT_LIST
    base: uint256 = SHORT_LIST if is_list else SHORT_STRING
    length: uint256 = 0
    offset: uint256 = 0
    if b0 < base + SHORT_LIMIT:
        length = b0 - base
        offset = pos + 1
        if not is_list and length == 1:
            assert (w >> 240) & 255 >= SHORT_STRING, "rlp: single byte not encoded as itself"
    else:
        size: uint256 = b0 - base - SHORT_LIMIT + 1  # 1..8 length bytes
        assert pos + 1 + size <= limit, "rlp: item out of bounds"
        assert (w >> 240) & 255 != 0, "rlp: length with a leading zero"
        length = (w << 8) >> (256 - 8 * size)
        assert length >= SHORT_LIMIT, "rlp: long form for a short length"
        offset = pos + 1 + size
    assert offset + length <= limit, "rlp: item out of bounds"
    return Item(is_list=is_list, start=pos, offset=offset, length=length, end=offset + length)


@internal
@pure
def item_at(buf: Bytes[MAX_BUF], pos: uint256, limit: uint256) -> Item:
    """
    @notice The item at `pos` in `buf`, which must end at or before `limit`.
    @dev `limit` may not exceed `len(buf)`. Nested items are not checked: see `validate`.
    """
    assert limit <= len(buf), "rlp: limit past the buffer"
    return self.header(self._word(buf, pos), pos, limit)


@internal
@pure
def list_items(buf: Bytes[MAX_BUF], list_item: Item) -> DynArray[Item, MAX_LIST]:
    """
    @notice The items of the list `list_item` (from `header` or `item_at` on `buf`).
    @dev Reverts if `list_item` is not a list, if an item overruns the list's payload, or
         if the list has more than MAX_LIST items. Nested items are not checked (see
         `decode_list`).
    """
    assert list_item.is_list, "rlp: not a list"
    assert list_item.end <= len(buf), "rlp: limit past the buffer"
    return self._items(concat(buf, empty(bytes32)), list_item, False)


@internal
@pure
def decode_list(buf: Bytes[MAX_BUF], start: uint256, end: uint256) -> DynArray[Item, MAX_LIST]:
    """
    @notice The items of the list `buf[start:end]`, which must be exactly one canonical
            RLP list, nested items included (as `validate` checks).
    @dev Reverts if it is not, if it is a string, or if it has more than MAX_LIST items.
    """
    assert end <= len(buf), "rlp: limit past the buffer"
    padded: Bytes[MAX_BUF + 32] = concat(buf, empty(bytes32))
    top: Item = self.header(extract32(padded, start), start, end)
    assert top.end == end, "rlp: trailing bytes"
    assert top.is_list, "rlp: not a list"
    return self._items(padded, top, True)


@internal
@pure
def validate(buf: Bytes[MAX_BUF], start: uint256, end: uint256):
    """
    @notice Check that `buf[start:end]` is exactly one canonical RLP item, nested items
            included; revert otherwise.
    """
    assert end <= len(buf), "rlp: limit past the buffer"
    padded: Bytes[MAX_BUF + 32] = concat(buf, empty(bytes32))
    top: Item = self.header(extract32(padded, start), start, end)
    assert top.end == end, "rlp: trailing bytes"
    if top.is_list:
        self._validate_list(padded, top)


@internal
@pure
def _items(padded: Bytes[MAX_BUF + 32], list_item: Item, nested: bool) -> DynArray[Item, MAX_LIST]:
    """
    @dev The items of `list_item`; with `nested`, each non-empty list among them is
         validated through. Single bytes and short strings, most items of a trie node,
         are decoded inline (the same rules as `header`); the rest go through `header`.
         Offsets stay below 2**65, so the unsafe additions cannot overflow.
    """
    items: DynArray[Item, MAX_LIST] = []
    pos: uint256 = list_item.offset
    limit: uint256 = list_item.end
    for _: uint256 in range(MAX_LIST + 1):
        if pos == limit:
            return items
        assert len(items) < MAX_LIST, "rlp: too many items"
        w: uint256 = convert(extract32(padded, pos), uint256)
        b0: uint256 = w >> 248
        if b0 < SHORT_STRING:
            items.append(Item(is_list=False, start=pos, offset=pos, length=1, end=unsafe_add(pos, 1)))
            pos = unsafe_add(pos, 1)
        elif b0 < LONG_STRING:
            n: uint256 = unsafe_sub(b0, SHORT_STRING)
            if n == 1:
                assert (w >> 240) & 255 >= SHORT_STRING, "rlp: single byte not encoded as itself"
            end: uint256 = unsafe_add(unsafe_add(pos, 1), n)
            assert end <= limit, "rlp: item out of bounds"
            items.append(Item(is_list=False, start=pos, offset=unsafe_add(pos, 1), length=n, end=end))
            pos = end
        else:
            it: Item = self.header(convert(w, bytes32), pos, limit)
            if nested and it.is_list and it.length != 0:
                self._validate_list(padded, it)
            items.append(it)
            pos = it.end
    raise "rlp: too many items"


@internal
@pure
def _validate_list(padded: Bytes[MAX_BUF + 32], list_item: Item):
    """
    @dev Walk the (header-checked) list `list_item` through, with a stack of the ends of
         the open lists, checking every header.
    """
    stack: uint256[STACK_WORDS] = empty(uint256[STACK_WORDS])
    depth: uint256 = 0
    limit: uint256 = list_item.end
    pos: uint256 = list_item.offset
    # Each turn reads a header (at least one byte) or closes a level opened by one.
    for _: uint256 in range(2 * MAX_BUF + 1):
        if pos == limit:
            if depth == 0:
                return
            depth -= 1
            limit = (stack[depth // 16] >> (16 * (depth % 16))) & 65535
            continue
        it: Item = self.header(extract32(padded, pos), pos, limit)
        if it.is_list and it.length != 0:
            if it.end < limit:
                bit: uint256 = 16 * (depth % 16)
                slot: uint256 = depth // 16
                stack[slot] = (stack[slot] & ~(65535 << bit)) | (limit << bit)
                depth += 1
            limit = it.end
            pos = it.offset
        else:
            pos = it.end
    raise "rlp: too deep"


@internal
@pure
def _word(buf: Bytes[MAX_BUF], pos: uint256) -> bytes32:
    """
    @dev The 32 bytes of `buf` from `pos`, zero past its end (`pos` must be in `buf`).
    """
    assert pos < len(buf), "rlp: item out of bounds"
    if pos + 32 <= len(buf):
        return extract32(buf, pos)
    return extract32(concat(slice(buf, pos, len(buf) - pos), empty(bytes32)), 0)


# ---------------------------------------------------------------------------------
# Encoding


@internal
@pure
def encode_uint(x: uint256) -> Bytes[MAX_UINT_RLP]:
    """
    @notice RLP of the minimal big-endian bytes of `x` (0 is the empty string, 0x80).
    """
    if x == 0:
        return b"\x80"
    word: bytes32 = convert(x, bytes32)
    if x < SHORT_STRING:
        return slice(word, 31, 1)
    size: uint256 = self._byte_length(x)
    return concat(self._short_header(SHORT_STRING, size), slice(word, 32 - size, size))


@internal
@pure
def encode_address(a: address) -> Bytes[ADDRESS_RLP]:
    """
    @notice RLP of an address as a 20-byte string (all 20 bytes, zeros included).
    """
    return concat(b"\x94", convert(a, bytes20))


@internal
@pure
def string_header(length: uint256) -> Bytes[MAX_HEADER]:
    """
    @notice Header of a string of `length` bytes. A string of one byte below 0x80 has
            none: the caller must not write this header for it (see `encode_uint`).
    """
    return self._header(SHORT_STRING, length)


@internal
@pure
def list_header(length: uint256) -> Bytes[MAX_HEADER]:
    """
    @notice Header of a list whose items' encodings total `length` bytes.
    """
    return self._header(SHORT_LIST, length)


@internal
@pure
def _header(base: uint256, length: uint256) -> Bytes[MAX_HEADER]:
    assert length < 2**64, "rlp: length too large"
    if length < SHORT_LIMIT:
        return self._short_header(base, length)
    size: uint256 = self._byte_length(length)
    return concat(
        self._short_header(base + SHORT_LIMIT - 1, size),
        slice(concat(b"", convert(convert(length, uint64), bytes8)), 8 - size, size),
    )


@internal
@pure
def _short_header(base: uint256, length: uint256) -> Bytes[1]:
    return slice(convert(base + length, bytes32), 31, 1)


@internal
@pure
def _byte_length(x: uint256) -> uint256:
    """
    @dev Bytes in the minimal big-endian form of `x` (0 for 0).
    """
    n: uint256 = 0
    v: uint256 = x
    for _: uint256 in range(32):
        if v == 0:
            break
        v >>= 8
        n += 1
    return n
