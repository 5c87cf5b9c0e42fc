"""The cursor: where the state-transition machine is between two steps, and the claim on it.

The STF runs every transaction as a sequence of bounded steps (``machine.py``). Between two
steps the whole machine state is the state root plus a ``Cursor``; a fault-proof claim at
that boundary is

    claim = keccak256(state_root || keccak256(encode_cursor(cursor)))

**Fields** (ints are unsigned unless said):

- ``phase``: what the next step does (``machine.Phase``);
- ``block`` / ``time``: the L2 block being executed, its number and timestamp (unix s);
- ``tx_index``: the position of the current transaction in its block's body;
- ``outer``: the block and derivation registers (the batch, the read offset in its data,
  the queue targets: ``derive_steps.py``), kept across the block's transactions;
- ``tx``: the current transaction's envelope (``b""`` between transactions);
- ``sender`` (20 bytes, ``b""`` for none) and ``tx_hash`` (32 bytes, ``b""`` before decoding):
  set by the step that decodes the transaction and recovers its sender;
- ``regs``: the running rule's registers (loop counters, partial sums, the pending fill),
  signed ints; each rule documents its layout;
- ``stack``: suspended callers of a sub-machine (for example the margin sum), innermost
  last, each ``(phase, regs)``: ``call`` pushes one, ``ret`` pops it;
- ``saved``: checkpoint tokens to roll back to, innermost last; in a proving run a token is
  the 32-byte state root at the start of the step that took it (``State.checkpoint``).

``body`` is a cache of ``tx`` decoded (a ``SignedTx``), carried by the node's fast path and
never encoded: every step that needs it can decode ``tx`` again (``machine.tx_of``).

**Encoding** (canonical RLP; the L1 verifier decodes the same bytes):

    [phase, block, time, tx_index, [zz(r) for r in outer], tx, sender, tx_hash,
     [zz(r) for r in regs], [[phase, [zz(r) ...]] for each frame], [token, ...]]

with integers as RLP integers (big-endian, no leading zeros) and ``zz`` the zigzag map of a
signed integer to an unsigned one (``n >= 0 -> 2n``, ``n < 0 -> -2n - 1``): one encoding per
value. ``decode_cursor`` accepts only canonical encodings (re-encoding gives the same bytes).
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import rlp
from rlp.exceptions import DecodingError

from node.stf.hashing import keccak256

MAX_INT_BYTES: Final = 32  # every register fits a uint256 word after zigzag

# Bounds of a cursor's fields, the L1 decoder's (``contracts/fault/lib/cursor.vy``); each
# holds every cursor the STF builds (``tests/node/stf/test_cursor_bound.py`` checks them
# against their sources):
MAX_TX: Final = 2048  # the envelope: derivation loads at most tx_codec.MAX_TX_BYTES
MAX_OUTER: Final = 16  # derive_steps.OUTER_REGS = 15
MAX_REGS: Final = 64  # a running frame's registers, the margin fold's aside
MAX_WIDE_REGS: Final = 3280  # the margin fold's: 4 head + 6 kept + margin_fold.MAX_REGS (3,270)
MAX_FRAMES: Final = 4  # suspended frames: only the margin sub-machine is called, from a frame-less step (1)
MAX_FRAME_RLP: Final = 1024  # a suspended frame's register list, header included
MAX_SAVED: Final = 8  # checkpoint tokens (bodies take at most 3)


def _rlp_header_size(payload: int) -> int:
    """Bytes of the RLP header of a string or list of ``payload`` bytes (a long one)."""
    return 1 if payload < 56 else 1 + (payload.bit_length() + 7) // 8


def _rlp_list_size(payload: int) -> int:
    return _rlp_header_size(payload) + payload


def worst_cursor_size(regs: int = MAX_WIDE_REGS) -> int:
    """The longest encoding of a cursor within the field bounds above with ``regs`` running
    registers: every integer at its widest (``MAX_INT_BYTES`` after zigzag, 33 bytes with its
    header), a ``MAX_TX``-byte envelope, ``MAX_FRAMES`` frames of ``MAX_FRAME_RLP``-byte
    register lists and ``MAX_SAVED`` tokens."""
    integer = 1 + MAX_INT_BYTES
    frame = _rlp_list_size(integer + MAX_FRAME_RLP)
    payload = (4 * integer + _rlp_list_size(MAX_OUTER * integer) + _rlp_header_size(MAX_TX) + MAX_TX + 21 + 33
               + _rlp_list_size(regs * integer) + _rlp_list_size(MAX_FRAMES * frame) + _rlp_list_size(MAX_SAVED * 33))
    return _rlp_list_size(payload)


# Every cursor the STF builds fits: the margin fold's registers at their widest int256
# encodings, the other fields at their bounds (115,526 bytes). Only the margin family and the
# verifier handle cursors this long on L1 (`cursor.vy`'s wide path); every other step's
# cursor is at most ``worst_cursor_size(MAX_REGS)`` (9,396 bytes).
MAX_CURSOR_BYTES: Final = worst_cursor_size()


class CursorError(ValueError):
    """Bytes that are not the canonical encoding of a cursor."""


class Cursor(NamedTuple):
    phase: int
    block: int = 0
    time: int = 0
    tx_index: int = 0
    outer: tuple[int, ...] = ()
    tx: bytes = b""
    sender: bytes = b""
    tx_hash: bytes = b""
    regs: tuple[int, ...] = ()
    stack: tuple[tuple[int, tuple[int, ...]], ...] = ()
    saved: tuple[Any, ...] = ()
    body: Any = None  # the decoded ``tx`` (a cache, never encoded)


def zigzag(value: int) -> int:
    """A signed integer as an unsigned one: ``n >= 0 -> 2n``, ``n < 0 -> -2n - 1``."""
    return value << 1 if value >= 0 else ((-value) << 1) - 1


def unzigzag(value: int) -> int:
    return value >> 1 if not value & 1 else -((value + 1) >> 1)


def _int(value: int) -> bytes:
    if value < 0:
        raise CursorError(f"negative unsigned field {value}")
    out = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if len(out) > MAX_INT_BYTES:
        raise CursorError(f"integer of {len(out)} bytes exceeds {MAX_INT_BYTES}")
    return out


def _regs(regs: tuple[int, ...]) -> list[bytes]:
    return [_int(zigzag(r)) for r in regs]


def encode_cursor(cursor: Cursor) -> bytes:
    """The canonical RLP of ``cursor`` (``body`` is left out). Raises ``CursorError`` if a
    field is out of range (a token that is not bytes: the cursor of an unproven run)."""
    for token in cursor.saved:
        if not isinstance(token, bytes):
            raise CursorError("a checkpoint token is not a state root: not a proving run")
    return rlp.encode([
        _int(cursor.phase), _int(cursor.block), _int(cursor.time), _int(cursor.tx_index),
        _regs(cursor.outer), cursor.tx, cursor.sender, cursor.tx_hash,
        _regs(cursor.regs),
        [[_int(phase), _regs(regs)] for phase, regs in cursor.stack],
        list(cursor.saved),
    ])


def _uint(item: Any, what: str) -> int:
    if not isinstance(item, bytes):
        raise CursorError(f"{what} is a list, not an integer")
    if len(item) > MAX_INT_BYTES or item[:1] == b"\x00":
        raise CursorError(f"{what} is not a canonical integer")
    return int.from_bytes(item, "big")


def _bytes(item: Any, what: str, sizes: tuple[int, ...] | None = None) -> bytes:
    if not isinstance(item, bytes):
        raise CursorError(f"{what} is a list, not a byte string")
    if sizes is not None and len(item) not in sizes:
        raise CursorError(f"{what} has {len(item)} bytes")
    return item


def _list(item: Any, what: str) -> list:
    if not isinstance(item, list):
        raise CursorError(f"{what} is not a list")
    return item


def _decode_regs(item: Any, what: str) -> tuple[int, ...]:
    return tuple(unzigzag(_uint(r, f"{what}[{i}]")) for i, r in enumerate(_list(item, what)))


def decode_cursor(data: bytes) -> Cursor:
    """The cursor encoded by ``data``; raises ``CursorError`` for anything else."""
    if len(data) > MAX_CURSOR_BYTES:
        raise CursorError(f"cursor of {len(data)} bytes exceeds {MAX_CURSOR_BYTES}")
    try:
        items = rlp.decode(data, strict=True)
    except (DecodingError, RecursionError) as exc:
        raise CursorError(f"not RLP: {exc}") from None
    items = _list(items, "cursor")
    if len(items) != 11:
        raise CursorError(f"cursor has {len(items)} fields, not 11")
    frames = []
    for i, frame in enumerate(_list(items[9], "stack")):
        frame = _list(frame, f"stack[{i}]")
        if len(frame) != 2:
            raise CursorError(f"stack[{i}] has {len(frame)} fields, not 2")
        frames.append((_uint(frame[0], f"stack[{i}].phase"), _decode_regs(frame[1], f"stack[{i}].regs")))
    cursor = Cursor(
        phase=_uint(items[0], "phase"),
        block=_uint(items[1], "block"),
        time=_uint(items[2], "time"),
        tx_index=_uint(items[3], "tx_index"),
        outer=_decode_regs(items[4], "outer"),
        tx=_bytes(items[5], "tx"),
        sender=_bytes(items[6], "sender", (0, 20)),
        tx_hash=_bytes(items[7], "tx_hash", (0, 32)),
        regs=_decode_regs(items[8], "regs"),
        stack=tuple(frames),
        saved=tuple(_bytes(t, f"saved[{i}]", (32,)) for i, t in enumerate(_list(items[10], "saved"))),
    )
    if encode_cursor(cursor) != data:
        raise CursorError("not the canonical encoding")
    return cursor


def claim_of(state_root: bytes, cursor: Cursor) -> bytes:
    """``keccak256(state_root || keccak256(encode_cursor(cursor)))``: the claim at a step boundary."""
    return keccak256(state_root + keccak256(encode_cursor(cursor)))
