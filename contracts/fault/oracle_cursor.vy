# pragma version 0.4.3
"""
@title oracle_cursor
@notice The cursor of an ORACLE_MARK step with more running registers than
        `cursor.MAX_REGS` (up to `oracle_steps.MAX_ORACLE_REGS`: one dropped position per
        settled series), as a stateless contract: decoded but for its registers
        (`cursor.decode_cursor_wide`), and after the step, the step's cursor with its registers
        replaced (`node/stf/cursor.py::encode_cursor` of `cursor._replace(regs=...)`, the
        only change such a step makes to its cursor).
@dev Kept apart from the entry (`steps_oracle.vy`) for gas, not code size: Vyper places a
     function's frame above its callees' largest, so this memory in the entry would be
     paid by every step; here only the steps that need it pay for it. It writes the new
     register list as `cursor.vy::encode_cursor_wide` does (canonical integers, zigzag,
     packed in 32-byte words, inlined: an internal call per register costs ~2,000 gas)
     and copies the bytes around it (the caller decoded the cursor: it is canonical).
"""

import fault.lib.cursor as cursor
import fault.lib.oracle_steps as oracle_steps
import lib.rlp as rlp

MAX_REGS: constant(uint256) = oracle_steps.MAX_ORACLE_REGS
MAX_REG_WORDS: constant(uint256) = (MAX_REGS * 33 + 31) // 32


@external
@pure
def decode(raw: Bytes[cursor.MAX_CURSOR]) -> cursor.Cursor:
    """
    @notice `cursor.decode_cursor_wide`: the cursor `raw` with its `regs` left empty (the
            caller reads and checks them); reverts on a cursor that is not canonical.
    """
    return cursor.decode_cursor_wide(raw)


@external
@pure
def splice(raw: Bytes[cursor.MAX_CURSOR], regs: DynArray[int256, MAX_REGS]) -> Bytes[cursor.MAX_CURSOR]:
    """
    @notice The canonical cursor `raw` with its running registers replaced by `regs`.
            Reverts past MAX_CURSOR bytes (Python's decoder refuses a longer cursor).
    """
    # 1. the registers' RLP items, packed (size bytes in rw)
    rw: DynArray[uint256, MAX_REG_WORDS] = []
    size: uint256 = 0
    acc: uint256 = 0
    fill: uint256 = 0
    item: uint256 = 0
    k: uint256 = 0
    for r: int256 in regs:
        z: uint256 = 0
        if r < 0:
            z = (convert(unsafe_sub(-1, r), uint256) << 1) | 1
        else:
            z = convert(r, uint256) << 1
        if z < 128:
            k = 1
            item = z << 248
            if z == 0:
                item = 128 << 248
        else:
            k = 0  # byte length, by halving
            v: uint256 = z
            if v >= 1 << 128:
                k = 16
                v = v >> 128
            if v >= 1 << 64:
                k = unsafe_add(k, 8)
                v = v >> 64
            if v >= 1 << 32:
                k = unsafe_add(k, 4)
                v = v >> 32
            if v >= 1 << 16:
                k = unsafe_add(k, 2)
                v = v >> 16
            if v >= 1 << 8:
                k = unsafe_add(k, 1)
            k = unsafe_add(k, 1)
            if k == 32:  # the header byte alone first
                acc |= 160 << unsafe_mul(8, unsafe_sub(31, fill))
                fill = unsafe_add(fill, 1)
                size = unsafe_add(size, 1)
                if fill == 32:
                    rw.append(acc)
                    acc = 0
                    fill = 0
                item = z
            else:
                item = ((unsafe_add(128, k) << unsafe_mul(8, k)) | z) << unsafe_mul(8, unsafe_sub(31, k))
                k = unsafe_add(k, 1)
        size = unsafe_add(size, k)
        acc |= item >> unsafe_mul(8, fill)
        if unsafe_add(fill, k) >= 32:
            rw.append(acc)
            acc = item << unsafe_mul(8, unsafe_sub(32, fill))  # 0 when fill is 0 (a shift by 256)
            fill = unsafe_sub(unsafe_add(fill, k), 32)
        else:
            fill = unsafe_add(fill, k)
    if fill > 0:
        rw.append(acc)

    # 2. header, raw[top.offset:old.start], the register list, raw[old.end:top.end]
    n: uint256 = len(raw)
    buf: Bytes[cursor.MAX_CURSOR + 32] = concat(raw, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(buf, 0), 0, n)
    pos: uint256 = top.offset
    for i: uint256 in range(8):  # phase .. tx_hash
        pos = rlp.header(extract32(buf, pos), pos, top.end).end
    old: rlp.Item = rlp.header(extract32(buf, pos), pos, top.end)
    total: uint256 = top.end - top.offset - (old.end - old.start) + cursor._header_size(size) + size
    out_len: uint256 = cursor._header_size(total) + total
    assert out_len <= cursor.MAX_CURSOR, "oracle_cursor: over MAX_CURSOR"
    words: DynArray[uint256, cursor.MAX_CURSOR // 32 + 3] = [32, out_len]
    acc = 0
    fill = 0
    w: uint256 = 0
    done: bool = False
    item, k = cursor._header_word(192, total)
    acc, fill, w, done = cursor._put(acc, fill, item, k)
    p: uint256 = top.offset
    stop: uint256 = old.start
    for j: uint256 in range(cursor.MAX_CURSOR // 16 + 4):
        if p >= stop:
            if stop == top.end:
                break
            item, k = cursor._header_word(192, size)
            acc, fill, w, done = cursor._put(acc, fill, item, k)
            if done:
                words.append(w)
            for q: uint256 in range(MAX_REG_WORDS):
                if q == len(rw):
                    break
                k = min(32, size - 32 * q)
                acc, fill, w, done = cursor._put(acc, fill, rw[q], k)
                if done:
                    words.append(w)
            p = old.end
            stop = top.end
            continue
        k = min(32, stop - p)
        item = convert(extract32(buf, p), uint256) >> (8 * (32 - k)) << (8 * (32 - k))
        acc, fill, w, done = cursor._put(acc, fill, item, k)
        if done:
            words.append(w)
        p += k
    if fill > 0:
        words.append(acc)
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[cursor.MAX_CURSOR])
