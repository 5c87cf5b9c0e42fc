# pragma version 0.4.3
"""
@title tx_codec
@notice The transaction envelope's strict decoder: twin of node/stf/tx_codec.py
        (`decode_unsigned`, `decode_tx`). Never reverts on bad bytes: it returns the
        failure code Python's `TxDecodeError` carries, so a step turns it into the same
        receipt (and the same cursor) as Python does.
@dev Envelope: `type || rlp([field_1, ..., field_k, y_parity, r, s])`, a deposit
     `0x7E || rlp([deposit_index, recipient, amount_e6])` (tx_types.LAYOUT_*). The code
     is the first failing check in this order (tx_codec.py's docstring):
       1. UNKNOWN_TX_TYPE / DECODE_ERROR (empty) from the first byte (an envelope longer
          than MAX_TX_BYTES, TX_TOO_LARGE, does not fit the argument: a cursor's `tx` never
          holds one, derivation drops such items);
       2. DECODE_ERROR: not exactly one canonical RLP list of the kind's shape;
       3. FIELD_OUT_OF_RANGE: a field outside its type's range, a surface of 0 or more
          than 16 points;
       4. BAD_SIGNATURE: scalars out of range or high s; in `decode_tx` only, no key
          recovers (eip712.recover).
     Python decodes the whole RLP structure first (pyrlp's `consume_item`) and then checks
     the shape; this decoder walks the expected shape and checks every header it meets
     (the rules of pyrlp's `consume_length_prefix`, as `lib/rlp.vy::header`). Both reject
     exactly the same inputs with DECODE_ERROR: an input of the right shape whose every
     header is canonical is canonical RLP, and a wrong shape is a DECODE_ERROR either way.
     Steps 3 and 4 are only reported when step 2 finds nothing, as in Python.
"""

from . import errors
from . import tx_types
from . import eip712

MAX_TX_BYTES: constant(uint256) = 2048  # tx_codec.py::MAX_TX_BYTES
PADDED: constant(uint256) = MAX_TX_BYTES + 32
# Points a surface list can hold in an envelope (each at least 5 bytes); more than
# MAX_SURFACE_POINTS is FIELD_OUT_OF_RANGE, but every one is shape-checked first.
MAX_SURFACE_ENTRIES: constant(uint256) = MAX_TX_BYTES // 5 + 1
SIGNED_ITEMS: constant(uint256) = 3  # y_parity, r, s

# int64 range as words: [0, 2**63) and [2**256 - 2**63, 2**256) (tx_codec.py::_INT64).
INT64_LIMIT: constant(uint256) = 2**63
NEGATIVE_INT64_WORD_MIN: constant(uint256) = max_value(uint256) - 2**63 + 1

SHORT_STRING: constant(uint256) = 128
SHORT_LIST: constant(uint256) = 192
SHORT_LIMIT: constant(uint256) = 56


struct Decoded:
    code: uint256  # errors.OK or the failure code (fields below are then meaningless)
    kind: uint256  # the envelope's type byte
    fields: uint256[tx_types.MAX_FIELDS]  # field values in wire order (addresses as uint160)
    count: uint256  # number of fields of the kind
    surface: DynArray[tx_types.VolPoint, tx_types.MAX_SURFACE_POINTS]  # OracleUpdate's
    y_parity: uint256
    r: uint256
    s: uint256


struct Head:
    ok: bool
    is_list: bool
    offset: uint256  # first payload byte
    length: uint256  # payload length
    end: uint256  # first byte after the item


# ---------------------------------------------------------------------------------
# RLP headers, without reverting


