"""Batches: round trips, and every malformed input is a BatchDecodeError (never anything else),
after bounded work: the fuzzer runs in a child process, so a crash fails the test."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import rlp
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from node.l1.batch_codec import (
    MAX_BATCH_BLOCKS,
    MAX_BATCH_RLP_BYTES,
    VERSION_ZLIB,
    VERSION_ZSTD,
    BatchBlock,
    BatchDecodeError,
    decode_batch,
    decode_blocks,
    encode_batch,
    encode_blocks,
)
from tests.node.l1.batch_fuzz import _nested

ROOT = Path(__file__).resolve().parents[3]

blocks_strategy = st.lists(
    st.builds(BatchBlock, st.integers(0, 2**63), st.integers(0, 2**40), st.integers(0, 2**40), st.integers(0, 2**40),
              st.lists(st.binary(min_size=1, max_size=300), max_size=8).map(tuple)),
    min_size=1, max_size=6)


@given(blocks_strategy, st.sampled_from([VERSION_ZSTD, VERSION_ZLIB]))
@settings(max_examples=150, deadline=None)
def test_round_trip(blocks, version):
    assert decode_batch(encode_batch(blocks, version)) == blocks


@given(st.binary(max_size=400))
@settings(max_examples=400, deadline=None)
def test_random_bytes_are_rejected_cleanly(data):
    try:
        decode_batch(data)
    except BatchDecodeError:
        pass


def test_malformed_batches():
    good = [BatchBlock(1, 2, 0, 0, (b"\x01x",))]
    zstd = zstandard.ZstdCompressor()
    cases = {
        "empty": b"",
        "unknown version": b"\x09" + zstd.compress(encode_blocks(good)),
        "truncated": encode_batch(good)[:-3],
        "trailing data": b"\x03" + zstd.compress(encode_blocks(good)) + b"\x00",
        "not a list": b"\x03" + zstd.compress(rlp.encode(b"abc")),
        "empty list": b"\x03" + zstd.compress(rlp.encode([])),
        "short block": b"\x03" + zstd.compress(rlp.encode([[b"\x01", b"\x02"]])),
        "non-canonical integer": b"\x03" + zstd.compress(rlp.encode([[b"\x00\x01", b"", b"", b"", []]])),
        "tx not bytes": b"\x03" + zstd.compress(rlp.encode([[b"\x01", b"", b"", b"", [[b"x"]]]])),
        "zstd bomb": b"\x03" + zstd.compress(b"\x00" * (MAX_BATCH_RLP_BYTES + 1)),
        "zlib bomb": bytes([VERSION_ZLIB]) + zlib.compress(b"\x00" * (MAX_BATCH_RLP_BYTES + 1)),
    }
    for name, data in cases.items():
        with pytest.raises(BatchDecodeError):
            decode_batch(data)
        assert name


def test_the_declared_last_block_must_be_the_batch_s_last():
    blocks = [BatchBlock(7, 2, 0, 0, ()), BatchBlock(8, 2, 0, 0, (b"\x01x",))]
    data = encode_batch(blocks)
    assert decode_batch(data, 8) == blocks
    for wrong in (7, 9, 2**64):
        with pytest.raises(BatchDecodeError, match="the inbox records"):
            decode_batch(data, wrong)


def test_deep_nesting_is_refused_without_recursion():
    """~78 KB of nested lists (under the inbox limit) crashed the Rust RLP backend."""
    for payload in (_nested(30_000), _nested(1, _nested(200_000)), rlp.encode([[b"\x01", b"", b"", b"", [[b"x"]]]])):
        data = bytes([VERSION_ZLIB]) + zlib.compress(payload, 9)
        with pytest.raises(BatchDecodeError):
            decode_batch(data)


def test_lengths_past_the_parent_and_too_many_items_are_refused():
    zstd = zstandard.ZstdCompressor()
    block = rlp.encode([b"\x01", b"", b"", b"", []])
    cases = {
        # the last item of an inner list runs past that list (inside the outer one): the Rust
        # backend accepts it, pyrlp and this decoder do not
        "item past its list": bytes.fromhex("c8") + bytes.fromhex("c5c2808082") + b"ab" + b"\xc0",
        "length past the payload": bytes.fromhex("f9ffff") + block,
        "cut long length": bytes.fromhex("f9ff"),
        "2**64-1 length": bytes.fromhex("bfffffffffffffffff") + b"x",
        "too many blocks": rlp.encode([rlp.decode(block)] * (MAX_BATCH_BLOCKS + 1)),
        "six fields": rlp.encode([[b"\x01", b"", b"", b"", [], b""]]),
        "uint64 overflow": rlp.encode([[b"\x01" * 9, b"", b"", b"", []]]),
    }
    for name, payload in cases.items():
        with pytest.raises(BatchDecodeError):
            decode_blocks(payload)
        with pytest.raises(BatchDecodeError):
            decode_batch(b"\x03" + zstd.compress(payload))
        assert name


@given(st.binary(max_size=300))
@settings(max_examples=400, deadline=None)
def test_whatever_decodes_is_canonical(payload):
    """Accepted bytes are exactly the encoding of what they decode to (one encoding per batch)."""
    try:
        blocks = decode_blocks(payload)
    except BatchDecodeError:
        return
    assert encode_blocks(blocks) == payload


def _fuzz(seed: int, cases: int) -> None:
    done = subprocess.run([sys.executable, "-m", "tests.node.l1.batch_fuzz", "--seed", str(seed),
                           "--cases", str(cases)], cwd=ROOT, capture_output=True, text=True, timeout=1_200)
    assert done.returncode == 0, f"decoder crashed or raised (exit {done.returncode}): {done.stderr[-2000:]}"


def test_fuzz_the_decoder_in_a_child_process():
    _fuzz(seed=1, cases=300)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 6))
def test_fuzz_the_decoder_long(seed):
    _fuzz(seed=seed, cases=20_000)
