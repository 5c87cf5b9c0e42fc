"""Reading one RLP item header at an offset of a byte string seen only through ranges.

The block steps (``derive_steps.py``) read a batch one item at a time, and the L1 verifier
proves only the byte ranges a step reads, so nothing here decodes more than one header.
Only canonical headers are accepted (a single byte below 0x80 is its own encoding; the long
forms only for payloads over 55 bytes, with no leading zero in the length); anything else,
or an item running past ``end``, raises ``RlpStreamError``.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

Reader = Callable[[int, int], bytes]
"""``read(start, end)``: the bytes ``[start, end)`` of the underlying data."""


class RlpStreamError(ValueError):
    """Not a canonical RLP item inside the given bounds."""


class Item(NamedTuple):
    """An item's kind and where its payload lies: ``[start, end)`` of the data."""

    is_list: bool
    start: int
    end: int


def read_item(read: Reader, offset: int, end: int) -> Item:
    """The item starting at ``offset``, which must end at or before ``end``."""
    if offset >= end:
        raise RlpStreamError(f"no item at {offset}: the bounds end at {end}")
    first = read(offset, offset + 1)[0]
    if first < 0x80:
        return Item(False, offset, offset + 1)
    if first <= 0xB7 or 0xC0 <= first <= 0xF7:
        is_list = first >= 0xC0
        length = first - (0xC0 if is_list else 0x80)
        start = offset + 1
    else:
        is_list = first >= 0xF8
        size = first - (0xF7 if is_list else 0xB7)
        start = offset + 1 + size
        if start > end:
            raise RlpStreamError(f"length of the item at {offset} runs past {end}")
        raw = read(offset + 1, start)
        if raw[0] == 0:
            raise RlpStreamError(f"length with a leading zero at {offset}")
        length = int.from_bytes(raw, "big")
        if length <= 55:
            raise RlpStreamError(f"long form for a short item at {offset}")
    if start + length > end:
        raise RlpStreamError(f"item at {offset} of {length} bytes runs past {end}")
    if first == 0x81 and read(start, start + 1)[0] < 0x80:
        raise RlpStreamError(f"non-canonical single byte at {offset}")
    return Item(is_list, start, start + length)


def read_uint(read: Reader, offset: int, end: int, max_bytes: int = 32) -> tuple[int, int]:
    """A canonical RLP integer at ``offset`` (at most ``max_bytes``): ``(value, next offset)``."""
    item = read_item(read, offset, end)
    if item.is_list:
        raise RlpStreamError(f"a list where an integer was due at {offset}")
    size = item.end - item.start
    if size > max_bytes:
        raise RlpStreamError(f"integer of {size} bytes at {offset}")
    raw = read(item.start, item.end) if size else b""
    if raw[:1] == b"\x00":
        raise RlpStreamError(f"integer with a leading zero at {offset}")
    return int.from_bytes(raw, "big"), item.end