@internal
@pure
def _head(word: bytes32, pos: uint256, limit: uint256) -> Head:
    """
    @dev The item whose header starts at `pos` (`word`: the 32 bytes from `pos`, zero past
         the buffer), or `ok = False` where pyrlp's `consume_item` would fail or the item
         would not end by `limit` (lib/rlp.vy::header's rules).
    """
    bad: Head = empty(Head)
    if pos >= limit:
        return bad
    w: uint256 = convert(word, uint256)
    b0: uint256 = w >> 248
    if b0 < SHORT_STRING:
        return Head(ok=True, is_list=False, offset=pos, length=1, end=unsafe_add(pos, 1))
    is_list: bool = b0 >= SHORT_LIST
    base: uint256 = SHORT_STRING
    if is_list:
        base = SHORT_LIST
    length: uint256 = 0
    offset: uint256 = 0
    if b0 < base + SHORT_LIMIT:
        length = b0 - base
        offset = pos + 1
        if not is_list and length == 1 and (w >> 240) & 255 < SHORT_STRING:
            return bad  # a single byte below 0x80 encodes itself
    else:
        size: uint256 = b0 - base - SHORT_LIMIT + 1  # 1..8 length bytes
        if pos + 1 + size > limit or (w >> 240) & 255 == 0:
            return bad  # truncated, or a length with a leading zero byte
        length = (w << 8) >> (256 - 8 * size)
        if length < SHORT_LIMIT:
            return bad  # long form for a short length
        offset = pos + 1 + size
    if offset + length > limit:
        return bad
    return Head(ok=True, is_list=is_list, offset=offset, length=length, end=offset + length)


@internal
@pure
def _int(word: bytes32, length: uint256) -> uint256:
    """
    @dev The big-endian integer of the `length` (<= 32) bytes at the start of `word`.
    """
    if length == 0:
        return 0
    return convert(word, uint256) >> (256 - 8 * length)


# ---------------------------------------------------------------------------------
# Decoding


@internal
@pure
def decode_unsigned(raw: Bytes[MAX_TX_BYTES]) -> Decoded:
    """
    @notice Decode and check an envelope without recovering the sender
            (tx_codec.py::decode_unsigned); `code` is errors.OK or the failure code.
    """
    out: Decoded = empty(Decoded)
    size: uint256 = len(raw)
    if size == 0:
        out.code = errors.DECODE_ERROR
        return out
    padded: Bytes[PADDED] = concat(raw, empty(bytes32))
    out.kind = convert(slice(padded, 0, 1), uint256)
    layout: uint256 = 0
    count: uint256 = 0
    layout, count = tx_types.layout(out.kind)
    out.count = count
    if count == 0:
        out.code = errors.UNKNOWN_TX_TYPE
        return out
    top: Head = self._head(extract32(padded, 1), 1, size)
    if not top.ok or not top.is_list or top.end != size:
        out.code = errors.DECODE_ERROR
        return out
    out_of_range: bool = False
    pos: uint256 = top.offset
    for i: uint256 in range(tx_types.MAX_FIELDS):
        if i == count:
            break
        item: Head = self._head(extract32(padded, pos), pos, size)
        if not item.ok:
            out.code = errors.DECODE_ERROR
            return out
        pos = item.end
        ftype: uint256 = (layout >> (4 * i)) & 15
        if ftype == tx_types.F_SURFACE:
            if not item.is_list:
                out.code = errors.DECODE_ERROR
                return out
            bad_shape: bool = False
            bad_range: bool = False
            bad_shape, bad_range, out.surface = self._surface(padded, item)
            if bad_shape:
                out.code = errors.DECODE_ERROR
                return out
            out_of_range = out_of_range or bad_range
            continue
        if item.is_list:
            out.code = errors.DECODE_ERROR
            return out
        word: bytes32 = extract32(padded, item.offset)
        if ftype == tx_types.F_ADDRESS:
            if item.length != 20:
                out.code = errors.DECODE_ERROR
                return out
            out.fields[i] = convert(word, uint256) >> 96
            continue
        if item.length != 0 and convert(word, uint256) >> 248 == 0:
            out.code = errors.DECODE_ERROR  # an integer with a leading zero byte
            return out
        if item.length > self._max_bytes(ftype):
            out_of_range = True
            continue
        value: uint256 = self._int(word, item.length)
        if ftype == tx_types.F_BOOL and value > 1:
            out_of_range = True
        out.fields[i] = value
    if out.kind != tx_types.DEPOSIT:
        sig: uint256[SIGNED_ITEMS] = empty(uint256[SIGNED_ITEMS])
        wide: bool = False  # a scalar of more than 32 bytes: out of range whichever it is
        for j: uint256 in range(SIGNED_ITEMS):
            item: Head = self._head(extract32(padded, pos), pos, size)
            if not item.ok or item.is_list:
                out.code = errors.DECODE_ERROR
                return out
            word: bytes32 = extract32(padded, item.offset)
            if item.length != 0 and convert(word, uint256) >> 248 == 0:
                out.code = errors.DECODE_ERROR
                return out
            pos = item.end
            if item.length > 32:
                wide = True
            else:
                sig[j] = self._int(word, item.length)
        out.y_parity = sig[0]
        out.r = sig[1]
        out.s = sig[2]
        if pos != size:
            out.code = errors.DECODE_ERROR  # more items than the kind has
        elif out_of_range:
            out.code = errors.FIELD_OUT_OF_RANGE
        elif wide or not eip712.scalars_ok(sig[0], sig[1], sig[2]):
            out.code = errors.BAD_SIGNATURE
        return out
    if pos != size:
        out.code = errors.DECODE_ERROR
    elif out_of_range:
        out.code = errors.FIELD_OUT_OF_RANGE
    return out


