"""Receipts: what happened to each transaction, with the fills and cancellations it caused.

A receipt's ``code`` is ``FailureCode.OK`` on success. A successful order may still leave a
remainder unfilled: ``remainder_code`` says why it was cancelled (IOC, the match-step bound,
the taker's margin) and is ``OK`` when the remainder rests on the book or nothing remained.
Receipts are encoded canonically (RLP) so a block's receipts hash is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.stf.hashing import keccak256 as keccak
from rlp.codec import encode_raw

from node.stf.errors import FailureCode
from node.stf.records import _u


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade: the taker hit ``maker_order_id`` for ``size_e6`` at the maker's ``price_e6``.

    Fees are collateral units e6 paid into the fee pool by each side.
    """

    maker_order_id: int
    maker: bytes
    taker: bytes
    instrument_id: int
    taker_side: int
    price_e6: int
    size_e6: int
    maker_fee_e6: int
    taker_fee_e6: int

    def fields(self) -> list:
        return [
            _u(self.maker_order_id),
            self.maker,
            self.taker,
            _u(self.instrument_id),
            _u(self.taker_side),
            _u(self.price_e6),
            _u(self.size_e6),
            _u(self.maker_fee_e6),
            _u(self.taker_fee_e6),
        ]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one transaction.

    ``order_id``: the id given to a placed order (also for IOC/FOK), or the cancelled order.
    ``filled_e6`` / ``rested_e6``: contracts x 1e6 filled now / left resting on the book.
    ``cancelled``: resting orders removed by this transaction, with the reason for each
    (maker expired, self-trade prevention, maker's margin, cancel).
    """

    tx_hash: bytes
    code: FailureCode
    detail: str = ""
    order_id: int = 0
    filled_e6: int = 0
    rested_e6: int = 0
    remainder_code: FailureCode = FailureCode.OK
    fills: tuple[Fill, ...] = ()
    cancelled: tuple[tuple[int, FailureCode], ...] = ()

    @property
    def ok(self) -> bool:
        return self.code == FailureCode.OK

    def encode(self) -> bytes:
        return encode_raw(
            [
                self.tx_hash,
                _u(int(self.code)),
                _u(self.order_id),
                _u(self.filled_e6),
                _u(self.rested_e6),
                _u(int(self.remainder_code)),
                [f.fields() for f in self.fills],
                [[_u(o), _u(int(c))] for o, c in self.cancelled],
            ]
        )


def receipts_hash(receipts: list[Receipt]) -> bytes:
    """keccak256 of the RLP list of the block's receipts' canonical encodings.

    Not computed inside ``apply_block`` (the sequencer computes it when it stores a block).
    """
    return receipts_hash_of_encodings([r.encode() for r in receipts])


def receipts_hash_of_encodings(encodings: list[bytes]) -> bytes:
    """``receipts_hash`` from receipts already encoded with ``Receipt.encode``."""
    return keccak(encode_raw(list(encodings)))
