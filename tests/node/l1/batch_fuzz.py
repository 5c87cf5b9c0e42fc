"""A fuzzer for ``decode_batch``, run as its own process so that a crash (a segfault in a
native decoder, a stack overflow) fails the test that starts it instead of killing pytest.

``python -m tests.node.l1.batch_fuzz --seed S --cases N`` feeds N inputs drawn from seed S
(deep nesting, bad lengths, truncations, bit flips of valid batches, compression bombs,
random bytes) to ``decode_batch``. Each must decode or raise ``BatchDecodeError``; any
other exception prints the case and exits 1. Exit 0 means every case was handled, and
``--print-counts`` reports how many decoded.
"""

from __future__ import annotations

import argparse
import random
import sys
import zlib

import zstandard
from rlp.codec import length_prefix

from node.l1.batch_codec import (
    MAX_BATCH_RLP_BYTES,
    VERSION_ZLIB,
    VERSION_ZSTD,
    BatchBlock,
    BatchDecodeError,
    decode_batch,
    encode_blocks,
)

DEEP: int = 200_000  # nesting depth of the deepest case: far past any recursion limit


def _compress(version: int, payload: bytes) -> bytes:
    if version == VERSION_ZLIB:
        return bytes([version]) + zlib.compress(payload, 6)
    return bytes([version]) + zstandard.ZstdCompressor(level=3).compress(payload)


def _nested(depth: int, leaf: bytes = b"") -> bytes:
    """``depth`` lists each holding the next, the innermost holding ``leaf`` (RLP)."""
    prefixes = []
    size = len(leaf)
    for _ in range(depth):  # innermost first; joined once (not re-copied per level)
        prefix = length_prefix(size, 0xC0)
        prefixes.append(prefix)
        size += len(prefix)
    return b"".join(reversed(prefixes)) + leaf


def _valid_blocks(rng: random.Random) -> list[BatchBlock]:
    first = rng.randrange(1, 2**40)
    return [BatchBlock(first + i, rng.randrange(2**32), rng.randrange(2**20), rng.randrange(2**20),
                       tuple(rng.randbytes(rng.randrange(1, 200)) for _ in range(rng.randrange(4))))
            for i in range(rng.randrange(1, 6))]


def _mutate(rng: random.Random, payload: bytes) -> bytes:
    data = bytearray(payload)
    for _ in range(rng.randrange(1, 6)):
        if not data:
            break
        choice = rng.randrange(4)
        at = rng.randrange(len(data))
        if choice == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif choice == 1:
            data[at] = rng.choice((0x80, 0xB7, 0xB8, 0xBF, 0xC0, 0xF7, 0xF8, 0xFF))
        elif choice == 2:
            del data[at:at + rng.randrange(1, 8)]
        else:
            data[at:at] = rng.randbytes(rng.randrange(1, 8))
    return bytes(data)


def case(rng: random.Random) -> bytes:
    """One input for ``decode_batch``."""
    kind = rng.randrange(9)
    version = rng.choice((VERSION_ZSTD, VERSION_ZLIB))
    if kind == 0:  # deep nesting: as the whole batch, inside a block, inside the tx list
        depth = rng.choice((3, 4, 64, 1_000, 10_000, DEEP))
        where = rng.randrange(3)
        if where == 0:
            payload = _nested(depth)
        elif where == 1:
            payload = _nested(1, _nested(depth))
        else:
            fields = b"".join(length_prefix(1, 0x80) + b"\x01" if i == 0 else b"\x80" for i in range(4))
            txs = _nested(depth)
            block = fields + length_prefix(len(txs), 0xC0) + txs
            payload = _nested(1, length_prefix(len(block), 0xC0) + block)
        return _compress(version, payload)
    if kind == 1:  # a valid batch with mutated RLP
        return _compress(version, _mutate(rng, encode_blocks(_valid_blocks(rng))))
    if kind == 2:  # a valid batch cut short (compressed or not)
        data = _compress(version, encode_blocks(_valid_blocks(rng)))
        if rng.randrange(2):
            return data[:rng.randrange(len(data))]
        payload = encode_blocks(_valid_blocks(rng))
        return _compress(version, payload[:rng.randrange(len(payload))])
    if kind == 3:  # lengths: a long-form prefix claiming more than there is, or 2**64 - 1
        size = rng.choice((56, 2**16, 2**32, 2**64 - 1))
        size_bytes = size.to_bytes((size.bit_length() + 7) // 8, "big")
        head = rng.choice((0xB7, 0xF7)) + len(size_bytes)
        return _compress(version, bytes([head]) + size_bytes + rng.randbytes(rng.randrange(64)))
    if kind == 4:  # compression bombs: just over the cap, and far over it
        size = rng.choice((MAX_BATCH_RLP_BYTES + 1, 8 * MAX_BATCH_RLP_BYTES))
        filler = rng.choice((b"\x00", b"\xc0", b"\xc1\xc0"))
        return _compress(version, filler * (size // len(filler)))
    if kind == 5:  # a valid batch with trailing bytes, or bytes after the frame
        data = _compress(version, encode_blocks(_valid_blocks(rng)))
        return data + rng.randbytes(rng.randrange(1, 16))
    if kind == 6:  # many empty lists (the widest shape the cap allows)
        count = rng.choice((10, 5_000, 100_000))
        items = b"\xc0" * count
        return _compress(version, length_prefix(len(items), 0xC0) + items)
    if kind == 7:  # random bytes behind a valid version byte, or entirely random
        body = rng.randbytes(rng.randrange(512))
        return (bytes([version]) + body) if rng.randrange(2) else body
    blocks = _valid_blocks(rng)  # valid: must decode
    return _compress(version, encode_blocks(blocks))


def run(seed: int, cases: int) -> int:
    """Feed ``cases`` inputs; return how many decoded (raises on anything unexpected)."""
    rng = random.Random(seed)
    decoded = 0
    for number in range(cases):
        data = case(rng)
        try:
            decode_batch(data)
            decoded += 1
        except BatchDecodeError:
            pass
        except Exception as exc:
            raise AssertionError(f"seed {seed} case {number}: {type(exc).__name__}: {exc} "
                                 f"(input {len(data)} bytes: {data[:64].hex()}...)") from exc
    return decoded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--print-counts", action="store_true")
    args = parser.parse_args(argv)
    try:
        decoded = run(args.seed, args.cases)
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.print_counts:
        print(f"{args.cases} cases, {decoded} decoded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
