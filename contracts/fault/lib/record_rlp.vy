# pragma version 0.4.3
"""
@title record_rlp
@notice The RLP layout shared by every state record (`node/stf/records.py`): a list of
        fields, each a scalar or a list of scalars or of fixed-size lists of scalars.
        `scan(raw, fields)` reads a record's canonical encoding into a flat list of words,
        `emit(flat, fields)` writes one; `records.vy` maps the words to and from structs.
@dev A record's layout `fields` has one word per field:
       - a scalar: its kind (K_UINT, K_INT, K_BOOL, K_ADDRESS, K_NAME);
       - a list: `arity << 8 | max_count << 16 | kinds << 32`, its elements being one
         scalar (arity 1, kind in `kinds & 255`) or a list of `arity` (2..7) scalars
         (the kind of item j in byte j of `kinds`).
     Flat words, in order: a K_UINT / K_INT / K_BOOL scalar is its integer (an int as its
     two's complement, `records._s`; a flag 0 or 1), a K_ADDRESS its uint160, a K_NAME two
     words (length, then the bytes left-aligned); a list is its element count then its
     elements' scalars.

     `scan` accepts exactly what `emit` writes: canonical headers (`lib/rlp.vy`'s rules),
     integers of at most 32 bytes without a leading zero (`records._u`), flags 0 or 1,
     20-byte addresses, names of at most MAX_NAME bytes, the right item counts, nothing
     after the record. Anything else reverts with a reason starting "records:".
     Both walk the record in one loop without a call per item (each Vyper statement costs
     ~100 gas: calls and dispatch per item are what the gas goes to), with a faster loop for
     lists of integers (most of a large record); `emit` writes into a word buffer (Vyper
     cannot append to a `Bytes` in place) and first sizes every list, since a header
     precedes its payload.
"""

K_UINT: constant(uint256) = 1
K_INT: constant(uint256) = 2
K_BOOL: constant(uint256) = 3
K_ADDRESS: constant(uint256) = 4
K_NAME: constant(uint256) = 5

MAX_VALUE: constant(uint256) = 24576  # the longest record encoding (derivation: records.vy)
MAX_FIELDS: constant(uint256) = 17  # fields of the widest record (Globals)
MAX_FLAT: constant(uint256) = 712  # flat words of the largest record (an Account: 711)
MAX_TUPLES: constant(uint256) = 128  # fixed-size list elements of one record (Account: 64 + 64)
MAX_NAME: constant(uint256) = 32
WORDS: constant(uint256) = MAX_VALUE // 32
# Loop turns: one per item, per list opened, per list closed and per fixed-size element opened.
MAX_TURNS: constant(uint256) = MAX_FLAT + 2 * MAX_FIELDS + MAX_TUPLES

# `scan`'s and `emit`'s loop state, in a memory array (Venom keeps at most 16 values on
# the stack): the record's end, and the open list's end, count index, bound, element
# arity, item kinds, current element's end and count.
ST_END: constant(uint256) = 0
ST_LIST_END: constant(uint256) = 1
ST_COUNT_AT: constant(uint256) = 2
ST_MAX: constant(uint256) = 3
ST_ARITY: constant(uint256) = 4
ST_KINDS: constant(uint256) = 5
ST_TUPLE_END: constant(uint256) = 6
ST_COUNT: constant(uint256) = 7
ST_WORDS: constant(uint256) = 8

SHORT_STRING: constant(uint256) = 128  # 0x80
ADDRESS_HEADER: constant(uint256) = 148  # 0x94
SHORT_LIST: constant(uint256) = 192  # 0xc0
LONG_LIST: constant(uint256) = 248  # 0xf8


