"""The ``Trading`` service: submissions through the per-peer rate limit and the sequencer's
door; each answer comes after the transaction's block commits.

Limits: a request is at most ``max_message_bytes`` (RESOURCE_EXHAUSTED above it, which
ends a ``SubmitStream``); a ``SubmitBatchStream`` message carries at most
``max_batch_txs`` transactions (a larger batch gets an ack whose ``error`` is
RESOURCE_EXHAUSTED; the stream goes on). Every transaction costs one token of its peer's
bucket (``limiter``, keyed by ``peers.peer_key``: the client's IP address, so all its
connections share it); over the limit a transaction is refused with RESOURCE_EXHAUSTED
(an error ack on a stream). A batch costs one token per transaction and is admitted or
refused whole: refused, it gets one error ack with no results (nothing is taken from the
bucket, so a batch never passes if it is larger than the burst; ``serve`` requires
``burst >= max_batch_txs``). The per-account
limits and the mempool's shares are the mempool's (``node.sequencer.mempool``); they too
answer RESOURCE_EXHAUSTED.

Errors on ``SubmitTransaction`` (see ``trading.proto``): INVALID_ARGUMENT for bytes that are
not a valid signed client transaction, FAILED_PRECONDITION for a valid one the state
refuses (a replay at the door, or a failure receipt), RESOURCE_EXHAUSTED for limits, with
the trailing metadata of ``refusal.Refusal``.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Final

import grpc

from node.rpc import cancel_on_disconnect
from node.rpc.generated.optrollup.v1 import trading_pb2, trading_pb2_grpc
from node.rpc.peers import peer_key
from node.rpc.refusal import Refusal, receipt_pb, refusal_of, result_fields
from node.sequencer.mempool import MempoolFull, Rejected
from node.sequencer.sequencer import Sequencer, SequencerHalted, tx_hash_of
from node.sequencer.token_bucket import TokenBuckets
from node.stf.receipts import Receipt

MAX_MESSAGE_BYTES: Final = 4 * 1024
MAX_BATCH_TXS: Final = 256
MAX_IN_FLIGHT_PER_STREAM: Final = 2_048  # requests on SubmitStream, transactions on SubmitBatchStream


class _TooLarge(Exception):
    """A stream request above the per-request size limit (the stream ends RESOURCE_EXHAUSTED)."""


class TradingServicer(trading_pb2_grpc.TradingServicer):
    """Submissions: door checks and queueing in the sequencer; answers after the block commits."""

    def __init__(self, sequencer: Sequencer, limiter: TokenBuckets, *, max_message_bytes: int = MAX_MESSAGE_BYTES,
                 max_batch_txs: int = MAX_BATCH_TXS) -> None:
        if not 1 <= max_batch_txs <= MAX_IN_FLIGHT_PER_STREAM:
            raise ValueError(f"rpc: max_batch_txs must be in [1, {MAX_IN_FLIGHT_PER_STREAM}]")
        self.sequencer = sequencer
        self.limiter = limiter
        self.max_message_bytes = max_message_bytes
        self.max_batch_txs = max_batch_txs

    def _too_large(self, request) -> str | None:
        size = request.ByteSize()
        return None if size <= self.max_message_bytes else f"request of {size} bytes > {self.max_message_bytes}"

    def _rate_limited(self, raw: bytes, peer: str) -> Refusal:
        return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, None,
                       f"rate limit: too many transactions from {peer} (at most {self.limiter.rate:g}/s, "
                       f"burst {self.limiter.burst:g})", tx_hash_of(raw))

    def _admit(self, raw: bytes) -> tuple[bytes, asyncio.Future] | Refusal:
        """Door checks and queueing: the tx hash and the block future, or a refusal. With a
        recovery pool the door's verdict comes later, through the future (``_outcome``)."""
        try:
            if self.sequencer.recovery is not None:
                return tx_hash_of(raw), self.sequencer.admit(raw)
            tx, future = self.sequencer.enqueue(raw)
        except (Rejected, MempoolFull, SequencerHalted) as exc:
            return refusal_of(exc, raw)
        return tx.tx_hash, future

    def _enqueue(self, raw: bytes, peer: str) -> tuple[bytes, asyncio.Future] | Refusal:
        """One transaction through ``peer``'s bucket, then ``_admit``."""
        if not self.limiter.allow(peer):
            return self._rate_limited(raw, peer)
        return self._admit(raw)

    @staticmethod
    async def _outcome(tx_hash: bytes, future: asyncio.Future) -> tuple[int, Receipt] | Refusal:
        try:
            number, receipt = await future
        except (Rejected, MempoolFull, SequencerHalted) as exc:  # the door, after asynchronous recovery
            return refusal_of(exc, b"", tx_hash)
        if not receipt.ok:
            return Refusal(grpc.StatusCode.FAILED_PRECONDITION, receipt.code, receipt.detail or receipt.code.name,
                           tx_hash, number, receipt)
        return number, receipt

    async def _guard(self, context) -> cancel_on_disconnect.Guard | None:
        """The stream's pre-signed cancel (metadata ``cancel-on-disconnect-bin``), checked; or ``None``."""
        try:
            return cancel_on_disconnect.guard_of(self.sequencer, context)
        except cancel_on_disconnect.BadCancelEnvelope as exc:
            await context.abort(exc.status, exc.message)

    async def SubmitTransaction(self, request, context):
        too_large = self._too_large(request)
        if too_large:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, too_large)
        admitted = self._enqueue(request.raw_tx, peer_key(context.peer()))
        outcome = admitted if isinstance(admitted, Refusal) else await self._outcome(*admitted)
        if isinstance(outcome, Refusal):
            await context.abort(outcome.status, outcome.message, outcome.metadata())
        number, receipt = outcome
        return trading_pb2.SubmitResponse(tx_hash=receipt.tx_hash, block_number=number,
                                          receipt=receipt_pb(receipt, number))

    async def SubmitStream(self, request_iterator, context) -> AsyncIterator[trading_pb2.SubmitAck]:
        """One ack per request, in request order; refusals are error acks, never stream errors.
        Opt-in cancel-on-disconnect: see ``cancel_on_disconnect``."""
        peer = peer_key(context.peer())
        guard = await self._guard(context)
        finished = False  # the client half-closed and got every ack
        pending: asyncio.Queue = asyncio.Queue(maxsize=MAX_IN_FLIGHT_PER_STREAM)

        async def read() -> None:
            try:
                async for request in request_iterator:
                    too_large = self._too_large(request)
                    if too_large:
                        raise _TooLarge(too_large)
                    await pending.put((request.sequence, self._enqueue(request.raw_tx, peer)))
            finally:
                await pending.put(None)

        reader = asyncio.get_running_loop().create_task(read())
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                sequence, admitted = item
                outcome = admitted if isinstance(admitted, Refusal) else await self._outcome(*admitted)
                yield trading_pb2.SubmitAck(sequence=sequence, **result_fields(outcome))
            try:
                await reader  # surfaces a broken request stream
            except _TooLarge as exc:
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
            finished = guard is None or await cancel_on_disconnect.confirm_half_close(context)
        finally:
            if not reader.done():
                reader.cancel()
            if guard is not None and not finished:
                guard.fire()

    def _admit_batch(self, raws, peer: str) -> list[tuple[bytes, asyncio.Future] | Refusal] | Refusal:
        """A batch through ``peer``'s bucket, whole or not at all: a result per transaction,
        or one refusal for the batch (see module docstring)."""
        if not self.limiter.allow(peer, len(raws)):
            return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, None,
                           f"rate limit: too many transactions from {peer} (at most {self.limiter.rate:g}/s, "
                           f"burst {self.limiter.burst:g}): batch of {len(raws)} refused")
        return [self._admit(raw) for raw in raws]

    async def SubmitBatchStream(self, request_iterator, context) -> AsyncIterator[trading_pb2.SubmitBatchAck]:
        """One ack per batch, in batch order, with one result per transaction in order. The
        transactions of a batch are admitted one by one (each is door-checked on its own, so a
        bad one never affects the others) and queue contiguously. At most
        ``MAX_IN_FLIGHT_PER_STREAM`` transactions are awaiting their acks per stream.
        Opt-in cancel-on-disconnect: see ``cancel_on_disconnect``."""
        peer = peer_key(context.peer())
        guard = await self._guard(context)
        finished = False  # the client half-closed and got every ack
        pending: asyncio.Queue = asyncio.Queue()
        room = asyncio.Event()
        in_flight = 0

        async def read() -> None:
            nonlocal in_flight
            try:
                async for batch in request_iterator:
                    count = len(batch.raw_txs)
                    if count > self.max_batch_txs:
                        pending.put_nowait((batch.sequence, 0, Refusal(
                            grpc.StatusCode.RESOURCE_EXHAUSTED, None,
                            f"batch of {count} transactions > {self.max_batch_txs}")))
                        continue
                    while in_flight and in_flight + count > MAX_IN_FLIGHT_PER_STREAM:
                        room.clear()
                        await room.wait()
                    admitted = self._admit_batch(batch.raw_txs, peer) if count else []
                    if isinstance(admitted, Refusal):
                        pending.put_nowait((batch.sequence, 0, admitted))
                        continue
                    in_flight += count
                    pending.put_nowait((batch.sequence, count, admitted))
            finally:
                pending.put_nowait(None)

        reader = asyncio.get_running_loop().create_task(read())
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                sequence, count, admitted = item
                if isinstance(admitted, Refusal):
                    yield trading_pb2.SubmitBatchAck(sequence=sequence, error=admitted.error_pb())
                    continue
                results = []
                for one in admitted:
                    outcome = one if isinstance(one, Refusal) else await self._outcome(*one)
                    results.append(trading_pb2.TxResult(**result_fields(outcome)))
                in_flight -= count
                room.set()
                yield trading_pb2.SubmitBatchAck(sequence=sequence, results=results)
            await reader  # surfaces a broken request stream
            finished = guard is None or await cancel_on_disconnect.confirm_half_close(context)
        finally:
            if not reader.done():
                reader.cancel()
            if guard is not None and not finished:
                guard.fire()
