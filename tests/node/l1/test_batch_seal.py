"""The batcher's seal size: a batch sealed just below the mark, plus the largest block the
sequencer can make with the worst framing a signed transaction gets, still fits the inbox."""

from __future__ import annotations

from node.l1.batch_codec import BatchBlock, encode_batch, encode_block
from node.l1.batcher import MAX_CALLDATA_BYTES, SEAL_AT_BYTES
from node.sequencer.sequencer import MAX_BLOCK_BYTES

MAX_UINT64 = 2**64 - 1


def test_a_worst_case_block_after_the_mark_still_fits_the_inbox():
    # 56-byte transactions get a 2-byte RLP prefix: the largest share of framing for any
    # transaction of 56 bytes or more (every signed envelope is longer than 56 bytes)
    txs = tuple(bytes([0x80 + i % 64]) * 56 for i in range(MAX_BLOCK_BYTES // 56))
    worst = encode_block(BatchBlock(MAX_UINT64, MAX_UINT64, MAX_UINT64, txs))
    assert len(worst) > MAX_BLOCK_BYTES * 103 // 100
    filler = encode_batch([BatchBlock(MAX_UINT64, MAX_UINT64, MAX_UINT64, (b"\x90" * 300,))] * 100)
    below_mark = filler * (SEAL_AT_BYTES // len(filler)) + b"\x00" * (SEAL_AT_BYTES % len(filler) - 1)
    assert len(below_mark) == SEAL_AT_BYTES - 1
    assert len(below_mark) + len(worst) <= MAX_CALLDATA_BYTES
    assert 17_000 < SEAL_AT_BYTES < 19_000  # batches of about 18 KB
