"""Canonical encodings of what the node stores: block headers, blocks, receipts, the head.

All RLP (``rlp.codec.encode_raw``); integers are RLP scalars (big-endian, no leading zeros).

- **Header**: ``rlp([number, timestamp, parent_hash, state_root, receipts_hash, txs_hash])``;
  the block hash is ``keccak256`` of it. ``parent_hash`` of block 0 (genesis) is 32 zero
  bytes; ``receipts_hash`` is ``node.stf.receipts.receipts_hash`` (keccak of the RLP list of
  the receipts' canonical encodings); ``txs_hash`` is ``keccak256(rlp([raw_tx, ...]))``.
- **Block** (value of ``blocks[number]``): ``rlp([header_fields, [raw_tx, ...]])`` where
  ``header_fields`` is the header's list above and each ``raw_tx`` is the transaction's
  envelope exactly as sequenced (so the block re-derives bit for bit, refused bytes included).
- **Stored receipt** (value of ``receipts[number || index]``): ``rlp([receipt.encode(),
  detail_utf8])``: the canonical encoding the receipts hash commits to, plus the receipt's
  human-readable ``detail`` (not committed, kept for clients).
- **Head** (``meta["head"]``): ``rlp([number, block_hash, state_root])``.
- **Genesis** (``meta["genesis"]``): ``rlp([chain_id, verifying_contract, admin, [oracle, ...],
  [[underlying_id, name], ...], taker_fee_ppm, maker_fee_ppm, fee_cap_ppm, rate_e6,
  genesis_time])``: every
  field of ``node.stf.genesis.Genesis`` (its ``extra`` must be empty: it is not stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Sequence

import rlp
from rlp.codec import encode_raw

from node.stf.errors import FailureCode
from node.stf.genesis import Genesis
from node.stf.hashing import keccak256
from node.stf.receipts import Fill, Receipt

ZERO_HASH: Final = bytes(32)


def _u(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) >> 3, "big")


def _int(data: bytes) -> int:
    if data[:1] == b"\x00":
        raise ValueError("non-canonical integer (leading zero)")
    return int.from_bytes(data, "big")


def txs_hash(raw_txs: Sequence[bytes]) -> bytes:
    """keccak256 of the RLP list of a block's raw transactions."""
    return keccak256(encode_raw(list(raw_txs)))


@dataclass(frozen=True, slots=True)
class BlockHeader:
    number: int
    timestamp: int
    parent_hash: bytes
    state_root: bytes
    receipts_hash: bytes
    txs_hash: bytes
    # L1 queue positions after the block and how many of its first txs came from L1
    # (node.derivation.rules); 0 on a chain without an L1.
    deposits_through: int = 0
    forced_through: int = 0
    l1_tx_count: int = 0

    def fields(self) -> list:
        return [_u(self.number), _u(self.timestamp), self.parent_hash, self.state_root,
                self.receipts_hash, self.txs_hash, _u(self.deposits_through), _u(self.forced_through),
                _u(self.l1_tx_count)]

    def encode(self) -> bytes:
        return encode_raw(self.fields())

    def hash(self) -> bytes:
        return keccak256(self.encode())

    @classmethod
    def from_fields(cls, fields: list) -> BlockHeader:
        if not isinstance(fields, list) or len(fields) != 9:
            raise ValueError("block header: expected 9 fields")
        number, timestamp, parent, root, rhash, thash, deposits, forced, l1_count = fields
        for item in (parent, root, rhash, thash):
            if not isinstance(item, bytes) or len(item) != 32:
                raise ValueError("block header: hashes must be 32 bytes")
        return cls(_int(number), _int(timestamp), parent, root, rhash, thash, _int(deposits), _int(forced),
                   _int(l1_count))


@dataclass(frozen=True, slots=True)
class StoredBlock:
    """A block as stored: its header, its raw transactions and its hash."""

    header: BlockHeader
    txs: tuple[bytes, ...]
    hash: bytes

    @property
    def number(self) -> int:
        return self.header.number


def encode_block(header: BlockHeader, raw_txs: Sequence[bytes]) -> bytes:
    return encode_raw([header.fields(), list(raw_txs)])


def decode_block(data: bytes) -> StoredBlock:
    item = rlp.decode(data)
    if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], list):
        raise ValueError("block: expected [header, txs]")
    header = BlockHeader.from_fields(item[0])
    txs = tuple(item[1])
    if any(not isinstance(tx, bytes) for tx in txs):
        raise ValueError("block: transactions must be byte strings")
    return StoredBlock(header, txs, header.hash())


