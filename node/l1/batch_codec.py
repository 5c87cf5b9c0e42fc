"""Batches: how L2 blocks are written to L1 as calldata, and read back by derivation.

A batch is ``version || compress(rlp([block, ...]))`` where each block is

    [number, timestamp, deposits_through, forced_through, [raw_tx, ...]]

- ``number``, ``timestamp``: the L2 block header (unix seconds);
- ``deposits_through``: the L1 deposit queue index the block's deposits reach (exclusive:
  the block applies deposits ``[previous deposits_through, deposits_through)`` first, built
  from the L1 ``DepositQueued`` events, so a batch can never invent a deposit);
- ``forced_through``: the same for the forced-inclusion queue (applied after the deposits);
- ``raw_tx``: the sequenced transactions, as the sequencer received them (signed envelopes).

The compression is chosen by measurement (``bench/bench_l1.py``: bytes per order on a
market-making flow): ``zstd`` at level 19 with no dictionary. The version byte names it,
so a later change is a new version, never a silent reinterpretation.

A batch is untrusted input to every follower, so decoding is bounded: decompression stops
at ``MAX_BATCH_RLP_BYTES``, and the RLP is read for exactly the shape above (depth 3: the
batch, its blocks, a block's transactions) by a loop over ``rlp.codec``'s length-prefix
reader, never by a general (recursive) decoder: nesting where a byte string is due, a
length running past its parent or the payload, a non-canonical length or integer, and
trailing bytes are all ``BatchDecodeError`` after at most one pass over the bytes.

The inbox also records each batch's *declared* last L2 block (``append_batch(data,
last_l2_block)``): a batch decodes only if its last block has exactly that number
(``decode_batch(data, declared_last_block)``), so a proposal bound to the declared block
(``StateCommitments.propose``) names the block derivation reaches. A batch that does not
decode is skipped as a whole by derivation: it derives no block.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final, Sequence

import rlp
import zstandard
from rlp.codec import consume_length_prefix

VERSION_ZLIB: Final = 0x01
VERSION_ZSTD: Final = 0x03
VERSION: Final = VERSION_ZSTD
ZSTD_LEVEL: Final = 19
ZLIB_LEVEL: Final = 9
# The batcher seals a batch before its RLP reaches the inbox's 120,000-byte calldata limit
# (``batcher.SEAL_AT_RLP_BYTES``), so an honest batch decompresses to less than that; the
# cap leaves 8x room while bounding what one batch can cost a follower in memory.
MAX_BATCH_RLP_BYTES: Final = 1024 * 1024
# The batcher counts at least 40 bytes per block and seals at ~18 KB (~450 blocks at most).
MAX_BATCH_BLOCKS: Final = 4_096
MAX_BLOCK_TXS: Final = 100_000
BLOCK_FIELDS: Final = 5  # [number, timestamp, deposits_through, forced_through, [tx, ...]]
MAX_UINT_BYTES: Final = 8  # header integers are uint64


class BatchDecodeError(Exception):
    """The bytes are not a valid batch (derivation skips such a batch)."""


@dataclass(frozen=True, slots=True)
class BatchBlock:
    """One L2 block as a batch carries it (see module docstring)."""

    number: int
    timestamp: int
    deposits_through: int
    forced_through: int
    txs: tuple[bytes, ...]


def _int(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


def _uint(raw: bytes, what: str) -> int:
    if len(raw) > MAX_UINT_BYTES or raw[:1] == b"\x00":
        raise BatchDecodeError(f"{what}: not a canonical integer")
    return int.from_bytes(raw, "big")


def encode_blocks(blocks: Sequence[BatchBlock]) -> bytes:
    """The uncompressed RLP of ``blocks``."""
    return rlp.encode([
        [_int(b.number), _int(b.timestamp), _int(b.deposits_through), _int(b.forced_through), list(b.txs)]
        for b in blocks
    ])


def encode_batch(blocks: Sequence[BatchBlock], version: int = VERSION) -> bytes:
    """The calldata for ``BatchInbox.append_batch``."""
    payload = encode_blocks(blocks)
    if version == VERSION_ZSTD:
        return bytes([version]) + zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(payload)
    if version == VERSION_ZLIB:
        return bytes([version]) + zlib.compress(payload, ZLIB_LEVEL)
    raise ValueError(f"batch: unknown version {version}")


def _decompress(version: int, body: bytes) -> bytes:
    if version == VERSION_ZSTD:
        # Fed in small chunks so a decompression bomb stops at the cap (a 4-byte RLE block
        # can expand to 128 KiB: a 256-byte chunk yields at most 8 MiB).
        reader = zstandard.ZstdDecompressor().decompressobj()
        parts: list[bytes] = []
        size = 0
        try:
            for start in range(0, len(body), 256):
                if reader.eof:
                    raise BatchDecodeError("zstd: data after the frame")
                part = reader.decompress(body[start:start + 256])
                size += len(part)
                if size > MAX_BATCH_RLP_BYTES:
                    raise BatchDecodeError("batch larger than the decompression cap")
                parts.append(part)
        except zstandard.ZstdError as exc:
            raise BatchDecodeError(f"zstd: {exc}") from None
        if not reader.eof:
            raise BatchDecodeError("zstd: truncated frame")
        if reader.unused_data:
            raise BatchDecodeError("zstd: data after the frame")
        out = b"".join(parts)
    elif version == VERSION_ZLIB:
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(body, MAX_BATCH_RLP_BYTES + 1)
        except zlib.error as exc:
            raise BatchDecodeError(f"zlib: {exc}") from None
        if not inflater.eof:
            raise BatchDecodeError("zlib: truncated or too large")
    else:
        raise BatchDecodeError(f"unknown batch version {version}")
    if len(out) > MAX_BATCH_RLP_BYTES:
        raise BatchDecodeError("batch larger than the decompression cap")
    return out


def _item(payload: bytes, start: int, end: int) -> tuple[bool, int, int]:
    """The RLP item at ``start``, which must lie within ``[start, end)``:
    ``(is_list, payload_start, payload_end)``. Only lengths are read (never the content),
    so the work is constant whatever the item holds."""
    if start >= end:
        raise BatchDecodeError("rlp: item expected past the end of its list")
    try:
        prefix, kind, length, body = consume_length_prefix(payload, start)
    except rlp.DecodingError as exc:
        raise BatchDecodeError(f"rlp: {exc}") from None
    except IndexError:
        raise BatchDecodeError("rlp: truncated") from None
    if body - start != len(prefix) or body + length > end:  # a cut length prefix, or an item past its parent
        raise BatchDecodeError("rlp: item runs past the end of its list")
    return kind is list, body, body + length


def _children(payload: bytes, start: int, end: int, limit: int, what: str) -> list[tuple[bool, int, int]]:
    """The items of the list whose payload is ``payload[start:end]``, one level deep (at
    most ``limit`` of them, else ``BatchDecodeError`` naming ``what``)."""
    out = []
    while start < end:
        if len(out) == limit:
            raise BatchDecodeError(f"more than {limit} {what}")
        is_list, body, stop = _item(payload, start, end)
        out.append((is_list, body, stop))
        start = stop
    return out


def _string(payload: bytes, item: tuple[bool, int, int], what: str) -> bytes:
    is_list, body, stop = item
    if is_list:
        raise BatchDecodeError(f"{what}: a list where a byte string is due")
    return payload[body:stop]


def _block(payload: bytes, item: tuple[bool, int, int]) -> BatchBlock:
    is_list, body, stop = item
    shape = "a block is [number, timestamp, deposits_through, forced_through, txs]"
    fields = _children(payload, body, stop, BLOCK_FIELDS, "block fields: " + shape) if is_list else []
    if len(fields) != BLOCK_FIELDS or not fields[4][0]:
        raise BatchDecodeError(shape)
    txs = _children(payload, fields[4][1], fields[4][2], MAX_BLOCK_TXS, "transactions in a block")
    header = [_uint(_string(payload, field, name), name)
              for field, name in zip(fields, ("number", "timestamp", "deposits_through", "forced_through"))]
    return BatchBlock(*header, tuple(_string(payload, tx, "transaction") for tx in txs))


def decode_blocks(payload: bytes) -> list[BatchBlock]:
    """The blocks of an uncompressed batch (``encode_blocks``' output), read for exactly
    the batch's shape with bounded work; ``BatchDecodeError`` for anything else."""
    is_list, body, stop = _item(payload, 0, len(payload))
    if stop != len(payload):
        raise BatchDecodeError("rlp: bytes after the batch")
    blocks = _children(payload, body, stop, MAX_BATCH_BLOCKS, "blocks in a batch") if is_list else []
    if not blocks:
        raise BatchDecodeError("a batch is a non-empty list of blocks")
    return [_block(payload, block) for block in blocks]


def decode_batch(data: bytes, declared_last_block: int | None = None) -> list[BatchBlock]:
    """The blocks of a batch; raises ``BatchDecodeError`` for anything malformed, or (with
    ``declared_last_block``, the inbox's record) if the last block is not that number."""
    if not data:
        raise BatchDecodeError("empty batch")
    blocks = decode_blocks(_decompress(data[0], data[1:]))
    if declared_last_block is not None and blocks[-1].number != declared_last_block:
        raise BatchDecodeError(f"the last block is {blocks[-1].number}, the inbox records {declared_last_block}")
    return blocks
