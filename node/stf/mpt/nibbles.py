"""Nibble paths and Ethereum's hex-prefix (compact) encoding.

A nibble path is a ``bytes`` object whose items are nibbles (0..15): ``b"\\x0a\\x0b"`` is
the path of the key ``b"\\xab"``. Slicing, comparing and indexing such paths are
C-level operations, which is what keeps the trie fast.
"""

from __future__ import annotations

from binascii import unhexlify
from typing import Final

_HEX_DIGITS: Final = b"0123456789abcdef"
_HEX_TO_NIBBLE: Final = bytes.maketrans(_HEX_DIGITS, bytes(range(16)))
_NIBBLE_TO_HEX: Final = bytes.maketrans(bytes(range(16)), _HEX_DIGITS)


def key_to_nibbles(key: bytes) -> bytes:
    """The nibble path of ``key`` (two nibbles per byte, high nibble first)."""
    return key.hex().encode("ascii").translate(_HEX_TO_NIBBLE)


def nibbles_to_key(nibbles: bytes) -> bytes:
    """Inverse of ``key_to_nibbles`` (``nibbles`` must have an even length)."""
    if len(nibbles) & 1:
        raise ValueError("odd number of nibbles")
    return unhexlify(nibbles.translate(_NIBBLE_TO_HEX))


def hex_prefix(nibbles: bytes, is_leaf: bool) -> bytes:
    """Hex-prefix encoding of a leaf (``is_leaf``) or extension path (yellow paper, app. C)."""
    digits = nibbles.translate(_NIBBLE_TO_HEX)
    if len(nibbles) & 1:
        return unhexlify((b"3" if is_leaf else b"1") + digits)
    return unhexlify((b"20" if is_leaf else b"00") + digits)


def leaf_hex_prefix(nibbles: bytes) -> bytes:
    """``hex_prefix(nibbles, True)``, the hot path of leaf encoding."""
    if len(nibbles) & 1:
        return unhexlify(b"3" + nibbles.translate(_NIBBLE_TO_HEX))
    return unhexlify(b"20" + nibbles.translate(_NIBBLE_TO_HEX))


def decode_hex_prefix(encoded: bytes) -> tuple[bytes, bool]:
    """``(nibbles, is_leaf)`` from a hex-prefix encoded path; ``ValueError`` if malformed.

    Strict: the flag nibble must be 0..3 and the padding nibble of an even path must be 0,
    so every path has exactly one accepted encoding.
    """
    if not encoded:
        raise ValueError("empty hex-prefix path")
    nibbles = key_to_nibbles(encoded)
    flag = nibbles[0]
    if flag > 3:
        raise ValueError(f"bad hex-prefix flag {flag}")
    if flag & 1:
        return nibbles[1:], flag == 3
    if nibbles[1] != 0:
        raise ValueError("non-zero hex-prefix padding")
    return nibbles[2:], flag == 2


def common_prefix_length(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix of two nibble paths."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