@dataclass(frozen=True, slots=True)
class Head:
    """The last committed block: its number, hash and state root."""

    number: int
    block_hash: bytes
    state_root: bytes

    def encode(self) -> bytes:
        return encode_raw([_u(self.number), self.block_hash, self.state_root])

    @classmethod
    def decode(cls, data: bytes) -> Head:
        item = rlp.decode(data)
        if not isinstance(item, list) or len(item) != 3:
            raise ValueError("head: expected [number, hash, root]")
        return cls(_int(item[0]), item[1], item[2])


def encode_genesis(genesis: Genesis) -> bytes:
    """The canonical encoding of ``genesis`` (``ValueError`` if its ``extra`` is not empty)."""
    if genesis.extra:
        raise ValueError("genesis: 'extra' is not part of the stored genesis")
    return encode_raw([
        _u(genesis.chain_id), genesis.verifying_contract, genesis.admin, list(genesis.oracles),
        [[_u(uid), name] for uid, name in genesis.underlyings],
        _u(genesis.taker_fee_ppm), _u(genesis.maker_fee_ppm), _u(genesis.fee_cap_ppm), _u(genesis.rate_e6),
        _u(genesis.genesis_time),
    ])


def decode_genesis(data: bytes) -> Genesis:
    """The ``Genesis`` whose ``encode_genesis`` is ``data`` (``ValueError`` otherwise)."""
    try:
        item = rlp.decode(data)
    except rlp.exceptions.DecodingError as exc:
        raise ValueError(f"genesis: {exc}") from None
    if not isinstance(item, list) or len(item) != 10 or not isinstance(item[3], list) \
            or not isinstance(item[4], list):
        raise ValueError("genesis: expected 10 fields")
    chain_id, verifying_contract, admin, oracles, underlyings, taker, maker, cap, rate, time_ = item
    if not isinstance(verifying_contract, bytes) or len(verifying_contract) != 20:
        raise ValueError("genesis: the verifying contract is a 20-byte address")
    if any(not isinstance(u, list) or len(u) != 2 for u in underlyings):
        raise ValueError("genesis: an underlying is [id, name]")
    genesis = Genesis(
        _int(chain_id), verifying_contract, admin, tuple(oracles), tuple((_int(uid), name) for uid, name in underlyings),
        taker_fee_ppm=_int(taker), maker_fee_ppm=_int(maker), fee_cap_ppm=_int(cap), rate_e6=_int(rate),
        genesis_time=_int(time_),
    )
    if encode_genesis(genesis) != data:
        raise ValueError("genesis: non-canonical encoding")
    return genesis


def encode_stored_receipt(encoding: bytes, detail: str) -> bytes:
    return encode_raw([encoding, detail.encode("utf-8")])


def decode_stored_receipt(data: bytes) -> tuple[bytes, Receipt]:
    """``(canonical encoding, Receipt)`` of a stored receipt (``detail`` restored)."""
    item = rlp.decode(data)
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError("stored receipt: expected [encoding, detail]")
    encoding, detail = item
    return encoding, decode_receipt(encoding, detail.decode("utf-8"))


def decode_receipt(encoding: bytes, detail: str = "") -> Receipt:
    """The ``Receipt`` whose ``encode()`` is ``encoding`` (``detail`` is not part of it)."""
    item = rlp.decode(encoding)
    if not isinstance(item, list) or len(item) != 8:
        raise ValueError("receipt: expected 8 fields")
    tx_hash, code, order_id, filled, rested, remainder, fills, cancelled = item
    receipt = Receipt(
        tx_hash,
        FailureCode(_int(code)),
        detail=detail,
        order_id=_int(order_id),
        filled_e6=_int(filled),
        rested_e6=_int(rested),
        remainder_code=FailureCode(_int(remainder)),
        fills=tuple(
            Fill(_int(f[0]), f[1], f[2], _int(f[3]), _int(f[4]), _int(f[5]), _int(f[6]), _int(f[7]), _int(f[8]))
            for f in fills
        ),
        cancelled=tuple((_int(o), FailureCode(_int(c))) for o, c in cancelled),
    )
    if receipt.encode() != encoding:
        raise ValueError("receipt: non-canonical encoding")
    return receipt
