"""Batches: round trips, prefix semantics (a malformed block item ends the batch there, the
blocks before it stand), canonical encodings only, and bounded work on any input: the fuzzer
runs in a child process, so a crash fails the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import rlp
from rlp.codec import length_prefix
from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf.tx_codec import MAX_TX_BYTES
from node.l1.batch_codec import (
    MAX_BATCH_BLOCKS,
    BatchBlock,
    DecodedBatch,
    decode_batch,
    encode_batch,
    encode_block,
)
from tests.node.l1.batch_fuzz import _nested, check

ROOT = Path(__file__).resolve().parents[3]

blocks_strategy = st.lists(
    st.builds(BatchBlock, st.integers(0, 2**64 - 1), st.integers(0, 2**40), st.integers(0, 2**40),
              st.lists(st.binary(max_size=300), max_size=8).map(tuple)),
    max_size=6)

GOOD = [BatchBlock(1_800_000_000, 3, 1, (b"\x01x", b"")), BatchBlock(1_800_000_001, 3, 1, ())]


@given(blocks_strategy)
@settings(max_examples=150, deadline=None)
def test_round_trip(blocks):
    data = encode_batch(blocks)
    assert decode_batch(data) == DecodedBatch(tuple(blocks), len(data), "")


def test_the_data_is_the_block_items_concatenated():
    """No compression and no header: the L1 verifier reads an item straight from the calldata."""
    block = BatchBlock(5, 0, 2**64 - 1, (b"\x7f", b"tx"))
    assert encode_block(block) == rlp.encode([b"\x05", b"", b"\xff" * 8, [b"\x7f", b"tx"]])
    assert encode_batch([block, block]) == encode_block(block) * 2
    assert decode_batch(b"") == DecodedBatch((), 0, "")


# Each is one malformed block item; placed after GOOD and before GOOD again, the batch must
# end right before it, with the blocks of the first GOOD.
MALFORMED = {
    "not a list": rlp.encode(b"abc"),
    "empty list": rlp.encode([]),
    "three fields": rlp.encode([b"\x01", b"", b""]),
    "five fields": rlp.encode([b"\x01", b"", b"", [], b""]),
    "txs not a list": rlp.encode([b"\x01", b"", b"", b"tx"]),
    "timestamp a list": rlp.encode([[], b"", b"", []]),
    "leading zero": rlp.encode([b"\x00\x01", b"", b"", []]),
    "uint64 overflow": rlp.encode([b"\x01" * 9, b"", b"", []]),
    "tx past its list": bytes.fromhex("c7") + b"\x01\x80\x80" + bytes.fromhex("c2") + bytes.fromhex("82") + b"ab",
    "single byte as a string": bytes.fromhex("c6") + bytes.fromhex("8105") + b"\x80\x80" + bytes.fromhex("c180"),
    "long form for a short list": bytes.fromhex("f804") + b"\x01\x80\x80\xc0",
    "length with a leading zero": bytes.fromhex("f90004") + b"\x01\x80\x80\xc0",
    "length past the data": bytes.fromhex("f9ffff") + encode_block(GOOD[0]),
    "cut length": bytes.fromhex("f9ff"),
    "2**64-1 length": bytes.fromhex("bfffffffffffffffff") + b"x",
    "trailing byte": b"\x00",
    "deep nesting": _nested(30_000),
}

def _list(payload: bytes) -> bytes:
    return length_prefix(len(payload), 0xC0) + payload


# Each is one block item whose header is well formed but whose transaction list holds a
# malformed item after one good transaction: the block keeps that transaction and the batch
# ends after the item (as the fault-proof steps read it: a transaction at a time).
TX_MALFORMED = {
    "tx not bytes": rlp.encode([b"\x01", b"", b"", [b"ok", [b"x"]]]),
    "deep nesting in the txs": _list(b"\x01\x80\x80" + _list(b"\x82ok" + _nested(50_000))),
    "tx over MAX_TX_BYTES": rlp.encode([b"\x01", b"", b"", [b"ok", b"x" * (MAX_TX_BYTES + 1)]]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_item_ends_the_batch_at_that_block(name):
    head = encode_batch(GOOD)
    data = head + MALFORMED[name] + encode_batch(GOOD)
    decoded = decode_batch(data)
    assert decoded.blocks == tuple(GOOD)
    assert decoded.stop == len(head) and not decoded.complete
    assert f"block 2 at byte {len(head)}" in decoded.reason
    alone = decode_batch(MALFORMED[name])  # as the first item: no block at all
    assert alone.blocks == () and alone.stop == 0 and alone.reason


@pytest.mark.parametrize("name", sorted(TX_MALFORMED))
def test_a_malformed_transaction_ends_the_batch_after_the_transactions_before_it(name):
    head = encode_batch(GOOD)
    data = head + TX_MALFORMED[name] + encode_batch(GOOD)
    decoded = decode_batch(data)
    assert decoded.blocks == tuple(GOOD) + (BatchBlock(1, 0, 0, (b"ok",)),)
    assert decoded.stop == len(head) + len(TX_MALFORMED[name]) and not decoded.complete
    assert "block 2: transaction 1" in decoded.reason


def test_at_most_max_batch_blocks():
    item = encode_block(BatchBlock(0, 0, 0, ()))
    decoded = decode_batch(item * (MAX_BATCH_BLOCKS + 2))
    assert len(decoded.blocks) == MAX_BATCH_BLOCKS
    assert decoded.stop == len(item) * MAX_BATCH_BLOCKS and "more than" in decoded.reason


@given(st.binary(max_size=400))
@settings(max_examples=400, deadline=None)
def test_any_bytes_decode_to_a_canonical_prefix(data):
    """Never raises; the blocks read re-encode to exactly the bytes read (one encoding per
    batch), and the reason is empty exactly when everything was read."""
    check(data)


@given(blocks_strategy, st.binary(min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_garbage_after_valid_blocks_keeps_them(blocks, garbage):
    data = encode_batch(blocks)
    decoded = decode_batch(data + garbage)
    assert decoded.blocks[:len(blocks)] == tuple(blocks)
    check(data + garbage)


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
