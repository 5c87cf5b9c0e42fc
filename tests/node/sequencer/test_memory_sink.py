"""The in-memory block sink keeps only the last ``max_blocks`` blocks and their receipts."""

from __future__ import annotations

import pytest

from node.sequencer.sequencer import DEFAULT_MEMORY_BLOCKS, L2Block, MemoryBlockSink
from node.stf.errors import FailureCode
from node.stf.receipts import Receipt


def block(number: int, *hashes: bytes) -> L2Block:
    return L2Block(number, number, b"r", b"h", tuple(hashes), tuple(Receipt(h, FailureCode.OK) for h in hashes))


def test_only_the_last_blocks_and_their_receipts_are_kept():
    sink = MemoryBlockSink(max_blocks=3)
    for number in range(6):
        sink.put_block(block(number, bytes([number]) * 32))
    assert [n for n in range(6) if sink.get_block(n) is not None] == [3, 4, 5]
    assert sink.get_receipt(bytes([2]) * 32) is None
    assert sink.get_receipt(bytes([5]) * 32)[0] == 5
    assert len(sink.receipts) == 3


def test_a_receipt_indexed_by_an_older_block_is_kept_with_it():
    sink = MemoryBlockSink(max_blocks=2)
    tx = b"\x07" * 32
    sink.put_block(block(1, tx))
    sink.put_block(block(2, tx))  # the same hash again (a replay's failure receipt): the first inclusion stays
    assert sink.get_receipt(tx)[0] == 1
    sink.put_block(block(3))  # block 1 leaves: its receipt leaves with it
    assert sink.get_receipt(tx) is None and sink.get_block(2) is not None


def test_default_bound_and_bad_bound():
    assert MemoryBlockSink().max_blocks == DEFAULT_MEMORY_BLOCKS == 10_000
    with pytest.raises(ValueError):
        MemoryBlockSink(max_blocks=0)