@internal
@pure
def _max_bytes(ftype: uint256) -> uint256:
    """
    @dev Longest in-range big-endian string of integer field type `ftype` (bool: 1).
    """
    if ftype == tx_types.F_UINT32:
        return 4
    if ftype == tx_types.F_UINT64:
        return 8
    return 1


@internal
@pure
def _surface(
    padded: Bytes[PADDED], surface: Head
) -> (bool, bool, DynArray[tx_types.VolPoint, tx_types.MAX_SURFACE_POINTS]):
    """
    @dev Walk the `VolPoint[]` list `surface`: every entry a list of exactly 4 integer
         strings `[expiry uint64, atm_vol_e6 uint64, skew_e6 int64, curvature_e6 uint64]`.
         Returns `(bad shape, out of range, the first 16 points)` (the points are only
         meaningful when neither flag is set). Short lists and strings, all a valid point
         holds, are decoded inline (`_head`'s rules); the rest go through `_head`.
    """
    points: DynArray[tx_types.VolPoint, tx_types.MAX_SURFACE_POINTS] = []
    bad_range: bool = False
    count: uint256 = 0
    pos: uint256 = surface.offset
    for _: uint256 in range(MAX_SURFACE_ENTRIES + 1):
        if pos == surface.end:
            break
        w: uint256 = convert(extract32(padded, pos), uint256)
        at: uint256 = pos + 1
        entry_end: uint256 = 0
        if w >> 248 < SHORT_LIST or w >> 248 >= SHORT_LIST + SHORT_LIMIT:
            entry: Head = self._head(convert(w, bytes32), pos, surface.end)
            if not entry.ok or not entry.is_list:
                return True, False, points
            at = entry.offset
            entry_end = entry.end
        else:
            entry_end = at + (w >> 248) - SHORT_LIST
            if entry_end > surface.end:
                return True, False, points
        point: uint256[4] = empty(uint256[4])
        for k: uint256 in range(4):
            if at >= entry_end:
                return True, False, points  # fewer than 4 items
            word: uint256 = convert(extract32(padded, at), uint256)
            b0: uint256 = word >> 248
            length: uint256 = 1
            if b0 >= SHORT_STRING:
                if b0 < SHORT_STRING + SHORT_LIMIT:
                    length = b0 - SHORT_STRING
                    at += 1
                    if at + length > entry_end:
                        return True, False, points
                    if length < 32:
                        word = word << 8
                    else:  # the payload word starts a byte later
                        word = convert(extract32(padded, at), uint256)
                    if length == 1 and word >> 248 < SHORT_STRING:
                        return True, False, points  # a single byte below 0x80 encodes itself
                else:
                    item: Head = self._head(convert(word, bytes32), at, entry_end)
                    if not item.ok or item.is_list:
                        return True, False, points
                    length = item.length
                    word = convert(extract32(padded, item.offset), uint256)
                    at = item.offset
            if length != 0 and word >> 248 == 0:
                return True, False, points  # an integer with a leading zero byte
            at += length
            if length > 32 or (k != 2 and length > 8):
                bad_range = True
                continue
            v: uint256 = 0
            if length != 0:
                v = word >> unsafe_sub(256, unsafe_mul(8, length))
            # int64 (k = 2): below 2**63, or the 32-byte two's complement word of a negative
            if k == 2 and v >= INT64_LIMIT and (length != 32 or v < NEGATIVE_INT64_WORD_MIN):
                bad_range = True
            point[k] = v
        if at != entry_end:
            return True, False, points  # more than 4 items
        if count < tx_types.MAX_SURFACE_POINTS:
            points.append(tx_types.VolPoint(
                expiry=point[0],
                atm_vol_e6=point[1],
                skew_e6=convert(convert(point[2], bytes32), int256),
                curvature_e6=point[3],
            ))
        count += 1
        pos = entry_end
    if count == 0 or count > tx_types.MAX_SURFACE_POINTS:
        bad_range = True
    return False, bad_range, points


