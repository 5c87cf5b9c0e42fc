"""Batches: how L2 blocks are written to L1 as calldata, and read back by derivation.

A batch's data is the concatenation of *block items*, no compression and no header:

    data = rlp(block_0) || rlp(block_1) || ...
    block = [timestamp, deposits_through, forced_through, [raw_tx, ...]]

- ``timestamp``: the L2 block's time (unix seconds);
- ``deposits_through``: the L1 deposit queue index the block's deposits reach (exclusive:
  the block applies deposits ``[previous deposits_through, deposits_through)`` first, built
  from the portal's queue, so a batch can never invent a deposit);
- ``forced_through``: the same for the forced-inclusion queue (applied after the deposits);
- ``raw_tx``: the sequenced transactions, as the sequencer received them (signed envelopes).

Integers are canonical RLP integers of at most ``MAX_UINT_BYTES`` bytes (no leading zero
byte; 0 is the empty string); transactions are RLP byte strings. Blocks carry no number:
a batch's blocks are numbered consecutively after the chain's tip (``node.derivation.rules``).
The format is plain RLP so that the L1 verifier can read one block item, and one transaction
of it, straight from the batch's committed chunks (``node.l1.batch_chunks``).

**Prefix semantics.** ``decode_batch`` reads block items in order from offset 0, and in a
block its transactions in order, exactly as the fault-proof steps read them one item at a
time (``node.stf.derive_steps``). The first malformed item ends the batch there:

- a malformed *block item* (one that is not a list, or whose length runs past the data; a
  block list that does not hold exactly the four fields; an integer field that is a list,
  longer than ``MAX_UINT_BYTES`` or has a leading zero byte; a transaction list that is not a
  list; any item past the ``MAX_BATCH_BLOCKS``-th) is dropped with everything after it;
- a malformed *transaction item* (not a byte string, longer than ``MAX_TX_BYTES``, or running
  past its block's list) ends its block there: the block keeps the transactions before it,
  and everything after it is dropped;

and the result says where (``stop``, a byte offset) and why (``reason``). A non-canonical RLP
length prefix (long form for a short length, a leading zero in a length, a single byte below
0x80 written as a string) is malformed. Trailing garbage is therefore just a last, malformed
item. Because each item is judged alone, one pass over the data decides everything, and so
does the L1 verifier reading item after item.

Decoding is bounded and never recursive: only the three levels above are read (a block, its
fields, its transaction list), by a loop over ``rlp.codec``'s length-prefix reader; nothing
deeper is ever parsed, so the work is one pass over the bytes whatever they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Sequence

import rlp
from rlp.codec import consume_length_prefix

from node.stf.l1_inputs import MAX_BATCH_BLOCKS, MAX_UINT_BYTES  # shared with the trace (derive_steps)
from node.stf.tx_codec import MAX_TX_BYTES

BLOCK_FIELDS: Final = 4  # [timestamp, deposits_through, forced_through, [tx, ...]]
_HEADER_NAMES: Final = ("timestamp", "deposits_through", "forced_through")


class BatchDecodeError(Exception):
    """One block item is not well formed (``decode_batch`` ends the batch there)."""


@dataclass(frozen=True, slots=True)
class BatchBlock:
    """One L2 block as a batch carries it (see module docstring)."""

    timestamp: int
    deposits_through: int
    forced_through: int
    txs: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class DecodedBatch:
    """What ``decode_batch`` read: the well-formed prefix of blocks; ``stop``, the byte offset
    where reading ended (the data's length when every item was a block); ``reason``, why the
    item at ``stop`` was not one (``""`` when the whole data decoded)."""

    blocks: tuple[BatchBlock, ...]
    stop: int
    reason: str = ""

    @property
    def complete(self) -> bool:
        return not self.reason


def _int(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


def _uint(raw: bytes, what: str) -> int:
    if len(raw) > MAX_UINT_BYTES or raw[:1] == b"\x00":
        raise BatchDecodeError(f"{what}: not a canonical integer of at most {MAX_UINT_BYTES} bytes")
    return int.from_bytes(raw, "big")


def encode_block(block: BatchBlock) -> bytes:
    """The block item of ``block`` (canonical RLP)."""
    return rlp.encode([_int(block.timestamp), _int(block.deposits_through), _int(block.forced_through),
                       list(block.txs)])


def encode_batch(blocks: Sequence[BatchBlock]) -> bytes:
    """The calldata for ``BatchInbox.append_batch``: the block items, concatenated."""
    return b"".join(encode_block(block) for block in blocks)


def _item(data: bytes, start: int, end: int) -> tuple[bool, int, int]:
    """The RLP item at ``start``, which must lie within ``[start, end)``:
    ``(is_list, payload_start, payload_end)``. Only the length prefix is read (never the
    content), so the work is constant whatever the item holds."""
    if start >= end:
        raise BatchDecodeError("rlp: item expected past the end of its list")
    try:
        prefix, kind, length, body = consume_length_prefix(data, start)
    except rlp.DecodingError as exc:
        raise BatchDecodeError(f"rlp: {exc}") from None
    except IndexError:
        raise BatchDecodeError("rlp: truncated") from None
    if body - start != len(prefix) or body + length > end:  # a cut length prefix, or an item past its parent
        raise BatchDecodeError("rlp: item runs past the end of its list")
    return kind is list, body, body + length


def _children(data: bytes, start: int, end: int, limit: int | None, what: str) -> list[tuple[bool, int, int]]:
    """The items of the list whose payload is ``data[start:end]``, one level deep (at most
    ``limit`` of them when given, else ``BatchDecodeError`` naming ``what``)."""
    out = []
    while start < end:
        if len(out) == limit:
            raise BatchDecodeError(f"more than {limit} {what}")
        is_list, body, stop = _item(data, start, end)
        out.append((is_list, body, stop))
        start = stop
    return out


def _string(data: bytes, item: tuple[bool, int, int], what: str) -> bytes:
    is_list, body, stop = item
    if is_list:
        raise BatchDecodeError(f"{what}: a list where a byte string is due")
    return data[body:stop]


def decode_block(data: bytes, offset: int) -> tuple[BatchBlock, int, str]:
    """The block item at ``offset``, the offset after it, and ``""`` or why one of its
    transaction items was malformed (the block then holds the transactions before it);
    ``BatchDecodeError`` if the item there is not a well-formed block (module docstring)."""
    is_list, body, stop = _item(data, offset, len(data))
    shape = "a block is [timestamp, deposits_through, forced_through, [tx, ...]]"
    if not is_list:
        raise BatchDecodeError(shape + ": a byte string where a block is due")
    fields = _children(data, body, stop, BLOCK_FIELDS, "block fields: " + shape)
    if len(fields) != BLOCK_FIELDS or not fields[3][0]:
        raise BatchDecodeError(shape)
    header = [_uint(_string(data, field, name), name) for field, name in zip(fields, _HEADER_NAMES)]
    txs: list[bytes] = []
    at, end = fields[3][1], fields[3][2]
    while at < end:
        try:
            tx = _item(data, at, end)
            raw = _string(data, tx, "transaction")
            if len(raw) > MAX_TX_BYTES:
                raise BatchDecodeError(f"transaction of {len(raw)} bytes > {MAX_TX_BYTES}")
        except BatchDecodeError as exc:
            return BatchBlock(*header, tuple(txs)), stop, f"transaction {len(txs)} at byte {at}: {exc}"
        txs.append(raw)
        at = tx[2]
    return BatchBlock(*header, tuple(txs)), stop, ""


def decode_batch(data: bytes) -> DecodedBatch:
    """The blocks of a batch under prefix semantics (module docstring). Never raises: a
    malformed item ends the batch, and ``stop`` / ``reason`` say where and why."""
    blocks: list[BatchBlock] = []
    offset = 0
    while offset < len(data):
        if len(blocks) == MAX_BATCH_BLOCKS:
            return DecodedBatch(tuple(blocks), offset, f"more than {MAX_BATCH_BLOCKS} blocks in a batch")
        try:
            block, offset_after, cut = decode_block(data, offset)
        except BatchDecodeError as exc:
            return DecodedBatch(tuple(blocks), offset, f"block {len(blocks)} at byte {offset}: {exc}")
        blocks.append(block)
        if cut:
            return DecodedBatch(tuple(blocks), offset_after, f"block {len(blocks) - 1}: {cut}")
        offset = offset_after
    return DecodedBatch(tuple(blocks), offset)
