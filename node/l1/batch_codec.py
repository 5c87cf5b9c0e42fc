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
so a later change is a new version, never a silent reinterpretation. Decompression is
capped at ``MAX_BATCH_RLP_BYTES`` (a batch is untrusted input to every follower).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final, Sequence

import rlp
import zstandard

VERSION_ZLIB: Final = 0x01
VERSION_ZSTD: Final = 0x03
VERSION: Final = VERSION_ZSTD
ZSTD_LEVEL: Final = 19
ZLIB_LEVEL: Final = 9
MAX_BATCH_RLP_BYTES: Final = 16 * 1024 * 1024
MAX_BLOCK_TXS: Final = 100_000


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


def _uint(raw: object, what: str) -> int:
    if not isinstance(raw, bytes) or len(raw) > 8 or raw[:1] == b"\x00":
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


def decode_batch(data: bytes) -> list[BatchBlock]:
    """The blocks of a batch; raises ``BatchDecodeError`` for anything malformed."""
    if not data:
        raise BatchDecodeError("empty batch")
    payload = _decompress(data[0], data[1:])
    try:
        items = rlp.decode(payload, strict=True)
    except rlp.DecodingError as exc:
        raise BatchDecodeError(f"rlp: {exc}") from None
    if not isinstance(items, list) or not items:
        raise BatchDecodeError("a batch is a non-empty list of blocks")
    blocks = []
    for item in items:
        if not isinstance(item, list) or len(item) != 5 or not isinstance(item[4], list):
            raise BatchDecodeError("a block is [number, timestamp, deposits_through, forced_through, txs]")
        txs = item[4]
        if len(txs) > MAX_BLOCK_TXS or not all(isinstance(t, bytes) for t in txs):
            raise BatchDecodeError("block transactions must be at most MAX_BLOCK_TXS byte strings")
        blocks.append(BatchBlock(_uint(item[0], "number"), _uint(item[1], "timestamp"),
                                 _uint(item[2], "deposits_through"), _uint(item[3], "forced_through"), tuple(txs)))
    return blocks
