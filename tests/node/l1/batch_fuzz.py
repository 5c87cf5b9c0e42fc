"""A fuzzer for ``decode_batch``, run as its own process so that a crash (a segfault in a
native decoder, a stack overflow) fails the test that starts it instead of killing pytest.

``python -m tests.node.l1.batch_fuzz --seed S --cases N`` feeds N inputs drawn from seed S
(deep nesting, bad lengths, truncations, bit flips of valid batches, trailing bytes, many
empty lists, random bytes) to ``decode_batch``. Each must return, never raise, with the
prefix semantics' contract: the blocks it gives re-encode to exactly ``data[:stop]``, and
``reason`` is empty exactly when ``stop`` is the data's end. Anything else prints the case
and exits 1. Exit 0 means every case was handled, and ``--print-counts`` reports how many
decoded completely.
"""

from __future__ import annotations

import argparse
import random
import sys

import rlp
from rlp.codec import length_prefix

from node.l1.batch_codec import BatchBlock, decode_batch, encode_batch

DEEP: int = 200_000  # nesting depth of the deepest case: far past any recursion limit


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
    return [BatchBlock(rng.randrange(2**32), rng.randrange(2**20), rng.randrange(2**20),
                       tuple(rng.randbytes(rng.randrange(0, 200)) for _ in range(rng.randrange(4))))
            for _ in range(rng.randrange(1, 6))]


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
    kind = rng.randrange(8)
    good = encode_batch(_valid_blocks(rng)) if rng.randrange(2) else b""
    if kind == 0:  # deep nesting: as a block item, inside a block's fields, inside the tx list
        depth = rng.choice((3, 4, 64, 1_000, 10_000, DEEP))
        where = rng.randrange(3)
        if where == 0:
            return good + _nested(depth)
        if where == 1:
            return good + _nested(1, _nested(depth))
        fields = b"".join(length_prefix(1, 0x80) + b"\x01" if i == 0 else b"\x80" for i in range(3))
        txs = _nested(depth)
        block = fields + length_prefix(len(txs), 0xC0) + txs
        return good + length_prefix(len(block), 0xC0) + block
    if kind == 1:  # a valid batch with mutated RLP
        return _mutate(rng, encode_batch(_valid_blocks(rng)))
    if kind == 2:  # a valid batch cut short
        data = encode_batch(_valid_blocks(rng))
        return data[:rng.randrange(len(data))]
    if kind == 3:  # lengths: a long-form prefix claiming more than there is, or 2**64 - 1
        size = rng.choice((56, 2**16, 2**32, 2**64 - 1))
        size_bytes = size.to_bytes((size.bit_length() + 7) // 8, "big")
        head = rng.choice((0xB7, 0xF7)) + len(size_bytes)
        return good + bytes([head]) + size_bytes + rng.randbytes(rng.randrange(64))
    if kind == 4:  # a valid batch with trailing bytes
        return encode_batch(_valid_blocks(rng)) + rng.randbytes(rng.randrange(1, 16))
    if kind == 5:  # many tiny items (the most items the inbox's size allows)
        count = rng.choice((10, 5_000, 24_000))
        return rng.choice((b"\xc0", b"\xc4\x80\x80\x80\xc0", b"\xc5\x80\x80\x80\xc1\x80")) * count
    if kind == 6:  # random bytes
        return rng.randbytes(rng.randrange(512))
    return encode_batch(_valid_blocks(rng))  # valid: must decode completely


def check(data: bytes) -> bool:
    """Decode ``data`` and check the prefix contract; True if it decoded completely."""
    decoded = decode_batch(data)
    if ": transaction " in decoded.reason:  # the last block was cut at a malformed transaction item
        head = encode_batch(decoded.blocks[:-1])
        if not data.startswith(head):
            raise AssertionError("the whole blocks do not re-encode to the bytes before the cut one")
        at = len(head)
        for tx in decoded.blocks[-1].txs:  # the cut block keeps its first transactions, in order
            at = data.find(rlp.encode(tx), at) + len(rlp.encode(tx))
            if at < len(rlp.encode(tx)) or at > decoded.stop:
                raise AssertionError("a kept transaction of the cut block is not in its item")
    elif encode_batch(decoded.blocks) != data[:decoded.stop]:
        raise AssertionError(f"the blocks do not re-encode to the {decoded.stop} bytes read")
    if (decoded.reason == "") != (decoded.stop == len(data)):
        raise AssertionError(f"stop {decoded.stop} of {len(data)} bytes with reason {decoded.reason!r}")
    return decoded.complete


def run(seed: int, cases: int) -> int:
    """Feed ``cases`` inputs; return how many decoded completely (raises on anything unexpected)."""
    rng = random.Random(seed)
    decoded = 0
    for number in range(cases):
        data = case(rng)
        try:
            decoded += check(data)
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