@internal
@view
def decode_tx(raw: Bytes[MAX_TX_BYTES], separator: bytes32) -> (Decoded, address):
    """
    @notice Decode an envelope and recover its sender under the domain `separator`
            (tx_codec.py::decode_tx). The sender is empty for a deposit or on a failure
            (`code` != OK: BAD_SIGNATURE when no key recovers).
    """
    out: Decoded = self.decode_unsigned(raw)
    if out.code != errors.OK or out.kind == tx_types.DEPOSIT:
        return out, empty(address)
    digest: bytes32 = eip712.signing_digest(
        separator, eip712.struct_hash(out.kind, out.fields, out.count, out.surface)
    )
    sender: address = eip712.recover(digest, out.y_parity, out.r, out.s)
    if sender == empty(address):
        out.code = errors.BAD_SIGNATURE
    return out, sender


# ---------------------------------------------------------------------------------
# Typed bodies (for the body steps, which decode `cursor.tx` again: steps.py::tx_of)


@internal
@pure
def body(raw: Bytes[MAX_TX_BYTES], kind: uint256) -> Decoded:
    """
    @notice The decoded envelope `raw`, which must be valid and of type `kind` (a body step
            runs only after TX_START accepted it): reverts "tx_codec: ..." otherwise.
    """
    out: Decoded = self.decode_unsigned(raw)
    assert out.code == errors.OK, "tx_codec: not a valid envelope"
    assert out.kind == kind, "tx_codec: another transaction kind"
    return out


@internal
@pure
def place_order(d: Decoded) -> tx_types.PlaceOrder:
    f: uint256[tx_types.MAX_FIELDS] = d.fields
    return tx_types.PlaceOrder(
        nonce=f[0], instrument_id=f[1], side=f[2], price_e6=f[3], size_e6=f[4],
        time_in_force=f[5], reduce_only=f[6] == 1, client_order_id=f[7], expiry=f[8],
    )


@internal
@pure
def cancel_order(d: Decoded) -> tx_types.CancelOrder:
    return tx_types.CancelOrder(nonce=d.fields[0], order_id=d.fields[1], client_order_id=d.fields[2])


@internal
@pure
def cancel_all(d: Decoded) -> tx_types.CancelAll:
    return tx_types.CancelAll(nonce=d.fields[0], instrument_id=d.fields[1])


@internal
@pure
def withdraw(d: Decoded) -> tx_types.Withdraw:
    return tx_types.Withdraw(
        nonce=d.fields[0], amount_e6=d.fields[1], recipient=convert(convert(d.fields[2], uint160), address)
    )


@internal
@pure
def oracle_update(d: Decoded) -> tx_types.OracleUpdate:
    f: uint256[tx_types.MAX_FIELDS] = d.fields
    return tx_types.OracleUpdate(
        nonce=f[0], underlying_id=f[1], sequence=f[2], observation_time=f[3], index_price_e6=f[4],
        surface=d.surface,
    )


@internal
@pure
def list_instrument(d: Decoded) -> tx_types.ListInstrument:
    f: uint256[tx_types.MAX_FIELDS] = d.fields
    return tx_types.ListInstrument(
        nonce=f[0], underlying_id=f[1], expiry=f[2], strike_e6=f[3], is_call=f[4] == 1,
        tick_size_e6=f[5], min_size_e6=f[6],
    )


@internal
@pure
def liquidate(d: Decoded) -> tx_types.Liquidate:
    return tx_types.Liquidate(
        nonce=d.fields[0], account=convert(convert(d.fields[1], uint160), address),
        instrument_id=d.fields[2], size_e6=d.fields[3],
    )


@internal
@pure
def settle(d: Decoded) -> tx_types.Settle:
    return tx_types.Settle(
        nonce=d.fields[0], account=convert(convert(d.fields[1], uint160), address), instrument_id=d.fields[2]
    )


@internal
@pure
def deposit(d: Decoded) -> tx_types.Deposit:
    return tx_types.Deposit(
        deposit_index=d.fields[0], recipient=convert(convert(d.fields[1], uint160), address),
        amount_e6=d.fields[2],
    )
