"""Batches: round trips, and every malformed input is a BatchDecodeError (never anything else)."""

from __future__ import annotations

import zlib

import pytest
import rlp
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from node.l1.batch_codec import (
    MAX_BATCH_RLP_BYTES,
    VERSION_ZLIB,
    VERSION_ZSTD,
    BatchBlock,
    BatchDecodeError,
    decode_batch,
    encode_batch,
    encode_blocks,
)

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
