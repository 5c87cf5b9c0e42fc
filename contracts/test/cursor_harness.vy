# pragma version 0.4.3
"""
@title cursor test harness
@notice Exposes `fault/lib/cursor.vy` for the differential tests against `node/stf/cursor.py`.
        Not deployed outside tests.
"""

import fault.lib.cursor as cursor


@external
@pure
def roundtrip(raw: Bytes[cursor.MAX_CURSOR]) -> Bytes[cursor.MAX_CURSOR]:
    """Decode `raw` (reverting where Python refuses) and encode the result again."""
    return cursor.encode_cursor(cursor.decode_cursor(raw))


@external
@pure
def roundtrip_wide(raw: Bytes[cursor.MAX_WIDE_CURSOR]) -> Bytes[cursor.MAX_WIDE_CURSOR]:
    """The same through the margin fold's wide path."""
    return cursor.encode_cursor_wide(cursor.decode_cursor_wide(raw), cursor.decode_wide_regs(raw))


@external
@pure
def frame_regs(regs: DynArray[int256, cursor.MAX_KEEP]) -> (Bytes[cursor.MAX_FRAME_RLP], DynArray[int256, cursor.MAX_KEEP]):
    """A frame's registers encoded, and decoded again."""
    raw: Bytes[cursor.MAX_FRAME_RLP] = cursor.encode_frame_regs(regs)
    return raw, cursor.decode_frame_regs(raw)


@external
@pure
def claim(root: bytes32, raw: Bytes[cursor.MAX_CURSOR]) -> bytes32:
    return cursor.claim(root, raw)