@internal
@pure
def _list_header(w: uint256, pos: uint256, limit: uint256) -> (uint256, uint256):
    """
    @dev The list whose header starts at `pos` (`w`: the buffer's word there), which must
         end by `limit`: (payload offset, end). Canonical: the short form below 56 bytes,
         a long-form length without a leading zero.
    """
    assert pos < limit, "records: item out of bounds"
    b0: uint256 = w >> 248
    assert b0 >= SHORT_LIST, "records: not a list"
    offset: uint256 = pos + 1
    length: uint256 = 0
    if b0 < LONG_LIST:
        length = b0 - SHORT_LIST
    else:
        size: uint256 = b0 - LONG_LIST + 1
        assert size <= 3, "records: list too long"
        assert (w >> 240) & 255 != 0, "records: length with a leading zero"
        length = (w << 8) >> (256 - 8 * size)
        assert length >= 56, "records: long form for a short length"
        offset += size
    assert offset + length <= limit, "records: item out of bounds"
    return offset, offset + length


@internal
@pure
def scan(raw: Bytes[MAX_VALUE], fields: DynArray[uint256, MAX_FIELDS]) -> DynArray[uint256, MAX_FLAT]:
    """
    @notice The flat words of the record `raw` of layout `fields` (see the module notice);
            reverts unless `raw` is the canonical encoding of such a record.
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    st: uint256[ST_WORDS] = empty(uint256[ST_WORDS])
    st[ST_END] = len(raw)
    assert len(raw) > 0, "records: empty"
    p: uint256 = 0
    end: uint256 = 0
    p, end = self._list_header(convert(extract32(pad, 0), uint256), 0, len(raw))
    assert end == len(raw), "records: trailing bytes"

    out: DynArray[uint256, MAX_FLAT] = []
    fi: uint256 = 0  # next field
    k: uint256 = 0  # item of the current element of the open list
    in_list: bool = False
    for _: uint256 in range(MAX_TURNS):
        kind: uint256 = 0
        limit: uint256 = 0
        if in_list:
            if k == 0:
                if p == st[ST_LIST_END]:
                    out[st[ST_COUNT_AT]] = st[ST_COUNT]
                    in_list = False
                    fi += 1
                    continue
                assert st[ST_COUNT] < st[ST_MAX], "records: list too long"
                if st[ST_ARITY] > 1:
                    p, limit = self._list_header(convert(extract32(pad, p), uint256), p, st[ST_LIST_END])
                    st[ST_TUPLE_END] = limit
            kind = (st[ST_KINDS] >> (8 * k)) & 255
            limit = st[ST_LIST_END]
            if st[ST_ARITY] > 1:
                limit = st[ST_TUPLE_END]
        else:
            if fi == len(fields):
                break
            f: uint256 = fields[fi]
            if f > 255:
                st[ST_ARITY] = (f >> 8) & 255
                st[ST_MAX] = (f >> 16) & 65535
                st[ST_KINDS] = f >> 32
                p, limit = self._list_header(convert(extract32(pad, p), uint256), p, st[ST_END])
                st[ST_LIST_END] = limit
                st[ST_COUNT_AT] = len(out)
                st[ST_COUNT] = 0
                out.append(0)
                k = 0
                in_list = True
                if self._integers_only(st[ST_KINDS], st[ST_ARITY]):
                    # Fast path (most of a large record): elements of integers only, read
                    # by the same rules as the general path below, with less dispatch.
                    count: uint256 = 0
                    for _e: uint256 in range(MAX_FLAT):
                        if p == st[ST_LIST_END]:
                            break
                        assert count < st[ST_MAX], "records: list too long"
                        limit = st[ST_LIST_END]
                        if st[ST_ARITY] > 1:
                            p, limit = self._list_header(convert(extract32(pad, p), uint256), p, limit)
                        for _j: uint256 in range(7):
                            if _j == st[ST_ARITY]:
                                break
                            assert p < limit, "records: item out of bounds"
                            b0: uint256 = convert(extract32(pad, p), uint256) >> 248
                            if b0 < SHORT_STRING:
                                assert b0 != 0, "records: integer with a leading zero"
                                out.append(b0)
                                p = unsafe_add(p, 1)
                                continue
                            n: uint256 = unsafe_sub(b0, SHORT_STRING)
                            assert n <= 32, "records: not an integer"
                            assert unsafe_add(unsafe_add(p, 1), n) <= limit, "records: item out of bounds"
                            val: uint256 = 0
                            if n > 0:
                                val = convert(extract32(pad, unsafe_add(p, 1)), uint256) >> (256 - 8 * n)
                                assert val >> (8 * (n - 1)) != 0, "records: integer with a leading zero"
                                assert n > 1 or val >= SHORT_STRING, "records: single byte not encoded as itself"
                            out.append(val)
                            p = unsafe_add(unsafe_add(p, 1), n)
                        assert p == limit or st[ST_ARITY] == 1, "records: wrong item count"
                        count = unsafe_add(count, 1)
                    assert p == st[ST_LIST_END], "records: item out of bounds"
                    out[st[ST_COUNT_AT]] = count
                    in_list = False
                    fi += 1
                continue
            kind = f
            limit = st[ST_END]

        # one scalar item of `kind` at `p`, ending by `limit`
        assert p < limit, "records: item out of bounds"
        w: uint256 = convert(extract32(pad, p), uint256)
        b0: uint256 = w >> 248
        if kind == K_ADDRESS:
            assert b0 == ADDRESS_HEADER, "records: not a 20-byte string"
            assert p + 21 <= limit, "records: item out of bounds"
            out.append((w << 8) >> 96)
            p += 21
        elif kind == K_NAME:
            if b0 < SHORT_STRING:
                out.append(1)
                out.append(w & (255 << 248))
                p += 1
            else:
                n: uint256 = b0 - SHORT_STRING
                assert n <= MAX_NAME, "records: name too long"
                assert n != 1 or (w >> 240) & 255 >= SHORT_STRING, "records: single byte not encoded as itself"
                assert p + 1 + n <= limit, "records: item out of bounds"
                out.append(n)
                out.append(convert(extract32(pad, p + 1), uint256) & ~(max_value(uint256) >> (8 * n)))
                p += 1 + n
        else:
            val: uint256 = 0
            if b0 < SHORT_STRING:
                assert b0 != 0, "records: integer with a leading zero"
                val = b0
                p += 1
            else:
                n: uint256 = b0 - SHORT_STRING
                assert n <= 32, "records: not an integer"
                assert p + 1 + n <= limit, "records: item out of bounds"
                if n > 0:
                    val = convert(extract32(pad, p + 1), uint256) >> (256 - 8 * n)
                    assert val >> (8 * (n - 1)) != 0, "records: integer with a leading zero"
                    assert n > 1 or val >= SHORT_STRING, "records: single byte not encoded as itself"
                p += 1 + n
            assert kind != K_BOOL or val <= 1, "records: flag not 0 or 1"
            out.append(val)

        if in_list:
            k += 1
            if k == st[ST_ARITY]:
                k = 0
                st[ST_COUNT] += 1
                if st[ST_ARITY] > 1:
                    assert p == st[ST_TUPLE_END], "records: wrong item count"
        else:
            fi += 1
    assert fi == len(fields) and p == end, "records: wrong item count"
    return out


@internal
@pure
def _integers_only(kinds: uint256, arity: uint256) -> bool:
    """
    @dev Whether every item of a list element is a K_UINT or K_INT.
    """
    for j: uint256 in range(7):
        if j == arity:
            break
        kind: uint256 = (kinds >> (8 * j)) & 255
        if kind != K_UINT and kind != K_INT:
            return False
    return True


@internal
@pure
def _size(kind: uint256, val: uint256) -> uint256:
    """
    @dev Encoded size of one scalar (a K_NAME's `val` is its length; see `emit`).
    """
    if kind == K_ADDRESS:
        return 21
    if kind == K_NAME:
        return val + 1  # the 1-byte case is settled by the caller
    if val < SHORT_STRING:
        return 1
    return 1 + self._byte_length(val)


@internal
@pure
def _byte_length(x: uint256) -> uint256:
    """
    @dev Bytes in the minimal big-endian form of `x` (0 for 0), by halving.
    """
    n: uint256 = 0
    v: uint256 = x
    if v >> 128 != 0:
        n = 16
        v >>= 128
    if v >> 64 != 0:
        n += 8
        v >>= 64
    if v >> 32 != 0:
        n += 4
        v >>= 32
    if v >> 16 != 0:
        n += 2
        v >>= 16
    if v >> 8 != 0:
        n += 1
        v >>= 8
    if v != 0:
        n += 1
    return n


@internal
@pure
def _header(base: uint256, length: uint256) -> (uint256, uint256):
    """
    @dev A string (base 0x80) or list (base 0xc0) header for `length` payload bytes, as
         (bytes left-aligned in a word, count).
    """
    if length < 56:
        return (base + length) << 248, 1
    size: uint256 = self._byte_length(length)
    return (((base + 55 + size) << (8 * size)) | length) << (256 - 8 * (size + 1)), size + 1


@internal
@pure
def emit(flat: DynArray[uint256, MAX_FLAT], fields: DynArray[uint256, MAX_FIELDS]) -> Bytes[MAX_VALUE]:
    """
    @notice The canonical encoding of the record whose flat words are `flat` (layout
            `fields`): the inverse of `scan`.
    """
    # Pass 1: the size of every scalar (`sizes`, parallel to `flat`), of every fixed-size
    # element's payload (`tuple_sizes`) and of every list's payload (at its count's index).
    sizes: DynArray[uint256, MAX_FLAT] = []
    tuple_sizes: DynArray[uint256, MAX_TUPLES] = []
    total: uint256 = 0
    i: uint256 = 0
    for f: uint256 in fields:
        if f <= 255:
            s: uint256 = self._size(f, flat[i])
            if f == K_NAME:
                if flat[i] == 1 and flat[i + 1] < SHORT_STRING << 248:
                    s = 1
                sizes.append(s)
                sizes.append(0)
                i += 2
            else:
                sizes.append(s)
                i += 1
            total += s
            continue
        count_at: uint256 = i
        sizes.append(0)
        i += 1
        payload: uint256 = 0
        for e: uint256 in range(MAX_FLAT):
            if e == flat[count_at]:
                break
            element: uint256 = 0
            for j: uint256 in range(7):
                if j == (f >> 8) & 255:
                    break
                kind: uint256 = (f >> (32 + 8 * j)) & 255
                s: uint256 = 1
                if flat[i] >= SHORT_STRING or kind > K_INT:
                    s = self._size(kind, flat[i])
                sizes.append(s)
                element = unsafe_add(element, s)
                i = unsafe_add(i, 1)
            if (f >> 8) & 255 > 1:
                tuple_sizes.append(element)
                element += self._header_size(element)
            payload += element
        sizes[count_at] = payload
        total += payload + self._header_size(payload)

    # Pass 2: write headers and items into a word buffer, at most two pieces (bytes
    # left-aligned in a word, and their count) per turn.
    buf: uint256[WORDS] = empty(uint256[WORDS])
    st: uint256[ST_WORDS] = empty(uint256[ST_WORDS])  # ST_COUNT: elements left in the open list
    w0: uint256 = 0
    n0: uint256 = 0
    w0, n0 = self._header(SHORT_LIST, total)
    buf[0] = w0
    p: uint256 = n0
    i = 0
    t: uint256 = 0  # next tuple size
    fi: uint256 = 0
    k: uint256 = 0
    in_list: bool = False
    for _: uint256 in range(MAX_TURNS):
        w0 = 0
        n0 = 0
        w1: uint256 = 0
        n1: uint256 = 0
        kind: uint256 = 0
        if in_list:
            if k == 0 and st[ST_COUNT] == 0:
                in_list = False
                fi += 1
                continue
            if k == 0 and st[ST_ARITY] > 1:
                w0, n0 = self._header(SHORT_LIST, tuple_sizes[t])
                t = unsafe_add(t, 1)
                k = 256  # the element is open: its first item next
            else:
                if k == 256:
                    k = 0
                kind = (st[ST_KINDS] >> (8 * k)) & 255
        else:
            if fi == len(fields):
                break
            f: uint256 = fields[fi]
            if f > 255:
                st[ST_ARITY] = (f >> 8) & 255
                st[ST_KINDS] = f >> 32
                st[ST_COUNT] = flat[i]
                w0, n0 = self._header(SHORT_LIST, sizes[i])
                i = unsafe_add(i, 1)
                k = 0
                in_list = True
                if self._integers_only(st[ST_KINDS], st[ST_ARITY]):
                    # Fast path, as in `scan`: the list header, then every element.
                    buf[p >> 5] |= w0 >> ((p & 31) << 3)
                    if ((p & 31) << 3) + 8 * n0 > 256:
                        buf[(p >> 5) + 1] |= w0 << (256 - ((p & 31) << 3))
                    p = unsafe_add(p, n0)
                    for _e: uint256 in range(MAX_FLAT):
                        if st[ST_COUNT] == 0:
                            break
                        st[ST_COUNT] = unsafe_sub(st[ST_COUNT], 1)
                        if st[ST_ARITY] > 1:
                            w0, n0 = self._header(SHORT_LIST, tuple_sizes[t])
                            t = unsafe_add(t, 1)
                            buf[p >> 5] |= w0 >> ((p & 31) << 3)
                            if ((p & 31) << 3) + 8 * n0 > 256:
                                buf[(p >> 5) + 1] |= w0 << (256 - ((p & 31) << 3))
                            p = unsafe_add(p, n0)
                        for _j: uint256 in range(7):
                            if _j == st[ST_ARITY]:
                                break
                            val: uint256 = flat[i]
                            s: uint256 = sizes[i]
                            i = unsafe_add(i, 1)
                            if s == 1:
                                w0 = SHORT_STRING << 248
                                if val != 0:
                                    w0 = val << 248
                            elif s <= 32:
                                w0 = (((SHORT_STRING + s - 1) << (8 * (s - 1))) | val) << (256 - 8 * s)
                            else:  # 32 bytes: the header byte first
                                buf[p >> 5] |= ((SHORT_STRING + 32) << 248) >> ((p & 31) << 3)
                                p = unsafe_add(p, 1)
                                w0 = val
                                s = 32
                            buf[p >> 5] |= w0 >> ((p & 31) << 3)
                            if ((p & 31) << 3) + 8 * s > 256:
                                buf[(p >> 5) + 1] |= w0 << (256 - ((p & 31) << 3))
                            p = unsafe_add(p, s)
                    in_list = False
                    fi += 1
                    continue
            else:
                kind = f
        if kind != 0:
            val: uint256 = flat[i]
            s: uint256 = sizes[i]
            if kind == K_ADDRESS:
                w0 = (ADDRESS_HEADER << 248) | (val << 88)
                n0 = 21
                i = unsafe_add(i, 1)
            elif kind == K_NAME:
                if s == 1 and val == 1:
                    w0 = flat[i + 1]
                    n0 = 1
                else:
                    w0 = (SHORT_STRING + val) << 248
                    n0 = 1
                    w1 = flat[i + 1]
                    n1 = val
                i = unsafe_add(i, 2)
            else:
                if s == 1:
                    w0 = SHORT_STRING << 248
                    if val != 0:
                        w0 = val << 248
                    n0 = 1
                elif s <= 32:
                    w0 = (((SHORT_STRING + s - 1) << (8 * (s - 1))) | val) << (256 - 8 * s)
                    n0 = s
                else:
                    w0 = (SHORT_STRING + 32) << 248
                    n0 = 1
                    w1 = val
                    n1 = 32
                i = unsafe_add(i, 1)
            if in_list:
                k = unsafe_add(k, 1)
                if k == st[ST_ARITY]:
                    k = 0
                    st[ST_COUNT] = unsafe_sub(st[ST_COUNT], 1)
            else:
                fi += 1
        # write the pieces at byte p
        if n0 != 0:
            buf[p >> 5] |= w0 >> ((p & 31) << 3)
            if ((p & 31) << 3) + 8 * n0 > 256:
                buf[(p >> 5) + 1] |= w0 << (256 - ((p & 31) << 3))
            p = unsafe_add(p, n0)
        if n1 != 0:
            buf[p >> 5] |= w1 >> ((p & 31) << 3)
            if ((p & 31) << 3) + 8 * n1 > 256:
                buf[(p >> 5) + 1] |= w1 << (256 - ((p & 31) << 3))
            p = unsafe_add(p, n1)
    return slice(abi_encode(buf), 0, p)


@internal
@pure
def _header_size(length: uint256) -> uint256:
    if length < 56:
        return 1
    return 1 + self._byte_length(length)
