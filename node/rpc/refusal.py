"""Outcomes of a submission on the wire: the ``Receipt`` message, and a ``Refusal`` (gRPC
status, failure code, trailing metadata) for one that did not succeed.

A refusal's trailing metadata (``SubmitTransaction``, the dev faucet) carries
``failure-code`` (the ``FailureCode`` number) and ``failure-name`` when the STF or the
door gave a code, ``tx-hash-bin`` (32 bytes), and, when the transaction was included,
``block-number`` and ``receipt-bin`` (a serialized ``Receipt``). On the streams the same
refusal is an ``Error`` message in the ack.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from node.rpc.generated.optrollup.v1 import types_pb2
from node.sequencer.mempool import MempoolFull, Rejected
from node.sequencer.sequencer import SequencerHalted, tx_hash_of
from node.stf.errors import FailureCode
from node.stf.receipts import Receipt


def receipt_pb(receipt: Receipt, block_number: int) -> types_pb2.Receipt:
    """The wire form of ``receipt`` (included in ``block_number``)."""
    return types_pb2.Receipt(
        tx_hash=receipt.tx_hash,
        code=int(receipt.code),
        failure_name=receipt.code.name,
        detail=receipt.detail,
        order_id=receipt.order_id,
        filled_e6=receipt.filled_e6,
        rested_e6=receipt.rested_e6,
        remainder_code=int(receipt.remainder_code),
        remainder_name=receipt.remainder_code.name,
        fills=[
            types_pb2.Fill(
                maker_order_id=f.maker_order_id, maker=f.maker, taker=f.taker, instrument_id=f.instrument_id,
                taker_side=f.taker_side, price_e6=f.price_e6, size_e6=f.size_e6,
                maker_fee_e6=f.maker_fee_e6, taker_fee_e6=f.taker_fee_e6,
            )
            for f in receipt.fills
        ],
        cancelled=[types_pb2.Cancelled(order_id=o, code=int(c), failure_name=c.name) for o, c in receipt.cancelled],
        block_number=block_number,
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """A submission that did not succeed: the gRPC status and the STF's failure code."""

    status: grpc.StatusCode
    code: FailureCode | None
    message: str
    tx_hash: bytes = b""
    block_number: int = 0
    receipt: Receipt | None = None

    def error_pb(self) -> types_pb2.Error:
        return types_pb2.Error(
            status_code=self.status.value[0],
            failure_code=0 if self.code is None else int(self.code),
            failure_name="" if self.code is None else self.code.name,
            message=self.message,
        )

    def metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        items: list[tuple[str, str | bytes]] = []
        if self.code is not None:
            items += [("failure-code", str(int(self.code))), ("failure-name", self.code.name)]
        if self.tx_hash:
            items.append(("tx-hash-bin", self.tx_hash))
        if self.receipt is not None:
            items.append(("block-number", str(self.block_number)))
            items.append(("receipt-bin", receipt_pb(self.receipt, self.block_number).SerializeToString()))
        return tuple(items)


def refusal_of(exc: Exception, raw: bytes, tx_hash: bytes = b"") -> Refusal:
    """The refusal for a door or queue exception (``Rejected``, ``MempoolFull`` and its
    ``SenderLimited``, ``SequencerHalted``); any other exception is re-raised."""
    if isinstance(exc, Rejected):
        status = grpc.StatusCode.INVALID_ARGUMENT if exc.invalid else grpc.StatusCode.FAILED_PRECONDITION
        return Refusal(status, exc.code, exc.message, exc.tx_hash or tx_hash or tx_hash_of(raw))
    if isinstance(exc, MempoolFull):
        return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, None, str(exc), tx_hash or tx_hash_of(raw))
    if isinstance(exc, SequencerHalted):
        return Refusal(grpc.StatusCode.UNAVAILABLE, None, str(exc), tx_hash or tx_hash_of(raw))
    raise exc


def result_fields(outcome: tuple[int, Receipt] | Refusal) -> dict:
    """The fields shared by ``SubmitAck`` and ``TxResult`` for one transaction's outcome."""
    if isinstance(outcome, Refusal):
        return dict(tx_hash=outcome.tx_hash, accepted=False, block_number=outcome.block_number,
                    error=outcome.error_pb(),
                    receipt=None if outcome.receipt is None else receipt_pb(outcome.receipt, outcome.block_number))
    number, receipt = outcome
    return dict(tx_hash=receipt.tx_hash, accepted=True, block_number=number, receipt=receipt_pb(receipt, number))
